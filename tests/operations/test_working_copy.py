"""Working copies against a real database: autosave, its two staleness checks, the workflow
and who may autosave or discard."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from editorial.domain.errors import Conflict, PermissionDenied
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import IllegalTransition
from editorial.models import Role, WorkingCopy, db
from editorial.operations import posts, review
from editorial.operations.working_copy import (
    autosave,
    check_working_version,
    discard_working_copy,
    working_copy,
)
from tests.helpers.desk import working_copy_of
from tests.helpers.posts import audit_actions


def fields(summary: str) -> list[list[str]]:
    return [["title", "A title"], ["summary", summary], ["intro", "Line one\r\nline two"]]


def test_a_post_has_no_working_copy_until_autosaved(app, post):
    assert working_copy(post) is None


def test_each_autosave_overwrites_the_copy_and_bumps_its_version(app, writer, post):
    first = autosave(post, fields("First."), writer, base_revision=1, working_version=0)
    db.session.commit()
    assert first.version == 1

    autosave(post, fields("Second, with “quotes” and ünïcode."), writer, 1, working_version=1)
    db.session.commit()
    copy = working_copy_of(post)
    assert copy.version == 2
    assert copy.base_revision == 1
    assert copy.form_data == fields("Second, with “quotes” and ünïcode.")  # exactly as typed
    assert copy.saved_by_id == writer.id
    assert copy.saved_at is not None
    assert db.session.scalar(sa.select(sa.func.count(WorkingCopy.post_id))) == 1
    assert [r.number for r in post.revisions] == [1]  # autosaving makes no revisions


def test_an_autosave_from_a_tab_that_missed_the_last_one_is_a_conflict(app, writer, post):
    autosave(post, fields("Tab A."), writer, 1, working_version=0)
    autosave(post, fields("Tab A again."), writer, 1, working_version=1)
    db.session.commit()

    with pytest.raises(Conflict, match="autosaved at .* by Wren Writer") as info:
        autosave(post, fields("Tab B."), writer, 1, working_version=1)
    db.session.rollback()
    assert info.value.current_revision == 1
    copy = working_copy_of(post)
    assert (copy.version, copy.form_data) == (2, fields("Tab A again."))


def test_a_tab_that_saw_a_discarded_copy_cannot_overwrite_a_newer_one(app, writer, post):
    autosave(post, fields("Tab A."), writer, 1, working_version=0)  # tab A has seen version 1
    discard_working_copy(post, writer)  # discarded from tab B, which then types on
    autosave(post, fields("Tab B, after the discard."), writer, 1, working_version=0)
    db.session.commit()

    # Tab A never saw tab B's copy: its version 1 was a different copy.
    with pytest.raises(Conflict):
        autosave(post, fields("Tab A again."), writer, 1, working_version=1)
    db.session.rollback()
    assert working_copy_of(post).form_data == fields("Tab B, after the discard.")


def test_check_working_version_passes_only_the_version_last_seen(app, writer, post):
    check_working_version(post, 0)  # nothing autosaved: nothing to miss
    autosave(post, fields("A."), writer, 1, working_version=0)
    check_working_version(post, 1)
    for seen in (0, 2):
        with pytest.raises(Conflict):
            check_working_version(post, seen)


def test_an_autosave_based_on_an_old_revision_is_a_conflict(app, writer, post):
    posts.save_revision(post, parse_post({**post.current_revision.content}), writer, 1)
    db.session.commit()

    with pytest.raises(Conflict, match=r"now revision 2\) after revision 1") as info:
        autosave(post, fields("Stale."), writer, base_revision=1, working_version=0)
    db.session.rollback()
    assert info.value.current_revision == 2
    assert working_copy_of(post) is None

    autosave(post, fields("Fresh."), writer, base_revision=2, working_version=0)
    db.session.commit()
    assert working_copy_of(post).base_revision == 2


def test_a_post_in_review_takes_no_autosave(app, writer, post):
    posts.submit_for_review(post, writer)
    db.session.commit()
    with pytest.raises(IllegalTransition, match="withdraw it from review first"):
        autosave(post, fields("In review."), writer, 1, working_version=0)
    db.session.rollback()
    assert working_copy_of(post) is None


def test_a_post_sent_back_with_changes_requested_takes_autosaves(app, writer, post, create_user):
    reviewer = create_user("reviewer@example.com", Role.REVIEWER)
    posts.submit_for_review(post, writer)
    review.request_changes(post, reviewer, set(), "Say more about Litestar.", 1)
    db.session.commit()
    assert autosave(post, fields("Changes."), writer, 1, working_version=0).version == 1


@pytest.mark.parametrize(
    "roles", [(Role.WRITER,), (Role.REVIEWER,), (Role.ADMIN,), (Role.WRITER, Role.ADMIN)]
)
def test_only_the_author_autosaves_or_discards(app, writer, post, create_user, roles):
    other = create_user("other@example.com", *roles)
    with pytest.raises(PermissionDenied):
        autosave(post, fields("Not mine."), other, 1, working_version=0)
    db.session.rollback()
    assert working_copy_of(post) is None

    autosave(post, fields("Mine."), writer, 1, working_version=0)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        discard_working_copy(post, other)
    db.session.rollback()
    assert working_copy_of(post).form_data == fields("Mine.")


def test_discarding_drops_the_copy_and_is_recorded(app, writer, post):
    autosave(post, fields("Unwanted."), writer, 1, working_version=0)
    db.session.commit()
    discard_working_copy(post, writer)
    db.session.commit()
    assert working_copy_of(post) is None
    assert audit_actions(post)[-1] == "post.changes_discarded"

    # After a save the copy goes quietly: the revision itself is the record.
    autosave(post, fields("Saved."), writer, 1, working_version=0)
    discard_working_copy(post, writer, audit=False)
    db.session.commit()
    assert working_copy_of(post) is None
    assert audit_actions(post).count("post.changes_discarded") == 1
