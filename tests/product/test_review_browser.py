"""Reviewing in a real browser: headless Debian Chromium driven by Playwright, against the app
served from a thread with CSRF on (the fixtures are in conftest)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Comment, Post, Role, User, db
from editorial.operations import accounts, posts
from tests.conftest import PASSWORD, sample
from tests.helpers.browser import playwright_expect, sign_in

REVIEWER = "rhea@example.com"


@pytest.fixture
def in_review(live_app: Any, writer: str) -> int:
    """A post of the writer's in the review queue, and a reviewer to read it; the post's id."""
    with live_app.app_context():
        accounts.create_user(REVIEWER, "Rhea Reviewer", PASSWORD, [Role.REVIEWER])
        author = db.session.scalar(sa.select(User).where(User.email == writer))
        post = posts.create_post(parse_post(sample()), author)
        posts.submit_for_review(post, author)
        db.session.commit()
        return post.id


def _post(live_app: Any, post_id: int) -> tuple[PostState, int | None]:
    with live_app.app_context():
        post = db.session.get(Post, post_id)
        number = post.approved_revision.number if post.approved_revision else None
        return post.state, number


def test_reviewer_claims_ticks_every_box_and_approves(page, in_review, live_app):
    expect = playwright_expect()
    sign_in(page, REVIEWER)
    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name="The best Python web frameworks in 2026, ranked").click()
    page.get_by_role("button", name="Claim it").click()
    expect(page.get_by_text("You are reviewing this post until")).to_have_count(2)  # flash, notice

    boxes = page.locator("input.check-item")
    # The bias, the criteria, the presentation, and two for each of 4 entries.
    expect(boxes).to_have_count(11)
    for box in boxes.all():
        with page.expect_response(lambda r: r.url.endswith("/decide") and r.status == 204):
            box.check()  # each tick is stored as it is made
    page.get_by_role("button", name="Approve revision 1").click()

    expect(
        page.get_by_text("Approved. The publisher will publish exactly this revision.")
    ).to_be_visible()
    assert page.url.endswith("/review/")
    assert _post(live_app, in_review) == (PostState.APPROVED, 1)


def test_reviewer_comments_on_an_entry_and_the_writer_answers_in_the_editor(
    page, in_review, live_app, writer
):
    expect = playwright_expect()
    note = "Name Quart in the note on when to pick something else than Flask."
    sign_in(page, REVIEWER)
    page.goto(f"/review/{in_review}")
    flask = page.locator("#entry-3")
    flask.locator("summary", has_text="Comment on Flask").click()
    flask.get_by_label("Comment on Flask").fill(note)
    flask.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Comment posted.")).to_be_visible()
    expect(page.locator("#entry-3 .comment-body")).to_have_text(note)
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_text("Sent back to the writer with your comments.")).to_be_visible()
    assert _post(live_app, in_review) == (PostState.CHANGES_REQUESTED, None)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, writer)
    page.goto(f"/posts/{in_review}/edit")
    entry = page.locator("#entries-2")  # Flask, third
    expect(entry.locator(".comment-body").first).to_have_text(note)
    expect(page.locator("#entries-0 .comment")).to_have_count(0)
    entry.locator("summary", has_text="Reply").click()
    entry.get_by_label("Your reply").fill("Done: the note names Quart now.")
    entry.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Reply posted.")).to_be_visible()
    entry = page.locator("#entries-2")
    expect(entry.locator(".reply .comment-body")).to_have_text("Done: the note names Quart now.")

    entry.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("Marked as resolved.")).to_be_visible()
    expect(page.locator("#entries-2")).to_contain_text("resolved by Wren Writer")
    with live_app.app_context():
        comment = db.session.scalar(sa.select(Comment).where(Comment.parent_id.is_(None)))
        assert comment.entry_name == "Flask" and comment.resolved_at is not None
        assert [reply.body for reply in comment.replies] == ["Done: the note names Quart now."]
