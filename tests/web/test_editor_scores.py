"""The editor carries everything a scored, sponsored, dated post holds (issue 18): weights,
the scale, scores, evidence, pros, cons, the kind of link, override notes, the disclosure and
the review-by day survive a save, can be typed, and bad numbers are refused beside their field
with the text kept. Through the test client, with real CSRF on."""

from __future__ import annotations

import pytest

from tests.conftest import sample
from tests.helpers.desk import (
    edit_url,
    error_next_to,
    fresh,
    open_editor,
    press,
    rerendered,
    revision_numbers,
)

pytestmark = pytest.mark.csrf


@pytest.fixture
def scored(writer, create_post):
    content = sample("backend-frameworks-2026")
    content["review_by"] = "2027-06-30"
    content["entries"][3]["link"] = "sponsored"
    content["entries"][3]["override"] = "Kept last for **small teams**."
    return create_post(writer, content)


def test_a_scored_post_saved_unchanged_keeps_every_field(browser, scored):
    before = fresh(scored).current_revision.content
    fields = open_editor(browser, scored)
    assert fields["criteria-0-weight"] == "25"
    assert fields["entries-0-criteria-1-score"] == "10"
    assert (fields["scale_min"], fields["scale_max"]) == ("0", "10")
    assert fields["entries-3-link"] == "sponsored"
    assert fields["entries-0-pros"].splitlines() == before["entries"][0]["pros"]
    # A changed title, so that Save makes a revision; everything else must come back as it was.
    fields["title"] = before["title"] + " (revised)"
    assert press(browser, edit_url(scored), fields, action="save").status_code == 302
    after = fresh(scored).current_revision.content
    assert after == {**before, "title": before["title"] + " (revised)"}


def test_scores_and_weights_typed_in_the_editor_are_saved(browser, post):
    fields = open_editor(browser, post)
    fields.update(
        {
            "criteria-0-weight": "50",
            "criteria-1-weight": "30,5",
            "criteria-2-weight": "19.5",
            "scale_min": "0",
            "scale_max": "5",
            "entries-0-criteria-0-score": "4.5",
            "entries-0-criteria-0-evidence": "https://example.org/a\n\nhttps://example.org/b",
            "entries-1-pros": "Fast\nSmall",
            "entries-1-cons": "Young",
        }
    )
    assert press(browser, edit_url(post), fields, action="save").status_code == 302
    content = fresh(post).current_revision.content
    assert [c.get("weight") for c in content["criteria"]] == [50, 30.5, 19.5]
    assert content["scale"] == {"min": 0, "max": 5}
    note = content["entries"][0]["criteria"][0]
    assert (note["score"], note["evidence"]) == (
        4.5,
        ["https://example.org/a", "https://example.org/b"],
    )
    assert (content["entries"][1]["pros"], content["entries"][1]["cons"]) == (
        ["Fast", "Small"],
        ["Young"],
    )


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("criteria-1-weight", "-3", "A number of 0 or more"),
        ("entries-0-criteria-0-score", "lots", "A number, such as 7 or 7.5"),
        ("entries-0-criteria-0-evidence", "not an address", "must be a web address"),
        ("review_by", "next spring", "A day, written 2027-06-30"),
    ],
)
def test_a_bad_number_or_address_is_refused_beside_its_field(browser, post, field, typed, message):
    fields = open_editor(browser, post)
    fields[field] = typed
    page, again = rerendered(press(browser, edit_url(post), fields, action="save"), status=422)
    assert message in (error_next_to(page, field) or "")
    assert again[field] == typed  # the text is kept
    assert revision_numbers(post) == [1]
