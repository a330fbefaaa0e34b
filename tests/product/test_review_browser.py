"""Reviewing in a real browser: headless Debian Chromium driven by Playwright, against the app
served from a thread with CSRF on (the fixtures are in conftest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Comment, Post, Role, User, db
from editorial.operations import accounts, comments, posts, review
from tests.conftest import PASSWORD, sample
from tests.helpers.browser import playwright_expect, sign_in
from tests.helpers.review import keys, longer_flask_verdict, revise_and_resubmit

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


@pytest.fixture
def reviewed_again(live_app: Any, in_review: int) -> int:
    """The post back in review after Rhea asked for changes with every box ticked and the
    writer lengthened Flask's verdict (so Flask's and the post's ticks show as changed), with
    a comment on the whole post, one on Flask with the writer's answer, and Rhea's claim."""
    with live_app.app_context():
        post = db.session.get(Post, in_review)
        rhea = db.session.scalar(sa.select(User).where(User.email == REVIEWER))
        review.request_changes(post, rhea, set(keys(post)), "Flask's verdict undersells it.", 1)
        db.session.commit()
        revise_and_resubmit(post, longer_flask_verdict)
        comments.add_comment(post, rhea, "The summary promises five frameworks; there are four.")
        thread = comments.add_comment(post, rhea, "Which extensions did you count?", "Flask")
        comments.add_comment(post, post.author, "The ten most downloaded.", parent=thread)
        review.claim(post, rhea, 30)
        db.session.commit()
        return post.id


def _box(page: Any, selector: str) -> dict[str, float]:
    return page.locator(selector).bounding_box()


def _overlaps(page: Any) -> list[str]:
    """Pairs of things on the page drawn over each other where the reader is now: any part of
    the decision bar over anything outside it, and any checklist label over another."""
    return page.evaluate(
        """() => {
          const visible = (el) => { const r = el.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
          const meet = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
                                 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
          const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                               + ' "' + (el.textContent || el.value || '').trim().slice(0, 40)
                               + '"';
          const found = [];
          const bar = document.querySelector('#decision');
          const mine = [...bar.querySelectorAll('*')].filter(visible);
          const others = [...document.querySelectorAll(
              'main p, main label, main li, main dt, main dd, main h1, main h2, main h3, main h4,'
              + ' main input, main textarea, main button, main summary, main legend, main a')]
            .filter((el) => !bar.contains(el) && visible(el));
          for (const el of mine) for (const other of others)
            if (meet(el.getBoundingClientRect(), other.getBoundingClientRect()))
              found.push(name(el) + ' over ' + name(other));
          const labels = [...document.querySelectorAll('.check-label')].filter(visible);
          labels.forEach((a, i) => labels.slice(i + 1).forEach((b) => {
            if (meet(a.getBoundingClientRect(), b.getBoundingClientRect()))
              found.push(name(a) + ' over ' + name(b)); }));
          for (const mark of document.querySelectorAll('.changed-mark')) {
            const label = mark.closest('.check-label');
            for (const other of labels) if (other !== label
                && meet(mark.getBoundingClientRect(), other.getBoundingClientRect()))
              found.push(name(mark) + ' over ' + name(other));
          }
          return found;
        }"""
    )


def _past_the_right_edge(page: Any) -> list[str]:
    """What in the page's content (``main``) reaches past the window's right edge and so makes
    the page scroll sideways; what scrolls inside a box of its own (a wide table) aside. The
    whole document, header included, is measured on every desk page in test_every_page.py."""
    return page.evaluate(
        """() => {
          const width = window.innerWidth;
          const clipped = (el) => { for (let up = el.parentElement; up; up = up.parentElement)
              if (getComputedStyle(up).overflowX !== 'visible') return true;
            return false; };
          return [document.querySelector('main'), ...document.querySelectorAll('main *')]
            .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !clipped(el))
            .map((el) => el.tagName.toLowerCase() + '.' + el.className + ' "'
                         + (el.textContent || '').trim().slice(0, 30) + '"').slice(0, 10);
        }"""
    )


def _overlaps_anywhere(page: Any) -> list[str]:
    """``_overlaps`` with the page scrolled to its top, its middle and its end."""
    height = page.evaluate("() => document.documentElement.scrollHeight")
    found = []
    for y in (0, height // 2, height):
        page.evaluate("(y) => window.scrollTo(0, y)", y)
        found += _overlaps(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    return found


def test_the_review_page_reads_the_post_with_each_checklist_beside_its_entry(
    page, reviewed_again, live_app, shots
):
    expect = playwright_expect()
    sign_in(page, REVIEWER)
    page.goto(f"/review/{reviewed_again}")
    # The post is in the page itself, at full height: no frame to scroll inside.
    expect(page.locator("iframe")).to_have_count(0)
    expect(page.locator("#entry-3 .verdict")).to_contain_text(
        "Its documentation is the best of the four."
    )
    expect(page.locator("#entry-3 .comment-body").first).to_have_text(
        "Which extensions did you count?"
    )
    expect(page.locator("#entry-3 .reply .comment-body")).to_have_text("The ten most downloaded.")
    expect(page.locator("#post-overview .comment-body")).to_have_text(
        ["Flask's verdict undersells it.", "The summary promises five frameworks; there are four."]
    )
    expect(page.locator("#entry-3 .changed-mark")).to_have_count(2)
    expect(page.locator("#entry-1 input.check-item:checked")).to_have_count(2)  # unchanged
    shots(page, "review-1280")

    ranks = page.locator(".review-row[id^=entry-]").count()
    assert ranks == 4
    for rank in range(1, ranks + 1):
        text, checks = (
            _box(page, f"#entry-{rank} .review-read"),
            _box(page, f"#entry-{rank} .review-checks"),
        )
        assert checks["x"] >= text["x"] + text["width"], f"entry {rank}: checklist not beside it"
        assert checks["y"] < text["y"] + text["height"], f"entry {rank}: checklist below it"
        assert checks["width"] >= 300, f"entry {rank}: checklist squeezed"
    assert _overlaps_anywhere(page) == []

    # Ticking still saves as it is made, and approving with a time says when it goes live.
    unticked = page.locator("input.check-item:not(:checked)")
    for key in [box.get_attribute("value") for box in unticked.all()]:
        with page.expect_response(lambda r: r.url.endswith("/decide") and r.status == 204):
            page.locator(f'input.check-item[value="{key}"]').check()
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    expect(page.locator("input.check-item:not(:checked)")).to_have_count(0)
    shots(page, "review-375")
    assert _past_the_right_edge(page) == []
    for rank in range(1, ranks + 1):
        text, checks = (
            _box(page, f"#entry-{rank} .review-read"),
            _box(page, f"#entry-{rank} .review-checks"),
        )
        assert checks["y"] >= text["y"] + text["height"], f"entry {rank}: checklist not under it"
        assert checks["x"] + checks["width"] <= 375
    assert _overlaps_anywhere(page) == []

    when = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    page.get_by_label("Publish at (UTC; leave empty to publish on approval)").fill(
        f"{when:%Y-%m-%dT%H:%M}"
    )
    page.get_by_role("button", name="Approve revision 2").click()
    live = (
        f"Approved. The publisher will publish exactly this revision at {when:%Y-%m-%d %H:%M} UTC."
    )
    expect(page.get_by_text(live)).to_be_visible()
    assert _post(live_app, reviewed_again) == (PostState.APPROVED, 2)


def test_a_reviewer_reads_why_they_cannot_decide_under_someone_elses_claim(
    page, reviewed_again, live_app, shots
):
    expect = playwright_expect()
    with live_app.app_context():
        accounts.create_user("rob@example.com", "Rob Reviewer", PASSWORD, [Role.REVIEWER])
        db.session.commit()
    sign_in(page, "rob@example.com")
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"/review/{reviewed_again}")
    expect(page.locator("#why-no-decision")).to_contain_text(
        "Rhea Reviewer is reviewing this post until"
    )
    expect(page.get_by_role("button", name="Approve revision 2")).to_have_count(0)
    expect(page.get_by_role("button", name="Request changes")).to_have_count(0)
    expect(page.locator("input.check-item:disabled")).to_have_count(11)
    shots(page, "review-claimed-375")
    assert _past_the_right_edge(page) == []
    assert _overlaps_anywhere(page) == []

    # A scored post with a disclosure, a sponsored entry, evidence, pros and cons reads as well.
    with live_app.app_context():
        content = sample("backend-frameworks-2026")
        content["entries"][3]["link"] = "sponsored"
        author = db.session.scalar(sa.select(Post).where(Post.id == reviewed_again)).author
        scored = posts.create_post(parse_post(content), author)
        posts.submit_for_review(scored, author)
        db.session.commit()
        scored_id = scored.id
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/review/{scored_id}")
    expect(page.locator("#entry-1 .total")).to_have_text("Weighted score: 8.3 of 10")
    expect(page.locator("#entry-4 .paid")).to_contain_text("sponsored link")
    expect(page.locator("#post-overview .disclosure")).to_contain_text("affiliate link")
    shots(page, "review-scored-1280")
    for rank in range(1, 5):
        text, checks = (
            _box(page, f"#entry-{rank} .review-read"),
            _box(page, f"#entry-{rank} .review-checks"),
        )
        assert checks["x"] >= text["x"] + text["width"], f"entry {rank}: checklist not beside it"
    assert _overlaps_anywhere(page) == []
