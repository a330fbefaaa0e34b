"""Where the editor's findings point: the form field an interchange path is typed in, and
the name a writer knows that field by."""

from __future__ import annotations

import re
from typing import Any

# What the findings call each field: "Title: at most 200 characters; this has 250."
_LABELS = {
    "title": "Title", "slug": "Slug", "summary": "Summary", "bias": "Bias disclosure",
    "intro": "Introduction", "correction": "Correction note", "tags": "Tags",
    "disclosure": "Disclosure", "review_by": "Review again by", "scale": "Score scale",
    "scale_min": "Score scale", "scale_max": "Score scale",
    "criteria": "Criteria", "entries": "Entries", "takeaways": "Key takeaways",
    "faq": "Questions",
}  # fmt: skip
_ROW_FIELDS = {
    "name": "name", "description": "description", "url": "web address",
    "best_for": "best for", "verdict": "verdict", "pick_else": "when to pick something else",
    "question": "question", "answer": "answer", "criteria": "criterion notes",
    "weight": "weight", "link": "kind of link", "override": "why it ranks above a higher score",
    "pros": "pros", "cons": "cons",
}  # fmt: skip
_FIELD_ID = re.compile(r"(criteria|entries|takeaways|faq)-(\d+)(?:-(\w+?))?(?:-(\d+)-\w+)?")


def field_label(field: str, data: dict[str, Any]) -> str:
    """The name a writer knows a form field by, from its id and the form's rows:
    ``entries-1-url`` is 'Entry #2 "FastAPI", web address'."""
    match = _FIELD_ID.fullmatch(field)
    if not match:
        return _LABELS.get(field, "The post")
    kind, row, part, note = match.group(1), int(match.group(2)), match.group(3), match.group(4)
    rows = data.get(kind) or []
    item = rows[row] if row < len(rows) else None
    if kind == "takeaways":
        return f"Takeaway {row + 1}"
    if kind == "faq":
        where = f"Question {row + 1}"
    elif kind == "criteria":
        name = (item or {}).get("name", "").strip()
        where = f'Criterion {row + 1} "{name[:40]}"' if name else f"Criterion {row + 1}"
    else:
        name = (item or {}).get("name", "").strip()
        where = f'Entry #{row + 1} "{name[:40]}"' if name else f"Entry #{row + 1}"
    if note is not None and item is not None:
        notes = item.get("criteria") or []
        about = notes[int(note)].get("criterion", "") if int(note) < len(notes) else ""
        return f'{where}, note on "{about[:40]}"' if about.strip() else f"{where}, a note"
    return f"{where}, {_ROW_FIELDS.get(part or '', part or '')}".rstrip(", ")


def labelled(field: str, message: str, data: dict[str, Any]) -> str:
    """``message`` about ``field`` as the findings list shows it, led by the field's name."""
    if not field:
        return message
    return f"{field_label(field, data)}: {message[:1].lower()}{message[1:]}"


_PATH_PART = re.compile(r"\.?([a-z_]+)|\[(\d+)\]")


def field_id(path: str, rows: dict[str, list[int]]) -> str:
    """The form element id for an interchange path such as ``entries[1].pick_else``."""
    if path == "scale":
        return "scale_max"
    parts: list[str] = []
    walked = ""
    for name, index in _PATH_PART.findall(path):
        if name:
            walked += f".{name}" if walked else name
            parts.append(name)
        else:
            kept = rows.get(walked)
            row = int(index)
            row = kept[row] if kept is not None and row < len(kept) else row
            walked += f"[{index}]"
            parts.append(str(row))
    return "-".join(parts)
