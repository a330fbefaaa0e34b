"""Posts against a real database: creating, revisions and stale saves, submitting, withdrawing,
export, and the audit log. (The review decisions are in test_review.py.)"""

from __future__ import annotations

import pytest

from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import IllegalTransition, PostState
from editorial.models import Role, db
from editorial.operations import posts, review
from tests.conftest import sample
from tests.helpers.posts import audit_actions, edited


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
    assert audit_actions(post) == ["post.created"]


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
    second = posts.save_revision(post, edited(post, title="Changed title"), writer, 1)
    db.session.commit()
    assert second.number == 2
    assert post.current_revision == second
    assert first.content["title"] != second.content["title"]
    assert [r.number for r in post.revisions] == [1, 2]


def test_stale_save_is_a_conflict(app, create_user, create_post):
    writer = create_user()
    post = create_post(writer)
    posts.save_revision(post, edited(post, title="Tab one"), writer, base_revision=1)
    db.session.commit()
    with pytest.raises(Conflict) as info:
        posts.save_revision(post, edited(post, title="Tab two"), writer, base_revision=1)
    assert info.value.current_revision == 2
    db.session.rollback()
    assert post.current_revision.content["title"] == "Tab one"


def test_only_the_author_edits(app, create_user, create_post):
    post = create_post(create_user())
    other = create_user("other@example.com")
    with pytest.raises(PermissionDenied):
        posts.save_revision(post, edited(post), other)


def test_submit_is_refused_while_errors_remain(app, create_user, create_post):
    writer = create_user()
    data = sample()
    data["entries"][1]["pick_else"] = "TBD"
    post = create_post(writer, data)
    with pytest.raises(InvalidInput) as info:
        posts.submit_for_review(post, writer)
    assert "entries[1].pick_else" in [path for path, _ in info.value.problems]
    assert post.state == PostState.DRAFT


def test_an_edit_after_approval_withdraws_it(app, create_user, create_post):
    writer = create_user()
    reviewer = create_user("rev@example.com", Role.REVIEWER)
    post = create_post(writer)
    posts.submit_for_review(post, writer)
    review.approve(post, reviewer, review.checklist_keys(post), "", 1)
    posts.save_revision(post, edited(post, title="Sneaky edit"), writer)
    db.session.commit()
    assert post.state == PostState.DRAFT
    assert post.approved_revision is None


def test_a_post_in_review_cannot_be_edited(app, create_user, create_post):
    writer = create_user()
    post = create_post(writer)
    posts.submit_for_review(post, writer)
    with pytest.raises(IllegalTransition, match="withdraw it from review first"):
        posts.save_revision(post, edited(post), writer)
    posts.withdraw(post, writer)
    assert post.state == PostState.DRAFT


def test_export_then_import_gives_back_the_same_content(app, create_user, create_post):
    writer = create_user()
    post = create_post(writer)
    exported = posts.export_post(post)
    assert exported["meta"]["revision"] == 1
    assert exported["meta"]["author"]["email"] == writer.email
    again = parse_post({**exported, "slug": "copy-of-the-post"})
    assert again.content() == {**post.current_revision.content, "slug": "copy-of-the-post"}
