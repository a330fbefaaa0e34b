"""The oversized-form guard and the row index (web/form_rows.py) read a form of the editor's
names all at once, and any other form name by name: either way they answer as the guard and
the index did when they read every name in turn (kept below, as they were), for the editor's
own form, for names of every other shape and for forms past each limit."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from editorial.web.form_rows import _ROW_NAMES, MAX_FIELDS, NOTES, ROWS, oversized, row_index

# --- the guard and the index as they were (name by name) ------------------------------------


def _old_row_index(formdata: Any) -> dict[str, set[int]]:
    index: dict[str, set[int]] = {}
    for name in formdata:
        parts = name.split("-")
        for at in range(1, len(parts)):
            number = parts[at]
            if number.isascii() and number.isdigit():
                index.setdefault("-".join(parts[:at]), set()).add(int(number))
    return index


def _old_oversized(formdata: Any) -> str | None:
    for name in itertools.islice(formdata, MAX_FIELDS + 1):
        for kind, limit in ROWS.items():
            if not name.startswith(kind):
                continue
            row = _old_row(name, kind)
            if row is None:
                continue
            if row >= limit:
                return f"A post holds at most {limit} {_ROW_NAMES[kind]}; this form sends more."
            if kind == "entries" and (_old_row(name, f"entries-{row}-criteria") or 0) >= NOTES:
                return f"An entry holds at most {NOTES} criterion notes; this form sends more."
    if len(formdata) > MAX_FIELDS:
        return f"A post has at most {MAX_FIELDS:,} fields; this form sends {len(formdata):,}."
    return None


def _old_row(name: str, prefix: str) -> int | None:
    if not name.startswith(prefix):
        return None
    number = name[len(prefix) + 1 :].split("-", 1)[0]
    if not number.isdigit():
        return None
    return int(number) if number.isascii() and len(number) <= 6 else 10**6


# --- forms ----------------------------------------------------------------------------------

EDITOR = (
    ["base_revision", "working_version", "title", "slug", "scale_min", "review_by", "tags"]
    + [f"criteria-{c}-{f}" for c in range(20) for f in ("key", "name", "weight")]
    + [
        f"entries-{e}-criteria-{c}-{f}"
        for e in range(50)
        for c in range(20)
        for f in ("key", "criterion", "note", "score", "evidence")
    ]
    + [f"entries-{e}-{f}" for e in range(50) for f in ("name", "url", "link", "pros")]
    + [f"takeaways-{t}" for t in range(20)]
    + [f"faq-{q}-{f}" for q in range(30) for f in ("question", "answer")]
)
PIECES = [
    "entries", "criteria", "takeaways", "faq", "faq_", "name", "score", "x", "_", "E", "-", "-",
    "-", "0", "3", "03", "19", "20", "29", "30", "39", "40", "49", "50", "999999", "1000000",
    "\u00b2", "\u0663", "\u00e9", "\n",
]  # fmt: skip


def _names(rng: random.Random, count: int) -> list[str]:
    return ["".join(rng.choices(PIECES, k=rng.randint(1, 7))) for _ in range(count)]


def _forms() -> list[list[str]]:
    rng = random.Random(18)
    forms = [EDITOR, EDITOR + ["entries-3-criteria-40-note"], EDITOR + ["entries-50-name"]]
    forms += [EDITOR + ["title\nentries-3-name"], ["title\nentries-3-name", "entries-3-name\n"]]
    forms += [EDITOR + [f"field{i}" for i in range(MAX_FIELDS)]]
    forms += [[name] for name in _names(rng, 3000)]
    forms += [_names(rng, rng.randint(2, 8)) for _ in range(500)]
    forms += [EDITOR[:300] + _names(rng, 3) + EDITOR[300:600] for _ in range(50)]
    return forms


@pytest.mark.parametrize("chunk", range(4))
def test_the_guard_and_the_index_answer_as_they_did_name_by_name(chunk):
    forms = _forms()[chunk::4]
    for names in forms:
        form = MultiDict([(name, "") for name in names])
        assert oversized(form) == _old_oversized(form), names
        assert row_index(form) == _old_row_index(form), names
        assert row_index(MultiDict([(name, "") for name in names])) == _old_row_index(form)


def test_the_editors_form_is_read_at_once_and_its_index_kept():
    form = MultiDict([(name, "") for name in EDITOR])
    assert oversized(form) is None
    assert form._editorial_rows == _old_row_index(form)
    assert len(form._editorial_rows["entries-49-criteria"]) == 20


def test_the_index_of_names_read_before_is_the_same_and_read_only():
    first = MultiDict([(name, "a") for name in EDITOR])
    again = MultiDict([(name, "b") for name in EDITOR])
    assert oversized(first) is None and oversized(again) is None
    assert again._editorial_rows == _old_row_index(again)
    with pytest.raises(TypeError):
        again._editorial_rows["entries"] = {0}
    with pytest.raises(AttributeError):
        again._editorial_rows["entries"].add(99)
