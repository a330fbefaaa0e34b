"""How many rows a post's form holds, and how its lists find their rows: the limits the editor
refuses a form past (before any list reads it), and RowList, which reads each list's rows from
one index of the field names."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Set
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from wtforms import FieldList

from editorial.domain.interchange import LIMITS

# Each list's row numbers, by the list's name as sent ("entries", "entries-3-criteria").
Index = Mapping[str, Set[int]]
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
        return rows_of(formdata).get(prefix, ())


def rows_of(formdata: Any) -> Index:
    """The form's row index: kept on it by ``oversized``, or built (and kept) now."""
    index = getattr(formdata, "_editorial_rows", None)
    if index is None:
        index = row_index(formdata)
        _keep(formdata, index)
    return index


def _keep(formdata: Any, index: Index) -> None:
    try:
        formdata._editorial_rows = index
    except AttributeError:  # a plain dict: built again when asked
        pass


def row_index(formdata: Any) -> Index:
    """Each list's row numbers among the field names: {"entries": {0, 1}, "entries-0-criteria":
    {0, 1, 2}, ...}."""
    return _scan(formdata, refuse=False)[1]


def oversized(formdata: Any) -> str | None:
    """Why a post's form must not be read (more rows or fields than a post holds), or None;
    then the form's row index, built on the way, is kept on it for its lists (``rows_of``).

    WTForms finds each list's rows by reading every field name, and every entry's notes the
    same way, so a form of thousands of rows takes it seconds to minutes. This looks at each
    name once, the way FieldList does (the list's name, one character, the row number), so
    that no row WTForms would read goes unchecked. Past the most names a post sends, the
    count alone refuses the form.
    """
    problem, index = _scan(formdata, refuse=True)
    if problem is None:
        _keep(formdata, index)
    return problem


# A name as the editor writes it: a word, then a row number and a word, up to twice, the
# numbers in ASCII digits with no leading zero ("title", "takeaways-3", "entries-3-name",
# "entries-3-criteria-5-score"). For such a name, FieldList's reading (the list's name, one
# character, digits up to the next hyphen) finds a row only right after its first word, and
# a note only right after "entries-<row>-criteria": no other word holds a digit.
_NUMBER = "(?:0|[1-9][0-9]{0,5})"
_WORD = "[a-z_]++"
_PLAIN = f"{_WORD}(?:-{_NUMBER}(?:-{_WORD}(?:-{_NUMBER}(?:-{_WORD})?+)?+)?+)?+"
_ALL_PLAIN = re.compile(f"(?:{_PLAIN}\n)*+")  # the names, each followed by a line break
# In a plain name: its first row, and its note's ("entries-3", "entries-3-criteria-5").
_ROWS = re.compile("^[a-z_]+-[0-9]+(?:-[a-z_]+-[0-9]+)?", re.MULTILINE)


def _scan(formdata: Any, refuse: bool) -> tuple[str | None, Index]:
    """Why the form is refused (with ``refuse``, else None) and the row index (each list's
    row numbers, by the list's name as sent)."""
    if (index := _plain_index(formdata)) is not None:
        if not refuse or _fits(index):
            return None, index
    # A name of another shape, a form past a limit (whose first name past it is the one to
    # tell), or one of too many names: each name in turn.
    rows: dict[str, set[int]] = {}
    names = itertools.islice(formdata, MAX_FIELDS + 1) if refuse else formdata
    for name in names:
        if refuse and (problem := _refusal(name)):
            return problem, {}
        _add_rows(rows, name)
    if refuse and len(formdata) > MAX_FIELDS:
        return f"A post has at most {MAX_FIELDS:,} fields; this form sends {len(formdata):,}.", {}
    return None, rows


def _plain_index(formdata: Any) -> Index | None:
    """The row index of a form of at most MAX_FIELDS names all of the editor's shape (None for
    any other form)."""
    if len(formdata) > MAX_FIELDS:
        return None
    names = "\n".join(formdata) + "\n"
    if names.count("\n") != len(formdata):
        return None  # a name holding a line break itself
    return _plain_rows(names)


@lru_cache(maxsize=16)
def _plain_rows(names: str) -> Index | None:
    """The row index of the names (each followed by a line break), read from all of them at
    once: the 5,500 names of a 50-entry post cost a loop over each only in C. Kept per process
    for the last few forms (read-only): while a writer types, the names stay the same."""
    if not _ALL_PLAIN.fullmatch(names):
        return None  # a name of another shape
    index: dict[str, set[int]] = {}
    for rows in set(_ROWS.findall(names)):  # a note's five fields count once
        word, row, *note = rows.split("-")
        index.setdefault(word, set()).add(int(row))
        if note:
            index.setdefault(f"{word}-{row}-{note[0]}", set()).add(int(note[1]))
    return MappingProxyType({name: frozenset(rows) for name, rows in index.items()})


def _fits(index: Index) -> bool:
    """Whether no list of a plain form's index holds more rows than a post holds."""
    for kind, limit in ROWS.items():
        if max(index.get(kind, ()), default=-1) >= limit:
            return False
    return all(
        max(index.get(f"entries-{row}-criteria", ()), default=-1) < NOTES
        for row in index.get("entries", ())
    )


def _too_many(kind: str) -> str:
    return f"A post holds at most {ROWS[kind]} {_ROW_NAMES[kind]}; this form sends more."


_TOO_MANY_NOTES = f"An entry holds at most {NOTES} criterion notes; this form sends more."


def _refusal(name: str) -> str | None:
    """Why one name refuses the form: a row past its list's limit, as FieldList reads it."""
    for kind, limit in ROWS.items():
        if not name.startswith(kind):
            continue
        row = _row(name, kind)
        if row is None:
            continue
        if row >= limit:
            return _too_many(kind)
        if kind == "entries" and (_row(name, f"entries-{row}-criteria") or 0) >= NOTES:
            return _TOO_MANY_NOTES
    return None


def _add_rows(index: dict[str, set[int]], name: str) -> None:
    """The rows one name adds to the index: each run of ASCII digits between hyphens."""
    parts = name.split("-")
    for at in range(1, len(parts)):
        number = parts[at]
        if number.isascii() and number.isdigit():
            index.setdefault("-".join(parts[:at]), set()).add(int(number))


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
