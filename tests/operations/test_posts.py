"""Operations against a real database: revisions, concurrency, the workflow and the audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import IllegalTransition, PostState
from editorial.models import AuditEvent, Role, db
from editorial.operations import posts, review
from tests.conftest import sample


def _edited(post, **changes):
    data = {**post.current_revision.content, **changes}
    return parse_post(data)


def _actions(post):
    return db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.post_id == post.id).order_by(AuditEvent.id)
    ).all()


def test_create_post_makes_revision_one_with_rendered_markdown(app, create_user, create_post):
    writer = create_user()
    data = sample()
    data["bias"] = "I maintain **a Flask extension**. <script>alert(1)</script>"
    post = create_post(writer, data)
    revision = post.current_revision
    assert revision.number == 1
    assert revision.created_by_id == writer.id
    assert post.state == PostState.DRAFT
    assert "<strong>a Flask extension</strong>" in revision.rendered["bias"]
    assert "<script>" not in revision.rendered["bias"]
    assert len(revision.rendered["entries"]) == len(data["entries"])
    assert _actions(post) == ["post.created"]


def test_empty_slug_is_made_from_the_title(app, create_user, create_post):
    post = create_post(create_user(), slug="", title="The best Rust web frameworks, ranked!")
    assert post.slug == "the-best-rust-web-frameworks-ranked"


@pytest.mark.parametrize("slug", ["Not A Slug", "double--hyphen", "-leading", "ümlaut", "2026"])
def test_malformed_slug_is_refused(app, create_user, slug):
    with pytest.raises(InvalidInput) as info:
        posts.create_post(parse_post({**sample(), "slug": slug}), create_user())
    assert info.value.problems[0][0] == "slug"


def test_taken_slug_is_refused_naming_the_field(app, create_user, create_post):
    writer = create_user()
    create_post(writer)
    with pytest.raises(InvalidInput, match="already taken") as info:
        posts.create_post(parse_post(sample()), writer)
    assert info.value.problems == [
        ("slug", 'The slug "python-web-frameworks-2026" is already taken by another post.')
    ]


def test_only_writers_create_posts(app, create_user):
    reviewer = create_user("r@example.com", Role.REVIEWER)
    with pytest.raises(PermissionDenied):
        posts.create_post(parse_post(sample()), reviewer)


def test_every_save_makes_a_new_revision(app, create_user, create_post):
    writer = create_user()
    post = create_post(writer)
    first = post.current_revision
    second = posts.save_revision(post, _edited(post, title="Changed title"), writer, 1)
    db.session.commit()
    assert second.number == 2
    assert post.current_revision == second
    assert first.content["title"] != second.content["title"]
    assert [r.number for r in post.revisions] == [1, 2]


def test_stale_save_is_a_conflict(app, create_user, create_post):
    writer = create_user()
    post = create_post(writer)
    posts.save_revision(post, _edited(post, title="Tab one"), writer, base_revision=1)
    db.session.commit()
    with pytest.raises(Conflict) as info:
        posts.save_revision(post, _edited(post, title="Tab two"), writer, base_revision=1)
    assert info.value.current_revision == 2
    db.session.rollback()
    assert post.current_revision.content["title"] == "Tab one"


def test_only_the_author_edits(app, create_user, create_post):
    post = create_post(create_user())
    other = create_user("other@example.com")
    with pytest.raises(PermissionDenied):
        posts.save_revision(post, _edited(post), other)


def test_submit_is_refused_while_errors_remain(app, create_user, create_post):
    writer = create_user()
    data = sample()
    data["entries"][1]["pick_else"] = "TBD"
    post = create_post(writer, data)
    with pytest.raises(InvalidInput) as info:
        posts.submit_for_review(post, writer)
    assert "entries[1].pick_else" in [path for path, _ in info.value.problems]
    assert post.state == PostState.DRAFT


def test_review_round_trip_with_audit_trail(app, create_user, create_post):
    writer = create_user()
    reviewer = create_user("rev@example.com", Role.REVIEWER)
    post = create_post(writer)
    posts.submit_for_review(post, writer)
    review.request_changes(post, reviewer, set(), "Name a real alternative for Flask.", 1)
    assert post.state == PostState.CHANGES_REQUESTED
    posts.save_revision(post, _edited(post, summary="A sharper summary."), writer)
    assert post.state == PostState.CHANGES_REQUESTED
    posts.submit_for_review(post, writer)
    review.approve(post, reviewer, review.checklist_keys(post), "Good.", 2)
    db.session.commit()
    assert post.state == PostState.APPROVED
    assert post.approved_revision.number == 2
    assert _actions(post) == [
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


def test_an_edit_after_approval_withdraws_it(app, create_user, create_post):
    writer = create_user()
    reviewer = create_user("rev@example.com", Role.REVIEWER)
    post = create_post(writer)
    posts.submit_for_review(post, writer)
    review.approve(post, reviewer, review.checklist_keys(post), "", 1)
    posts.save_revision(post, _edited(post, title="Sneaky edit"), writer)
    db.session.commit()
    assert post.state == PostState.DRAFT
    assert post.approved_revision is None


def test_a_post_in_review_cannot_be_edited(app, create_user, create_post):
    writer = create_user()
    post = create_post(writer)
    posts.submit_for_review(post, writer)
    with pytest.raises(IllegalTransition, match="withdraw it from review first"):
        posts.save_revision(post, _edited(post), writer)
    posts.withdraw(post, writer)
    assert post.state == PostState.DRAFT


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


def test_export_then_import_gives_back_the_same_content(app, create_user, create_post):
    writer = create_user()
    post = create_post(writer)
    exported = posts.export_post(post)
    assert exported["meta"]["revision"] == 1
    assert exported["meta"]["author"]["email"] == writer.email
    again = parse_post({**exported, "slug": "copy-of-the-post"})
    assert again.content() == {**post.current_revision.content, "slug": "copy-of-the-post"}


def test_a_reviewer_cannot_approve_a_revision_they_did_not_read(app, create_user, create_post):
    writer = create_user()
    reviewer = create_user("rev@example.com", Role.REVIEWER)
    post = create_post(writer)
    posts.submit_for_review(post, writer)
    seen = post.current_revision.number
    posts.withdraw(post, writer)
    posts.save_revision(post, _edited(post, summary="Changed after the review began."), writer)
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
