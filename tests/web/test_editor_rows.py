"""The editor's rows without JavaScript, through the test client with real CSRF on: entries,
criteria, FAQ and the other lists added, moved and removed, each criterion's notes travelling
with their row, and the rows endpoint.

Each test reads the form from the page and posts it back the way a browser without
JavaScript submits it, plus the button pressed.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from editorial.models import Post
from tests.conftest import sample
from tests.helpers.desk import (
    column,
    edit_url,
    element,
    form_fields,
    fresh,
    open_editor,
    press,
    rerendered,
    revision_numbers,
    stored,
)

pytestmark = pytest.mark.csrf  # CSRF on, as in production


# --- rows without JavaScript ------------------------------------------------------------------


# (list, the field that names a row, a field that must travel with its row)
ROW_KINDS = [
    ("criteria", "name", "description"),
    ("entries", "name", "verdict"),
    ("takeaways", None, None),
    ("faq", "question", "answer"),
]


def test_rows_are_added_moved_and_removed_without_javascript(browser, post, subtests):
    for kind, name, companion in ROW_KINDS:
        with subtests.test(rows=kind):
            _add_move_and_remove(browser, post, kind, name, companion)
    assert revision_numbers(post) == [1]  # nothing was saved
    assert fresh(post).current_revision.content == stored(sample())


def _add_move_and_remove(
    browser: Any, post: Post, kind: str, name: str | None, companion: str | None
) -> None:
    fields = open_editor(browser, post)
    fields["summary"] = "Typed, not saved yet."
    names = column(fields, kind, name)
    partners = column(fields, kind, companion) if companion else []
    assert len(names) >= 3

    def op(fields: dict[str, str], value: str) -> dict[str, str]:
        _, after = rerendered(press(browser, edit_url(post), fields, op=value))
        assert after["summary"] == "Typed, not saved yet."  # text elsewhere survives
        return after

    fields = op(fields, f"add-{kind}")
    assert column(fields, kind, name) == [*names, ""]
    new_row = f"{kind}-{len(names)}" + (f"-{name}" if name else "")
    fields[new_row] = "Typed in the new row"

    fields = op(fields, f"down-{kind}-0")
    assert column(fields, kind, name) == [names[1], names[0], *names[2:], "Typed in the new row"]
    if companion:
        assert column(fields, kind, companion)[:2] == [partners[1], partners[0]]

    fields = op(fields, f"up-{kind}-1")
    assert column(fields, kind, name) == [*names, "Typed in the new row"]

    fields = op(fields, f"remove-{kind}-0")
    assert column(fields, kind, name) == [*names[1:], "Typed in the new row"]
    if companion:
        assert column(fields, kind, companion)[: len(names) - 1] == partners[1:]


def _notes(fields: dict[str, str], entry: int) -> list[str]:
    return column(fields, f"entries-{entry}-criteria", "note")


def test_criteria_rows_carry_their_notes_in_every_entry(browser, post):
    fields = open_editor(browser, post)
    entries = range(len(column(fields, "entries", "name")))
    notes = {i: _notes(fields, i) for i in entries}  # Performance, Ecosystem, Learning curve
    assert all(len(n) == 3 for n in notes.values())

    _, fields = rerendered(press(browser, edit_url(post), fields, op="add-criteria"))
    for i in entries:  # a note field for the new criterion in every entry, the rest intact
        assert _notes(fields, i) == [*notes[i], ""]
    fields["criteria-3-name"] = "Documentation"
    fields["entries-0-criteria-3-note"] = "The best docs of the four."

    _, fields = rerendered(press(browser, edit_url(post), fields, op="up-criteria-2"))
    assert column(fields, "criteria", "name")[:3] == ["Performance", "Learning curve", "Ecosystem"]
    for i in entries:  # each note followed its criterion
        assert _notes(fields, i)[:3] == [notes[i][0], notes[i][2], notes[i][1]]
    assert revision_numbers(post) == [1]

    fields["criteria-0-name"] = "Speed under load"  # a rename, then save
    assert press(browser, edit_url(post), fields, action="save").status_code == 302

    content = fresh(post).current_revision.content
    assert [c["name"] for c in content["criteria"]] == [
        "Speed under load",
        "Learning curve",
        "Ecosystem",
        "Documentation",
    ]
    before = fresh(post).revisions[0].content["entries"]
    for i in entries:
        # Evidence travels with its note (the sample's first entry links some).
        evidence = {n["criterion"]: n["evidence"] for n in before[i]["criteria"] if "evidence" in n}

        def note(name: str, text: str, old: str = "", shown: dict = evidence) -> dict:
            return {"criterion": name, "note": text} | (
                {"evidence": shown[old]} if old in shown else {}
            )

        assert content["entries"][i]["criteria"] == [
            note("Speed under load", notes[i][0], "Performance"),
            note("Learning curve", notes[i][2], "Learning curve"),
            note("Ecosystem", notes[i][1], "Ecosystem"),
            note("Documentation", "The best docs of the four." if i == 0 else ""),
        ]
        assert i != 0 or evidence  # the check covers a note with evidence


def test_removing_a_criterion_removes_its_notes_only(browser, post):
    fields = open_editor(browser, post)
    notes = _notes(fields, 2)
    _, fields = rerendered(press(browser, edit_url(post), fields, op="remove-criteria-1"))
    assert column(fields, "criteria", "name") == ["Performance", "Learning curve"]
    assert _notes(fields, 2) == [notes[0], notes[2]]


def test_a_second_note_on_the_same_criterion_is_not_lost_in_the_editor(
    browser, writer, create_post
):
    # An import may judge an entry twice on one criterion (the rules flag it); the writer
    # must get to see both notes and merge them, not lose one on opening the editor.
    data = sample()
    data["entries"][0]["criteria"].append({"criterion": "Performance", "note": "Second opinion."})
    post = create_post(writer, data)
    fields = open_editor(browser, post)
    first = data["entries"][0]["criteria"][0]["note"]
    assert first in _notes(fields, 0)
    assert "Second opinion." in _notes(fields, 0)
    assert press(browser, edit_url(post), fields, action="save").status_code == 302
    assert revision_numbers(post) == [1]
    assert fresh(post).current_revision.content == stored(data)


def test_rows_endpoint_returns_only_the_rows(browser, post):
    fields = open_editor(browser, post) | {"faq-0-answer": "Typed, not saved."}
    response = browser.post("/posts/rows", data={**fields, "op": "add-faq"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="editor-rows"')
    assert "<html" not in page
    assert 'id="post-form"' not in page
    rows = form_fields(f'<form id="rows">{page}</form>', id="rows")
    assert column(rows, "faq", "question")[-1] == ""
    assert rows["faq-0-answer"] == "Typed, not saved."
    assert "autofocus" in element(page, "faq-3-question")  # the new row's first field
    assert revision_numbers(post) == [1]


def test_a_dragged_row_lands_where_it_was_dropped_with_its_notes(browser, post):
    fields = open_editor(browser, post)
    names, verdicts = column(fields, "entries", "name"), column(fields, "entries", "verdict")
    notes = _notes(fields, 3)
    page, fields = rerendered(press(browser, edit_url(post), fields, op="move-entries-3-to-0"))
    assert column(fields, "entries", "name") == [names[3], *names[:3]]
    assert column(fields, "entries", "verdict") == [verdicts[3], *verdicts[:3]]
    assert _notes(fields, 0) == notes
    assert "autofocus" in element(page, "entries-0-summary")  # the moved card, where it landed
    # A drop past the end or onto itself moves nothing.
    for op in ("move-entries-0-to-9", "move-entries-1-to-1"):
        _, same = rerendered(press(browser, edit_url(post), fields, op=op))
        assert column(same, "entries", "name") == column(fields, "entries", "name")
    assert revision_numbers(post) == [1]


# --- cards ------------------------------------------------------------------------------------


def _card(page: str, row: str) -> tuple[bool, str]:
    """Whether the card of ``row`` ("entries-1") is open, and its one-line summary's text."""
    found = re.search(
        rf'<fieldset id="{row}"[^>]*>\s*<legend[^>]*>.*?</legend>\s*<details\s*(open)?\s*>'
        rf'\s*<summary id="{row}-summary"[^>]*>(.*?)</summary>',
        page,
        re.S,
    )
    assert found, f"no card for {row}"
    text = html.unescape(re.sub(r"<[^>]+>", "", found.group(2)))
    return found.group(1) is not None, " ".join(text.split())


def test_complete_rows_fold_to_one_line_and_rows_that_need_the_writer_open(browser, post):
    page = browser.get(edit_url(post)).text
    assert _card(page, "entries-1") == (False, "#2 FastAPI · 3 of 3 criteria · pick-else ✓")
    assert _card(page, "criteria-0")[0] is False
    assert _card(page, "faq-0")[0] is False

    fields = open_editor(browser, post)
    fields |= {"entries-1-pick_else": "", "entries-1-criteria-0-note": ""}
    page, _ = rerendered(press(browser, edit_url(post), fields, op="add-faq"))
    opened, summary = _card(page, "entries-1")
    assert opened  # an error finding: the writer has work there
    # Two findings: the missing pick-else and the missing note.
    assert summary == "#2 FastAPI · 2 of 3 criteria · no pick-else yet · 2 findings"
    assert _card(page, "faq-3") == (True, "Question 4: not asked yet")  # the new, empty row
    assert _card(page, "entries-0")[0] is False
    # Each card's buttons are small and named after their row.
    assert re.search(
        r'<span class="visually-hidden">Move <span[^>]*>FastAPI</span> up</span>', page
    )
