"""Weights and scores as one grid in the editor, and who ranks first under which weighting in
the editor and on the review page (issue 18, points 1 and 3). Through the test client, with
real CSRF on; tests/product/test_score_grid_browser.py types into the grid in a browser."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import sample
from tests.helpers.desk import edit_url, fresh, open_editor, press

pytestmark = pytest.mark.csrf

CRITERIA = ["Performance", "Ecosystem maturity", "Ownership"]
ENTRIES = ["Django", "Ruby on Rails", "FastAPI", "Spring Boot"]


@pytest.fixture
def scored(writer, create_post):
    return create_post(writer, sample("backend-frameworks-2026"))


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def grid(page: str) -> str:
    found = re.search(r'<section id="scores".*?</section>', page, re.S)
    assert found, "no weights-and-scores section in the editor"
    return found.group(0)


def labels(page: str) -> dict[str, str]:
    """Each input's accessible name in the grid, from its aria-labelledby ids."""
    names = {
        m.group(1): text(m.group(2))
        for m in re.finditer(r'<(?:th|span)[^>]* id="(grid-[^"]+)"[^>]*>(.*?)</(?:th|span)>', page)
    }
    out = {}
    for m in re.finditer(r'<input id="([^"]+)"[^>]*aria-labelledby="([^"]+)"', grid(page)):
        out[m.group(1)] = " ".join(names[i] for i in m.group(2).split())
    return out


def weightings(browser, fields: dict[str, str]) -> str:
    response = browser.post("/posts/weightings", data=fields, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return text(response.text)


def test_the_grid_holds_a_weight_per_criterion_and_a_score_per_entry_and_criterion(browser, scored):
    page = browser.get(edit_url(scored)).text
    shown = grid(page)
    assert re.search(r'<details class="scores-card" open>', shown), "a scored post opens the grid"
    headers = re.findall(r'<th scope="col" id="grid-c\d+">(.*?)</th>', shown, re.S)
    assert [text(h) for h in headers] == CRITERIA
    rows = re.findall(r'<th scope="row" id="grid-e\d+">(.*?)</th>', shown, re.S)
    assert [text(r) for r in rows] == [f"#{n} {name}" for n, name in enumerate(ENTRIES, 1)]
    names = labels(page)
    assert names["criteria-0-weight"] == "Weight on Performance"
    assert names["entries-2-criteria-1-score"] == "Score of #3 FastAPI on Ecosystem maturity"
    # Each value appears once, in the grid: the cards no longer repeat them.
    for field in ("criteria-0-weight", "entries-0-criteria-0-score", "scale_max"):
        assert page.count(f'id="{field}"') == 1 and f'id="{field}"' in shown
    fields = open_editor(browser, scored)
    assert [fields[f"criteria-{i}-weight"] for i in range(3)] == ["25", "40", "35"]


def test_a_post_without_scores_keeps_the_grid_folded_and_asks_nothing(browser, post):
    shown = grid(browser.get(edit_url(post)).text)
    assert '<details class="scores-card" >' in shown
    assert 'hx-trigger="scores-changed from:body' in shown  # no request when the page opens


def test_scores_typed_in_the_grid_are_saved(browser, scored):
    fields = open_editor(browser, scored)
    fields["entries-3-criteria-1-score"] = "9,5"
    fields["criteria-2-weight"] = "0"
    assert press(browser, edit_url(scored), fields, action="save").status_code == 302
    content = fresh(scored).current_revision.content
    assert content["entries"][3]["criteria"][1]["score"] == 9.5
    assert content["criteria"][2]["weight"] == 0


def test_a_bad_score_is_shown_in_its_cell_with_the_text_kept(browser, scored):
    fields = open_editor(browser, scored)
    fields["entries-1-criteria-2-score"] = "ten"
    response = press(browser, edit_url(scored), fields, action="save")
    assert response.status_code == 422
    cell = re.search(
        r'<input id="entries-1-criteria-2-score"[^>]*>\s*<p class="error"[^>]*>([^<]*)</p>',
        grid(response.text),
    )
    assert cell and "A number" in cell.group(1)
    assert 'value="ten"' in cell.group(0) and 'aria-invalid="true"' in cell.group(0)


def test_the_editor_says_who_ranks_first_under_which_weighting(browser, scored):
    fields = open_editor(browser, scored)
    said = weightings(browser, fields)
    assert "Django ranks first under the author's weights." in said
    assert re.search(r"FastAPI ranks first when Performance weighs at least [\d.]+ %", said)
    assert "Spring Boot cannot rank first under any weighting of these criteria." in said
    assert "1 of 4 can never rank first" in said
    assert said.index("Django") < said.index("Ruby on Rails") < said.index("FastAPI")

    # Unsaved weights count: all on performance, FastAPI is first as they stand.
    fields.update({"criteria-0-weight": "1", "criteria-1-weight": "0", "criteria-2-weight": "0"})
    assert "FastAPI ranks first under the author's weights." in weightings(browser, fields)


def test_the_editor_says_what_who_wins_needs_when_it_cannot_tell(browser, scored, post):
    fields = open_editor(browser, scored)
    fields["entries-0-criteria-0-score"] = ""  # a weighted criterion without a score
    assert "every entry a score on each weighted criterion" in weightings(browser, fields)
    fields["entries-0-criteria-0-score"] = "lots"
    assert "Fix the fields marked as not valid" in weightings(browser, fields)
    assert "Give at least one criterion a weight" in weightings(browser, open_editor(browser, post))


def test_the_review_page_lists_who_ranks_first_for_every_entry(desk, people):
    from tests.helpers.review import submitted

    post = submitted(people["writer"], "backend-frameworks-2026")
    page = desk("rhea").get(f"/review/{post.id}").text
    overview = re.search(r'id="post-overview".*?</section>', page, re.S).group(0)
    listed = re.findall(r'<li value="(\d)"[^>]*><a href="#entry-(\d)">(.*?)</a>', overview)
    assert [(v, e) for v, e, _ in listed] == [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4")]
    assert text(listed[3][2]) == (
        "Spring Boot cannot rank first under any weighting of these criteria."
    )
    assert text(listed[1][2]).startswith("Ruby on Rails ranks first when ")
