"""The workflow's transitions as a table (no app)."""

from __future__ import annotations

import pytest

from editorial.domain.workflow import TRANSITIONS, Action, IllegalTransition, PostState, next_state

S, A = PostState, Action

EXPECTED = [
    # (action, from, to or None when illegal)
    (A.EDIT, S.DRAFT, S.DRAFT),
    (A.EDIT, S.IN_REVIEW, None),
    (A.EDIT, S.CHANGES_REQUESTED, S.CHANGES_REQUESTED),
    (A.EDIT, S.APPROVED, S.DRAFT),
    (A.EDIT, S.PUBLISHED, S.DRAFT),
    (A.EDIT, S.RETRACTED, S.DRAFT),
    (A.SUBMIT, S.DRAFT, S.IN_REVIEW),
    (A.SUBMIT, S.CHANGES_REQUESTED, S.IN_REVIEW),
    (A.SUBMIT, S.IN_REVIEW, None),
    (A.SUBMIT, S.APPROVED, None),
    (A.SUBMIT, S.PUBLISHED, S.IN_REVIEW),  # a re-review of the live post as it is
    (A.WITHDRAW, S.IN_REVIEW, S.DRAFT),
    (A.WITHDRAW, S.DRAFT, None),
    (A.WITHDRAW, S.APPROVED, None),
    (A.APPROVE, S.IN_REVIEW, S.APPROVED),
    (A.APPROVE, S.DRAFT, None),
    (A.APPROVE, S.CHANGES_REQUESTED, None),
    (A.APPROVE, S.APPROVED, None),
    (A.REQUEST_CHANGES, S.IN_REVIEW, S.CHANGES_REQUESTED),
    (A.REQUEST_CHANGES, S.DRAFT, None),
    (A.PUBLISH, S.APPROVED, S.PUBLISHED),
    (A.PUBLISH, S.DRAFT, None),
    (A.PUBLISH, S.IN_REVIEW, None),
    (A.RETRACT, S.PUBLISHED, S.RETRACTED),
    (A.RETRACT, S.DRAFT, None),
]


@pytest.mark.parametrize(("action", "state", "expected"), EXPECTED)
def test_transition(action, state, expected):
    if expected is None:
        with pytest.raises(IllegalTransition):
            next_state(action, state)
    else:
        assert next_state(action, state) == expected


def test_table_has_no_transition_the_test_does_not_know():
    legal = {(a, s) for a, s, to in EXPECTED if to is not None}
    assert set(TRANSITIONS) == legal


def test_illegal_transition_explains_itself():
    with pytest.raises(IllegalTransition, match="withdraw it from review first"):
        next_state(A.EDIT, S.IN_REVIEW)
    with pytest.raises(IllegalTransition, match="Cannot approve a post that is draft"):
        next_state(A.APPROVE, S.DRAFT)
