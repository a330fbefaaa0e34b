"""The desk in a real browser: headless Debian Chromium driven by Playwright.

The app runs in a thread on a free port, on the run's test database, with CSRF on (the
``browser``, ``live_app``, ``live_server``, ``page`` and ``writer`` fixtures are in conftest).
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Post, User, db
from editorial.operations import posts
from tests.conftest import sample
from tests.helpers.browser import axe_violations, playwright_expect, sign_in

VERDICT = "It earns this place because it is quick to learn, well documented and dependable."


def fill_entry(page: Any, index: int, name: str, pick_else: str | None) -> None:
    entry = page.locator(f"#entries-{index}")
    entry.get_by_label("Name", exact=True).fill(name)
    entry.get_by_label("Verdict: why it earns this rank").fill(VERDICT)
    entry.get_by_label("Note on “Speed”").fill(f"{name} answers in a few milliseconds.")
    entry.get_by_label("Note on “Ecosystem”").fill(f"{name} has plenty of plugins.")
    if pick_else is not None:
        entry.get_by_label("When to pick something else instead").fill(pick_else)


class Held:
    """The page's requests to one address, held back until the test lets each one go: a slow
    network, on cue. ``holding`` off lets them through."""

    def __init__(self, page: Any, address: str, holding: bool = True) -> None:
        self.page = page
        self.holding = holding
        self.routes: list[Any] = []
        page.route(address, self._route)

    def _route(self, route: Any) -> None:
        if self.holding:
            self.routes.append(route)
        else:
            route.continue_()

    def wait_for(self, fields: dict[str, str] | None = None) -> Any:
        """The first held request (whose form has ``fields``), once the page has sent it."""
        for _ in range(500):
            for route in self.routes:
                sent = parse_qs(route.request.post_data or "", keep_blank_values=True)
                if all(sent.get(name) == [value] for name, value in (fields or {}).items()):
                    return route
            self.page.wait_for_timeout(20)
        raise AssertionError(f"no such request held; held: {[r.request.url for r in self.routes]}")


def saves_of(page: Any) -> list[str]:
    """The form's saves (POSTs to the editor) the page sends from now on, as they go."""
    sent: list[str] = []
    page.on(
        "request",
        lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/edit") else None,
    )
    return sent


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
    expect = playwright_expect()
    expect(page.locator("#entries-2-name")).to_be_focused()
    # The criteria declared above show up in the new entry too.
    expect(page.locator("#entries-2").get_by_label("Note on “Ecosystem”")).to_be_visible()

    fill_entry(page, 0, "Alpha", "Pick Bravo if you need a big plugin ecosystem.")
    fill_entry(page, 1, "Bravo", "Pick Alpha if startup speed matters most to you.")
    fill_entry(page, 2, "Charlie", None)

    # Autosave creates the post once it has a title, and says what it did and when; the
    # heading becomes the post's title.
    expect(page.locator("#save-status")).to_contain_text(
        re.compile(r"Draft autosaved \d{1,2}:\d\d.*, not yet a revision"), timeout=15_000
    )
    assert "/posts/" in page.url and page.url.endswith("/edit")
    expect(page.locator("main h1")).to_have_text("The best task runners in 2026, ranked")

    finding = page.locator("#findings a", has_text="Charlie")
    expect(finding.filter(has_text="when to pick something else")).to_be_visible()
    expect(page.locator("#submit-button")).to_be_disabled()

    # From here on the network is slow on cue: the writer's click comes while an autosave is
    # on its way and the findings for the last words typed are still to come back.
    saves = saves_of(page)
    autosaves = Held(page, "**/autosave")
    checks = Held(page, "**/posts/check", holding=False)

    # The finding's link takes the writer to the field it is about.
    finding.filter(has_text="when to pick something else").click()
    expect(page.locator("#entries-2-pick_else")).to_be_focused()
    note = "Pick Alpha if you want the fastest runner of the three."
    page.keyboard.type("Pick Alpha if you want the fastest")
    autosave = autosaves.wait_for()
    expect(page.locator("#findings")).not_to_contain_text("when to pick something else")
    submit = page.locator("#submit-button")
    expect(submit).to_be_enabled()

    checks.holding = True
    page.keyboard.type(" runner of the three.")
    findings = checks.wait_for({"entries-2-pick_else": note})

    # The writer double-clicks Submit; then the findings come back and replace the button,
    # and only then does the autosave answer. One save follows, carrying the autosave's
    # version and the whole note.
    clicked = submit.element_handle()
    submit.dblclick()
    findings.continue_()
    page.wait_for_function("button => !button.isConnected", arg=clicked)
    autosave.continue_()

    expect(page.get_by_text("Submitted for review")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw from review")).to_be_visible()
    assert len(saves) == 1
    assert len(autosaves.routes) == 1  # none after the click

    with live_app.app_context():
        post = db.session.scalar(sa.select(Post))
        assert post.state == PostState.IN_REVIEW
        content = post.current_revision.content
        assert [e["name"] for e in content["entries"]] == ["Alpha", "Bravo", "Charlie"]
        assert content["entries"][2]["pick_else"] == note
        assert [n["criterion"] for n in content["entries"][2]["criteria"]] == [
            "Speed",
            "Ecosystem",
        ]


@pytest.fixture
def draft(live_app: Any, writer: str) -> int:
    with live_app.app_context():
        author = db.session.scalar(sa.select(User).where(User.email == writer))
        post = posts.create_post(parse_post(sample()), author)
        db.session.commit()
        return post.id


def test_two_tabs_never_overwrite_each_other_silently(
    page: Any, writer: str, draft: int, live_app: Any
) -> None:
    expect = playwright_expect()
    sign_in(page, writer)
    other = page.context.new_page()
    page.goto(f"/posts/{draft}/edit")
    other.goto(f"/posts/{draft}/edit")

    page.get_by_label("Summary").fill("Written in the first tab.")
    expect(page.locator("#save-status")).to_contain_text("Draft autosaved", timeout=15_000)

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


# An autosave stores the change and clears the warning: if the module's 400 ms one fired
# before the tab closed (a slow machine), no dialog would come. Here it never fires.
@pytest.mark.parametrize(
    "live_app", [{"EDITOR_AUTOSAVE_MS": 600_000}], indirect=True, ids=["no-autosave"]
)
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
    # The dialog reaches Python while Playwright is waited on: wait until it has come, up to
    # a deadline, rather than a fixed time. A tab that closes without one fails the test
    # (Playwright's TargetClosedError from the wait, or the assertion below).
    deadline = time.monotonic() + 10
    while not dialogs and not page.is_closed() and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert dialogs == ["beforeunload"]


def blank_a_note(page: Any) -> None:
    """Empty the first entry's "when to pick something else": an error finding."""
    page.locator("#entries-0-summary").click()  # a complete entry's card starts folded
    page.locator("#entries-0").get_by_label("When to pick something else instead").fill("")


@pytest.mark.parametrize("button", ["Save", "Save and submit for review"])
def test_a_click_while_an_autosave_is_on_its_way_saves_once_after_it(
    page: Any, writer: str, draft: int, live_app: Any, button: str
) -> None:
    """The writer blanks a note and double-clicks at once: the autosave is on its way, and the
    findings that come back meanwhile swap Submit for a disabled one. One save follows the
    autosave; a submit is refused aloud."""
    expect = playwright_expect()
    sign_in(page, writer)
    page.goto(f"/posts/{draft}/edit")
    saves = saves_of(page)
    autosaves = Held(page, "**/autosave")
    checks = Held(page, "**/posts/check")

    blank_a_note(page)
    autosave = autosaves.wait_for()
    findings = checks.wait_for({"entries-0-pick_else": ""})
    submit = page.locator("#submit-button")
    expect(submit).to_be_enabled()  # the findings have not caught up yet
    clicked = submit.element_handle()
    page.get_by_role("button", name=button, exact=True).dblclick()
    findings.continue_()
    page.wait_for_function("button => !button.isConnected", arg=clicked)
    expect(submit).to_be_disabled()
    autosave.continue_()

    expect(page.get_by_text("Saved as revision 2.")).to_be_visible()
    refusal = page.get_by_text("Not submitted: Fix the 1 error finding(s)")
    expect(refusal).to_have_count(1 if button.endswith("review") else 0)
    assert len(saves) == 1
    assert len(autosaves.routes) == 1
    with live_app.app_context():
        post = db.session.get(Post, draft)
        assert post.state == PostState.DRAFT
        assert post.current_revision.number == 2
        assert not post.current_revision.content["entries"][0].get("pick_else")


def test_a_click_before_the_autosave_timer_fires_saves_once_and_no_autosave_follows(
    page: Any, writer: str, draft: int, live_app: Any
) -> None:
    expect = playwright_expect()
    sign_in(page, writer)
    page.goto(f"/posts/{draft}/edit")
    saves = saves_of(page)
    autosaves = Held(page, "**/autosave")

    # Typed and clicked twice in one go, so the autosave is certainly still waiting on its timer.
    page.evaluate(
        """text => {
          const summary = document.getElementById("summary");
          summary.value = text;
          summary.dispatchEvent(new Event("input", { bubbles: true }));
          const save = document.getElementById("save-button");
          save.click();
          save.click();
        }""",
        "Changed just before saving.",
    )

    expect(page.get_by_text("Saved as revision 2.")).to_be_visible()
    assert len(saves) == 1
    assert autosaves.routes == []  # the timer went with the click
    with live_app.app_context():
        revision = db.session.get(Post, draft).current_revision
        assert revision.content["summary"] == "Changed just before saving."


def test_submit_while_errors_are_listed_saves_and_says_what_blocks_it(
    page: Any, writer: str, draft: int, live_app: Any
) -> None:
    expect = playwright_expect()
    sign_in(page, writer)
    page.goto(f"/posts/{draft}/edit")
    saves = saves_of(page)

    blank_a_note(page)
    submit = page.locator("#submit-button")
    expect(submit).to_be_disabled()
    expect(submit).to_have_css("opacity", "0.5")
    expect(page.locator("#submit-hint")).to_have_text(
        "Fix the errors listed beside the form to submit."
    )
    # It looks and reads disabled, but a click on it is not lost: it saves, and the desk says
    # what blocks the review.
    submit.click(force=True)

    expect(page.get_by_text("Not submitted: Fix the 1 error finding(s)")).to_be_visible()
    expect(page.get_by_text("Saved as revision 2.")).to_be_visible()
    assert len(saves) == 1
    with live_app.app_context():
        assert db.session.get(Post, draft).state == PostState.DRAFT


def test_resized_text_areas_survive_adding_rows_without_a_csp_violation(
    page: Any, writer: str, draft: int
) -> None:
    """A text area the writer resized carries a style attribute; re-rendering the rows must
    not copy it back as an inline style, which the CSP refuses (an error in the console)."""
    expect = playwright_expect()
    sign_in(page, writer)
    page.goto(f"/posts/{draft}/edit")
    for area in page.locator("textarea").all()[:12]:
        area.evaluate("element => { element.style.height = '120px' }")  # as a drag does
    page.get_by_role("button", name="Add a takeaway").click()
    expect(page.locator("#takeaways-3")).to_be_focused()
    page.get_by_role("button", name="Add an entry").click()
    expect(page.locator("#entries-4-name")).to_be_focused()
    page.wait_for_timeout(300)  # a violation is reported after the swap settles


def test_the_accessibility_check_reports_a_violation_in_full(page: Any) -> None:
    """axe-core as the browser tests run it finds what it should, on every element: a page with
    two unlabelled fields is a violation naming both (no page of the desk is checked by a
    checker that would pass anything)."""
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Form</title></head><body><main>'
        '<h1>Form</h1><input id="first"><input id="second"></main></body></html>'
    )
    violations = axe_violations(page)
    assert len(violations) == 1 and violations[0].split(": ")[1].startswith("label (critical)")
    assert "#first" in violations[0] and "#second" in violations[0]
