"""The editor's grid of weights and scores in a real browser (issue 18, points 1 and 3): the
arrow keys and Enter move between cells, each entry's weighted total follows what is typed,
and who ranks first under which weighting is asked again when a weight or a score changes;
at 1280 and 375 px, photographed and checked with axe-core (the ``shots`` fixture)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.models import Post, User, db
from editorial.operations import posts
from tests.conftest import sample
from tests.helpers.browser import playwright_expect, sign_in

PHONE = {"width": 375, "height": 812}


def cell_named(page: Any, name: str) -> Any:
    """A grid cell's input, by the name a screen reader gives it."""
    return page.get_by_role("textbox", name=name, exact=True)


@pytest.fixture
def scored_post(live_app: Any, writer: str) -> int:
    with live_app.app_context():
        author = db.session.scalar(sa.select(User).where(User.email == writer))
        post = posts.create_post(parse_post(sample("backend-frameworks-2026")), author)
        db.session.commit()
        return post.id


def test_scores_are_typed_in_a_grid_from_the_keyboard(
    page: Any, writer: str, scored_post: int, live_app: Any, shots: Any
) -> None:
    expect = playwright_expect()
    sign_in(page, writer)
    page.goto(f"/posts/{scored_post}/edit")
    grid = page.get_by_role("table", name="Each entry's score")
    totals = grid.locator("output[data-total]")
    expect(totals).to_have_text(["8.3", "8", "7.5", "6.6"])
    who = page.locator("#weightings")
    expect(who).to_contain_text("Django ranks first under the author's weights.")
    expect(who).to_contain_text("Spring Boot cannot rank first under any weighting")
    shots(page, "grid-1280")

    # Each cell is named by its entry and criterion; the arrow keys and Enter move between them.
    cell = cell_named(page, "Score of #3 FastAPI on Performance")
    cell.focus()
    page.keyboard.press("ArrowDown")
    expect(cell_named(page, "Score of #4 Spring Boot on Performance")).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")  # from the end of its text: the next criterion
    expect(cell_named(page, "Score of #4 Spring Boot on Ecosystem maturity")).to_be_focused()
    page.keyboard.press("Shift+Enter")
    focused = cell_named(page, "Score of #3 FastAPI on Ecosystem maturity")
    expect(focused).to_be_focused()
    page.keyboard.press("ArrowLeft")  # the text is selected on arrival: Left only collapses it
    page.keyboard.press("Home")
    page.keyboard.press("ArrowLeft")
    expect(cell).to_be_focused()

    # Typing a score: its total follows at once. Enter moves on rather than saving the post.
    page.keyboard.press("Control+a")
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    expect(cell_named(page, "Score of #4 Spring Boot on Performance")).to_be_focused()
    expect(totals.nth(2)).to_have_text("7.75")
    expect(page.locator("#save-status")).not_to_contain_text("Saved")
    # The weights sit on top of their columns; a changed one asks again who ranks first.
    cell_named(page, "Weight on Performance").fill("200")
    expect(totals.nth(2)).to_have_text("9.18")
    expect(who).to_contain_text("FastAPI ranks first under the author's weights.")
    cell_named(page, "Weight on Performance").fill("0")
    expect(totals).to_have_text(["9.07", "9", "7", "6.13"])
    expect(who).to_contain_text("Django ranks first under the author's weights.")
    shots(page, "grid-typed-1280")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved as revision 2.")).to_be_visible()
    with live_app.app_context():
        content = db.session.get(Post, scored_post).current_revision.content
        assert content["entries"][2]["criteria"][0]["score"] == 10
        assert content["criteria"][0]["weight"] == 0

    # On a phone the grid scrolls sideways inside itself; the page does not.
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("() => document.documentElement.scrollWidth") == PHONE["width"]
    shots(page, "grid-375")
