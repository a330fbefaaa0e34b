"""The editor for long rankings in a real browser: cards that fold to one line, the outline
beside the form, rows moved from the keyboard and by dragging, findings that name their field
and a taken slug found while typing; at 1280 and 375 px, each state photographed and checked
with axe-core (the ``shots`` fixture). Two tests, so that the module stays quick."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.models import Post, User, db
from editorial.operations import posts
from tests.conftest import sample
from tests.helpers.browser import playwright_expect, sign_in

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
NAMES = ["Django", "FastAPI", "Flask", "Litestar", "Pyramid", "Quart", "Sanic", "Starlette"]


def long_ranking() -> dict[str, Any]:
    """The sample ranking with eight entries, every one complete (no error findings)."""
    content = sample()
    model = content["entries"]
    entries = []
    for rank, name in enumerate(NAMES, start=1):
        entry = copy.deepcopy(model[(rank - 1) % len(model)])
        entry.update(rank=rank, name=name, url=f"https://example.org/{name.lower()}")
        others = [n for n in NAMES if n != name]
        entry["pick_else"] = f"Pick {others[0]} if you want a smaller framework to learn first."
        entries.append(entry)
    content["entries"] = entries
    return content


@pytest.fixture
def long_post(live_app: Any, writer: str) -> int:
    with live_app.app_context():
        author = db.session.scalar(sa.select(User).where(User.email == writer))
        post = posts.create_post(parse_post(long_ranking()), author)
        db.session.commit()
        return post.id


def scroll_width(page: Any) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def page_height(page: Any) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


def entry_names(page: Any) -> list[str]:
    return page.locator("#entries fieldset.card .card-title [data-echo]").all_inner_texts()


def test_a_long_ranking_folds_to_two_screens_and_moves_rows_from_the_keyboard(
    page: Any, writer: str, long_post: int, live_app: Any, shots: Any
) -> None:
    expect = playwright_expect()
    sign_in(page, writer)
    page.goto(f"/posts/{long_post}/edit")
    cards = page.locator("#post-form fieldset.card > details")
    # The post's own fields open; every row is complete, so every row's card starts folded,
    # each to one line that says where the entry stands.
    expect(cards).to_have_count(1 + 3 + 8 + 3 + 3)
    open_cards = page.locator("#post-form fieldset.card > details[open]")
    expect(open_cards).to_have_count(1)
    expect(page.get_by_label("Summary")).to_be_visible()
    expect(page.locator("#entries-1-summary")).to_have_text(
        "#2 FastAPI · 3 of 3 criteria · pick-else ✓"
    )
    page.get_by_role("button", name="Fold all", exact=True).click()
    expect(open_cards).to_have_count(0)
    height = page_height(page)
    assert height <= 2 * DESKTOP["height"], f"folded, the editor is {height} px long"
    # The save bar stays one short line.
    bar = page.locator(".editor-actions").bounding_box()
    assert bar["height"] <= 70
    # The outline lists every entry, and takes the writer to it.
    outline = page.get_by_role("navigation", name="Outline")
    expect(outline.get_by_role("link", name=re.compile(r"^#\d "))).to_have_count(8)
    shots(page, "folded-1280")

    outline.get_by_role("link", name=re.compile("^#5 Pyramid")).click()
    expect(page.locator("#entries-4-summary")).to_be_focused()
    page.keyboard.press("Enter")  # unfolds it
    expect(page.locator("#entries-4 > details")).to_have_attribute("open", "")
    expect(page.locator("#entries-4").get_by_label("Name", exact=True)).to_have_value("Pyramid")
    page.get_by_role("button", name="Unfold all", exact=True).click()
    assert page.locator("#post-form fieldset.card > details:not([open])").count() == 0
    shots(page, "unfolded-1280")
    page.get_by_role("button", name="Fold all", exact=True).click()

    # Moving a row from the keyboard: the compact buttons carry the entry's name, and the
    # focus stays on the button so that pressing it again keeps moving the same entry.
    page.get_by_role("button", name="Move Flask up").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#entries-1-summary")).to_contain_text("#2 Flask")
    expect(page.get_by_role("button", name="Move Flask up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#entries-0-summary")).to_contain_text("#1 Flask")
    expect(page.get_by_role("button", name="Move Flask down")).to_be_focused()
    assert entry_names(page)[:3] == ["Flask", "Django", "FastAPI"]
    # The cards kept their folding, and the outline follows the new order.
    assert page.locator("#post-form fieldset.card > details[open]").count() == 0
    expect(page.locator("#findings .outline-entries a").first).to_contain_text("#1 Flask")

    # Dragging a card by its handle moves it too, and the focus lands on it.
    page.locator("#entries-3 .drag-handle").drag_to(page.locator("#entries-0-summary"))
    expect(page.locator("#entries-0-summary")).to_contain_text("#1 Litestar")
    expect(page.locator("#entries-0-summary")).to_be_focused()
    order = ["Litestar", "Flask", "Django", "FastAPI", "Pyramid"]
    assert entry_names(page)[:5] == order

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved as revision 2.")).to_be_visible()
    with live_app.app_context():
        content = db.session.get(Post, long_post).current_revision.content
        assert [e["name"] for e in content["entries"]][:5] == order

    # On a phone: nothing scrolls sideways, folded or not.
    page.set_viewport_size(PHONE)
    page.reload()
    assert scroll_width(page) == PHONE["width"]
    shots(page, "folded-375")
    page.locator("#entries-0-summary").click()
    page.locator("#entries-3-summary").click()
    assert scroll_width(page) == PHONE["width"]
    shots(page, "unfolded-375")


def test_findings_name_their_field_and_a_taken_slug_is_found_while_typing(
    page: Any, writer: str, long_post: int, live_app: Any, shots: Any
) -> None:
    expect = playwright_expect()
    with live_app.app_context():
        author = db.session.scalar(sa.select(User).where(User.email == writer))
        other = sample("static-site-generators-2026")
        posts.create_post(parse_post(other), author)
        db.session.commit()
    sign_in(page, writer)
    page.goto(f"/posts/{long_post}/edit")
    findings = page.locator("#findings")
    expect(page.locator("#submit-button")).to_be_enabled()
    expect(findings).not_to_contain_text("already taken")

    page.get_by_label("Slug").fill("static-site-generators-2026")
    expect(findings).to_contain_text(
        'The slug "static-site-generators-2026" is already taken by another post.'
    )
    page.get_by_label("Title").fill("T" * 250)
    expect(findings).to_contain_text("Title: at most 200 characters; this has 250.")
    page.locator("#entries-2").get_by_label("Web address", exact=True).evaluate(
        "(field) => { field.value = 'ftp://example.org'; "
        "field.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    expect(findings).to_contain_text('Entry #3 "Flask", web address: this must be a web address')
    # The entry's card says how many findings it has, and so does the outline.
    expect(page.locator("#entries-2-summary")).to_contain_text("· 1 finding")
    expect(page.locator("#submit-button")).to_be_disabled()
    shots(page, "findings-1280")

    # A finding's link unfolds the card it is about and puts the focus in the field.
    page.get_by_role("button", name="Fold all", exact=True).click()
    findings.get_by_role("link", name=re.compile("web address")).click()
    expect(page.locator("#entries-2-url")).to_be_focused()

    page.set_viewport_size(PHONE)
    assert scroll_width(page) == PHONE["width"]
    shots(page, "findings-375")
