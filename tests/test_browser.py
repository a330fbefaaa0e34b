"""The desk in a real browser: headless Debian Chromium driven by Playwright.

The app runs in a thread on a free port, on the run's test database, with CSRF on (the
``browser``, ``live_app``, ``live_server``, ``page`` and ``writer`` fixtures are in conftest).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from conftest import sample, sign_in
from editorial import operations
from editorial.interchange import parse_post
from editorial.models import Post, User, db
from editorial.workflow import PostState

VERDICT = "It earns this place because it is quick to learn, well documented and dependable."


def fill_entry(page: Any, index: int, name: str, pick_else: str | None) -> None:
    entry = page.locator(f"#entries-{index}")
    entry.get_by_label("Name", exact=True).fill(name)
    entry.get_by_label("Verdict: why it earns this rank").fill(VERDICT)
    entry.get_by_label("Note on “Speed”").fill(f"{name} answers in a few milliseconds.")
    entry.get_by_label("Note on “Ecosystem”").fill(f"{name} has plenty of plugins.")
    if pick_else is not None:
        entry.get_by_label("When to pick something else instead").fill(pick_else)


def test_writer_drafts_fixes_a_finding_and_submits(page: Any, writer: str, live_app: Any) -> None:
    sign_in(page, writer)
    page.get_by_role("link", name="New ranking").click()
    page.get_by_label("Title").fill("The best task runners in 2026, ranked")
    page.get_by_label("Summary").fill("Three task runners for small Python teams, ranked.")
    page.get_by_label("Your bias").fill("I maintain plugins for Bravo and was given nothing.")
    page.locator("#criteria-0").get_by_label("Name").fill("Speed")
    page.locator("#criteria-1").get_by_label("Name").fill("Ecosystem")

    # A third entry, added from the keyboard: the new row's name field takes the focus.
    page.get_by_role("button", name="Add an entry").focus()
    page.keyboard.press("Enter")
    expect = _expect()
    expect(page.locator("#entries-2-name")).to_be_focused()
    # The criteria declared above show up in the new entry too.
    expect(page.locator("#entries-2").get_by_label("Note on “Ecosystem”")).to_be_visible()

    fill_entry(page, 0, "Alpha", "Pick Bravo if you need a big plugin ecosystem.")
    fill_entry(page, 1, "Bravo", "Pick Alpha if startup speed matters most to you.")
    fill_entry(page, 2, "Charlie", None)

    # Autosave creates the post once it has a title, and says when it saved.
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=15_000)
    assert "/posts/" in page.url and page.url.endswith("/edit")

    finding = page.locator("#findings a", has_text="Charlie")
    expect(finding.filter(has_text="when to pick something else")).to_be_visible()
    expect(page.locator("#submit-button")).to_be_disabled()

    # The finding's link takes the writer to the field it is about.
    finding.filter(has_text="when to pick something else").click()
    expect(page.locator("#entries-2-pick_else")).to_be_focused()
    page.keyboard.type("Pick Alpha if you want the fastest runner of the three.")

    expect(page.locator("#findings")).not_to_contain_text("when to pick something else")
    expect(page.locator("#submit-button")).to_be_enabled()
    page.locator("#submit-button").click()

    expect(page.get_by_text("Submitted for review")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw from review")).to_be_visible()

    with live_app.app_context():
        post = db.session.scalar(sa.select(Post))
        assert post.state == PostState.IN_REVIEW
        content = post.current_revision.content
        assert [e["name"] for e in content["entries"]] == ["Alpha", "Bravo", "Charlie"]
        assert content["entries"][2]["pick_else"].startswith("Pick Alpha")
        assert [n["criterion"] for n in content["entries"][2]["criteria"]] == [
            "Speed",
            "Ecosystem",
        ]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def draft(live_app: Any, writer: str) -> int:
    with live_app.app_context():
        author = db.session.scalar(sa.select(User).where(User.email == writer))
        post = operations.create_post(parse_post(sample()), author)
        db.session.commit()
        return post.id


def test_two_tabs_never_overwrite_each_other_silently(
    page: Any, writer: str, draft: int, live_app: Any
) -> None:
    expect = _expect()
    sign_in(page, writer)
    other = page.context.new_page()
    page.goto(f"/posts/{draft}/edit")
    other.goto(f"/posts/{draft}/edit")

    page.get_by_label("Summary").fill("Written in the first tab.")
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=15_000)

    # The second tab started from the same revision but never saw that autosave.
    other.get_by_label("Summary").fill("Written in the second tab.")
    expect(other.locator("#save-status")).to_contain_text("another window", timeout=15_000)

    # Saving shows both versions side by side, keeps the second tab's text, saves nothing.
    other.get_by_role("button", name="Save", exact=True).click()
    expect(other.get_by_role("heading", name="Not saved: someone else saved first")).to_be_visible()
    expect(other.locator(".conflict ins")).to_contain_text("second")
    expect(other.get_by_label("Summary")).to_have_value("Written in the second tab.")
    with live_app.app_context():
        assert db.session.get(Post, draft).current_revision.number == 1

    # Having seen the difference, the writer saves again on purpose: that one goes through.
    other.get_by_role("button", name="Save", exact=True).click()
    expect(other.get_by_text("Saved as revision 2")).to_be_visible()
    with live_app.app_context():
        revision = db.session.get(Post, draft).current_revision
        assert revision.content["summary"] == "Written in the second tab."


def test_leaving_with_unsaved_changes_warns(page: Any, writer: str, draft: int) -> None:
    sign_in(page, writer)
    page.goto(f"/posts/{draft}/edit")
    dialogs: list[str] = []

    def answer(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.get_by_label("Summary").press_sequentially("x")
    page.close(run_before_unload=True)
    page.wait_for_timeout(200)
    assert dialogs == ["beforeunload"]
