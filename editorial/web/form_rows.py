"""How many rows a post's form holds, and how its lists find their rows: the limits the editor
refuses a form past (before any list reads it), and RowList, which reads each list's rows from
one index of the field names."""

from __future__ import annotations

import itertools
from typing import Any

from wtforms import FieldList

from editorial.domain.interchange import LIMITS

# How many rows each list may hold, and the op names that act on them.
ROWS = {
    "criteria": LIMITS["criteria"],
    "entries": LIMITS["entries"],
    "takeaways": LIMITS["takeaways"],
    "faq": LIMITS["faq"],
}
ENTRY_TEXT = ("name", "url", "best_for", "verdict", "pick_else", "link", "override", "pros", "cons")
# Notes in one entry: one per declared criterion, and an import's notes on criteria the post
# does not declare beside them (for the rules to point out).
NOTES = 2 * LIMITS["criteria"]
# The most fields a whole post sends (every list full), with room for the buttons.
MAX_FIELDS = (
    100
    + 4 * ROWS["criteria"]
    + ROWS["takeaways"]
    + 2 * ROWS["faq"]
    + ROWS["entries"] * (len(ENTRY_TEXT) + 5 * NOTES)
)
_ROW_NAMES = {"criteria": "criteria", "entries": "entries", "takeaways": "takeaways",
              "faq": "questions"}  # fmt: skip


class RowList(FieldList):
    """A FieldList that finds its rows in one index of the form's field names, built once per
    request: WTForms' own looks through every name for every list, and a 50-entry post sends
    some 5,500 names to 54 lists. Row numbers follow their list's name and a hyphen, in ASCII
    digits ("entries-3-criteria-5-score" is note 5 of entry 3); ``oversized`` has refused
    a form with more rows than a post holds before any list reads it."""

    def _extract_indices(self, prefix: str, formdata: Any) -> Any:
        index = getattr(formdata, "_editorial_rows", None)
        if index is None:
            index = row_index(formdata)
            formdata._editorial_rows = index
        return index.get(prefix, ())


def row_index(formdata: Any) -> dict[str, set[int]]:
    """Each list's row numbers among the field names: {"entries": {0, 1}, "entries-0-criteria":
    {0, 1, 2}, ...}."""
    index: dict[str, set[int]] = {}
    for name in formdata:
        parts = name.split("-")
        for at in range(1, len(parts)):
            number = parts[at]
            if number.isascii() and number.isdigit():
                index.setdefault("-".join(parts[:at]), set()).add(int(number))
    return index


def oversized(formdata: Any) -> str | None:
    """Why a post's form must not be read (more rows or fields than a post holds), or None.

    WTForms finds each list's rows by reading every field name, and every entry's notes the
    same way, so a form of thousands of rows takes it seconds to minutes. This looks at each
    name once, the way FieldList does (the list's name, one character, the row number), so
    that no row WTForms would read goes unchecked. Past the most names a post sends, the
    count alone refuses the form.
    """
    for name in itertools.islice(formdata, MAX_FIELDS + 1):
        for kind, limit in ROWS.items():
            if not name.startswith(kind):
                continue
            row = _row(name, kind)
            if row is None:
                continue
            if row >= limit:
                return f"A post holds at most {limit} {_ROW_NAMES[kind]}; this form sends more."
            if kind == "entries" and (_row(name, f"entries-{row}-criteria") or 0) >= NOTES:
                return f"An entry holds at most {NOTES} criterion notes; this form sends more."
    if len(formdata) > MAX_FIELDS:
        return f"A post has at most {MAX_FIELDS:,} fields; this form sends {len(formdata):,}."
    return None


def _row(name: str, prefix: str) -> int | None:
    """The row of the list ``prefix`` that FieldList reads ``name`` into, if any."""
    if not name.startswith(prefix):
        return None
    number = name[len(prefix) + 1 :].split("-", 1)[0]
    if not number.isdigit():
        return None
    # Other digits than 0-9 (which int() may not read) and numbers of many digits are past
    # every limit.
    return int(number) if number.isascii() and len(number) <= 6 else 10**6
