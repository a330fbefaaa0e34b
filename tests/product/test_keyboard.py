"""The whole path from a draft to an approved post with the keyboard only: Tab (and Shift+Tab)
to move, Enter and Space to press, typing to write. No clicks, so every control on the way
is reachable and usable without a mouse."""

from __future__ import annotations

from typing import Any

import pytest

from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Post, Role, db
from editorial.operations import accounts, posts
from tests.conftest import PASSWORD, sample
from tests.helpers.browser import playwright_expect

WRITER, REVIEWER = "wren@example.com", "rhea@example.com"
TITLE = "The best Python web frameworks in 2026, ranked"
SUMMARY = "Four Python web frameworks for a small team, ranked by a maintainer."
MOST_TABS = 400  # more presses than any desk page has controls


def is_focused(target: Any) -> bool:
    return bool(target.evaluate("e => e === document.activeElement"))


def tab_to(page: Any, target: Any) -> None:
    """Press Tab until ``target`` has the keyboard focus; fail if it never gets it."""
    target.wait_for(state="visible")
    for _ in range(MOST_TABS):
        if is_focused(target):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def sign_in(page: Any, email: str) -> None:
    expect = playwright_expect()
    page.goto("/login")  # typed into the address bar
    tab_to(page, page.get_by_label("E-mail"))
    page.keyboard.type(email)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page: Any) -> None:
    tab_to(page, page.get_by_role("button", name="Sign out"))
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.fixture
def draft(live_app: Any) -> int:
    """A writer's complete draft, and a reviewer; the draft's id."""
    with live_app.app_context():
        writer = accounts.create_user(WRITER, "Wren Writer", PASSWORD, [Role.WRITER])
        accounts.create_user(REVIEWER, "Rhea Reviewer", PASSWORD, [Role.REVIEWER])
        post = posts.create_post(parse_post(sample()), writer)
        db.session.commit()
        return post.id


def test_write_submit_claim_and_approve_with_the_keyboard_only(
    page: Any, draft: int, live_app: Any
) -> None:
    expect = playwright_expect()
    # A mouse button pressed anywhere would be a console error, which fails the test.
    page.add_init_script(
        "addEventListener('mousedown', () => console.error('pressed a mouse button'), true)"
    )

    # The writer opens the draft from the desk, rewrites its summary and submits it.
    sign_in(page, WRITER)
    tab_to(page, page.get_by_role("link", name=TITLE).first)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.get_by_label("Summary")
    tab_to(page, summary)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(SUMMARY)
    tab_to(page, page.get_by_role("button", name="Save and submit for review"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Submitted for review").first).to_be_visible()
    sign_out(page)

    # The reviewer finds it in the queue, claims it, ticks every box and approves it.
    sign_in(page, REVIEWER)
    tab_to(page, page.get_by_role("link", name="Review queue"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name=TITLE).first)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Claim it"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("You are reviewing this post until").first).to_be_visible()

    boxes = page.locator("input.check-item")
    expect(boxes).to_have_count(11)  # the bias, the criteria, the presentation, 2 × 4 entries
    for box in boxes.all():
        tab_to(page, box)
        with page.expect_response(lambda r: r.url.endswith("/decide") and r.status == 204):
            page.keyboard.press("Space")
        expect(box).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Approve revision 2"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(
        page.get_by_text("Approved. The publisher will publish exactly this revision.")
    ).to_be_visible()

    with live_app.app_context():
        post = db.session.get(Post, draft)
        assert post.state == PostState.APPROVED
        assert post.approved_revision.number == 2
        assert post.approved_revision.content["summary"] == SUMMARY
