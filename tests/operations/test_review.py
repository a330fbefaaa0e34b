"""The review decisions against a real database: approving and requesting changes, four
eyes, who may decide, the comment a request for changes needs, and the revision a decision
names."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied
from editorial.domain.workflow import PostState
from editorial.models import AuditEvent, Role, db
from editorial.operations import posts, review
from tests.helpers.posts import audit_actions, edited


def test_review_round_trip_with_audit_trail(app, create_user, create_post):
    writer = create_user()
    reviewer = create_user("rev@example.com", Role.REVIEWER)
    post = create_post(writer)
    posts.submit_for_review(post, writer)
    review.request_changes(post, reviewer, set(), "Name a real alternative for Flask.", 1)
    assert post.state == PostState.CHANGES_REQUESTED
    posts.save_revision(post, edited(post, summary="A sharper summary."), writer)
    assert post.state == PostState.CHANGES_REQUESTED
    posts.submit_for_review(post, writer)
    review.approve(post, reviewer, review.checklist_keys(post), "Good.", 2)
    db.session.commit()
    assert post.state == PostState.APPROVED
    assert post.approved_revision.number == 2
    assert audit_actions(post) == [
        "post.created",
        "post.submit",
        "comment.added",  # the reviewer's comment, kept on the post as in the desk
        "post.request_changes",
        "post.revised",
        "post.submit",
        "post.approve",
    ]
    decision = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "post.approve")
    ).one()
    assert decision.actor_id == reviewer.id
    assert decision.revision_id == post.approved_revision_id
    assert decision.details["comment"] == "Good."


@pytest.mark.parametrize(
    "roles", [(Role.WRITER, Role.REVIEWER), (Role.WRITER, Role.REVIEWER, Role.ADMIN)]
)
def test_nobody_decides_on_their_own_post(app, create_user, create_post, roles):
    author = create_user("self@example.com", *roles)
    post = create_post(author)
    posts.submit_for_review(post, author)
    with pytest.raises(PermissionDenied, match="Nobody reviews their own post"):
        review.approve(post, author, review.checklist_keys(post), "", 1)
    with pytest.raises(PermissionDenied, match="Nobody reviews their own post"):
        review.request_changes(post, author, set(), "Looks fine to me", 1)
    assert post.state == PostState.IN_REVIEW


def test_writers_and_admins_without_reviewer_role_cannot_decide(app, create_user, create_post):
    post = create_post(create_user())
    posts.submit_for_review(post, post.author)
    for user in (create_user("w2@example.com"), create_user("adm@example.com", Role.ADMIN)):
        with pytest.raises(PermissionDenied, match="Only reviewers"):
            review.approve(post, user, review.checklist_keys(post), "", 1)


def test_request_changes_needs_a_comment(app, create_user, create_post):
    post = create_post(create_user())
    posts.submit_for_review(post, post.author)
    with pytest.raises(InvalidInput, match="Say what should change"):
        review.request_changes(post, create_user("r@example.com", Role.REVIEWER), set(), "  ", 1)


def test_a_reviewer_cannot_approve_a_revision_they_did_not_read(app, create_user, create_post):
    writer = create_user()
    reviewer = create_user("rev@example.com", Role.REVIEWER)
    post = create_post(writer)
    posts.submit_for_review(post, writer)
    seen = post.current_revision.number
    posts.withdraw(post, writer)
    posts.save_revision(post, edited(post, summary="Changed after the review began."), writer)
    posts.submit_for_review(post, writer)
    db.session.commit()
    with pytest.raises(Conflict, match="revision 2 is now current") as info:
        review.approve(post, reviewer, review.checklist_keys(post), revision_number=seen)
    assert info.value.current_revision == 2
    assert post.state == PostState.IN_REVIEW
    review.approve(post, reviewer, review.checklist_keys(post), revision_number=2)
    assert post.approved_revision.number == 2


def test_every_decision_names_the_revision_it_was_made_on(app, create_user, create_post):
    writer = create_user()
    reviewer = create_user("rev@example.com", Role.REVIEWER)
    post = create_post(writer)
    posts.submit_for_review(post, writer)
    for decide in (
        lambda: review.approve(post, reviewer, review.checklist_keys(post), "Good."),
        lambda: review.request_changes(post, reviewer, set(), "Say more."),
    ):
        with pytest.raises(InvalidInput, match="Name the revision you reviewed") as info:
            decide()
        assert [path for path, _ in info.value.problems] == ["revision"]
    assert post.state == PostState.IN_REVIEW and post.approved_revision is None
