"""Sharing a preview in a real browser: the writer makes a link from the post's history, someone
with no account opens it in a browser of their own and reads that revision (not a later one),
the writer sees the view counted and revokes the link, and the link then shows nothing.
Each page is photographed and checked with axe-core; test_every_page looks at both pages at a
phone's width."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.models import Post, User, db
from editorial.operations import posts
from tests.conftest import sample
from tests.helpers.browser import playwright_expect, sign_in

TITLE = "The best Python web frameworks in 2026, ranked"
LATER_TITLE = "Python web frameworks, ranked again"


@pytest.fixture
def post_id(live_app: Any, writer: str) -> int:
    with live_app.app_context():
        author = db.session.scalar(sa.select(User).where(User.email == writer))
        post = posts.create_post(parse_post(sample()), author)
        db.session.commit()
        return post.id


def test_a_writer_shares_a_preview_and_revokes_it(
    page: Any, browser: Any, live_app: Any, live_server: str, writer: str, post_id: int, shots: Any
) -> None:
    expect = playwright_expect()
    sign_in(page, writer)
    page.goto(f"/posts/{post_id}/history")
    page.get_by_role("link", name="Share a preview").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Share a preview")
    shots(page, "share-page")
    page.get_by_label("30 days").check()
    page.get_by_role("button", name="Make a preview link").click()
    address = page.get_by_role("textbox", name="Preview link").input_value()
    assert re.fullmatch(rf"{live_server}/preview/prv_[A-Za-z0-9_-]{{43}}", address)
    expect(page.get_by_role("cell", name="Revision 1", exact=True)).to_be_visible()
    shots(page, "link-made")

    # The writer saves a revision 2 after sharing revision 1.
    with live_app.app_context():
        post = db.session.get(Post, post_id)
        later = {**post.current_revision.content, "title": LATER_TITLE}
        posts.save_revision(post, parse_post(later), post.author, base_revision=1)
        db.session.commit()

    # Someone with no account, in a browser of their own, reads revision 1 without the desk.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    stranger = context.new_page()
    errors: list[str] = []
    stranger.on("pageerror", lambda exc: errors.append(str(exc)))
    stranger.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    answer = stranger.goto(address)
    assert answer is not None and answer.status == 200
    expect(stranger.get_by_text("Preview — not published.")).to_be_visible()
    expect(stranger.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(stranger.get_by_text(LATER_TITLE)).to_have_count(0)
    expect(stranger.locator('meta[name="robots"]')).to_have_attribute("content", "noindex")
    for desk_link in ("My posts", "Notifications", "Sign out"):
        expect(stranger.get_by_text(desk_link, exact=True)).to_have_count(0)
    shots(stranger, "shared-preview")

    # The writer sees the view counted, and revokes the link.
    page.goto(f"/posts/{post_id}/previews")
    expect(page.get_by_role("cell", name="1 (last")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Revoke")).click()
    expect(page.get_by_text("it shows nothing now")).to_be_visible()
    expect(page.get_by_text("No live links")).to_be_visible()

    answer = stranger.goto(address)
    assert answer is not None and answer.status == 410
    expect(stranger.get_by_text("This preview link has expired or was withdrawn.")).to_be_visible()
    expect(stranger.get_by_text(TITLE)).to_have_count(0)
    shots(stranger, "withdrawn")
    context.close()
    # The browser reports the 410 itself as a failed load; nothing else may be in the console.
    assert [e for e in errors if "status of 410" not in e] == []
