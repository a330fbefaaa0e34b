"""The editor's form finds each list's rows from one index of the field names (RowList): the
rows a browser sends come back in order, row 1 and row 10 are told apart, and a name that is
no row of a list (another separator, other digits) adds none."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from editorial.web.post_form import PostForm, post_data


def _read(app, pairs):
    with app.test_request_context("/", method="POST"):
        return post_data(PostForm(formdata=MultiDict(pairs), meta={"csrf": False}))


def test_rows_and_notes_are_read_by_their_numbers(app):
    pairs = [("title", "T")]
    for row in (0, 1, 10):
        pairs += [(f"entries-{row}-name", f"Entry {row}")]
        pairs += [(f"entries-{row}-criteria-{n}-note", f"Note {row}.{n}") for n in (0, 2)]
    pairs += [("takeaways-1", "Second"), ("takeaways-0", "First")]
    data = _read(app, pairs)
    assert [e["name"] for e in data["entries"]] == ["Entry 0", "Entry 1", "Entry 10"]
    assert [n["note"] for n in data["entries"][2]["criteria"]] == ["Note 10.0", "Note 10.2"]
    assert data["takeaways"] == ["First", "Second"]


def test_names_that_are_no_row_add_none(app):
    data = _read(
        app,
        [
            ("entries-0-name", "Real"),
            ("entriesX5-name", "another separator"),
            ("entries-٣-name", "Arabic-Indic digit"),
            ("entries--name", "no number"),
        ],
    )
    assert [e["name"] for e in data["entries"]] == ["Real"]
