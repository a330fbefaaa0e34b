"""The post workflow: one state enum and one transitions table (pure; no Flask, no database)."""

from __future__ import annotations

from enum import StrEnum

from editorial.domain.errors import Refusal


class PostState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    PUBLISHED = "published"
    RETRACTED = "retracted"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    PUBLISH = "publish"
    RETRACT = "retract"


S, A = PostState, Action

# (action, from state) -> to state. Anything not listed is illegal.
TRANSITIONS: dict[tuple[Action, PostState], PostState] = {
    (A.EDIT, S.DRAFT): S.DRAFT,
    (A.EDIT, S.CHANGES_REQUESTED): S.CHANGES_REQUESTED,
    # A later edit withdraws an approval; editing a live post starts a new draft.
    (A.EDIT, S.APPROVED): S.DRAFT,
    (A.EDIT, S.PUBLISHED): S.DRAFT,
    (A.EDIT, S.RETRACTED): S.DRAFT,
    (A.SUBMIT, S.DRAFT): S.IN_REVIEW,
    (A.SUBMIT, S.CHANGES_REQUESTED): S.IN_REVIEW,
    # A live post goes back to review as it is (a re-review: it stays live meanwhile).
    (A.SUBMIT, S.PUBLISHED): S.IN_REVIEW,
    (A.WITHDRAW, S.IN_REVIEW): S.DRAFT,
    (A.APPROVE, S.IN_REVIEW): S.APPROVED,
    (A.REQUEST_CHANGES, S.IN_REVIEW): S.CHANGES_REQUESTED,
    (A.PUBLISH, S.APPROVED): S.PUBLISHED,
    (A.RETRACT, S.PUBLISHED): S.RETRACTED,
}

_WHY_NOT = {
    Action.EDIT: "A post in review cannot be edited; withdraw it from review first.",
}


class IllegalTransition(Refusal):
    """An action that the post's current state does not allow."""

    status = 409

    def __init__(self, action: Action, state: PostState, message: str | None = None):
        self.action, self.state = action, state
        super().__init__(
            message
            or _WHY_NOT.get(action)
            or f"Cannot {action.value.replace('_', ' ')} a post that is {state.label.lower()}."
        )


def next_state(action: Action, state: PostState) -> PostState:
    """The state a post in ``state`` moves to under ``action``, or raise IllegalTransition."""
    try:
        return TRANSITIONS[(action, state)]
    except KeyError:
        raise IllegalTransition(action, state) from None


def allowed_actions(state: PostState) -> set[Action]:
    """The actions the transitions table allows from ``state``."""
    return {action for (action, src) in TRANSITIONS if src == state}
