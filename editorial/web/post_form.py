"""The editor's form: every field of a ranking post, its rows, and the way back to content.

The form holds text exactly as typed (invalid or not) so nothing is lost on a re-render.
Rows are plain dicts between requests: ``post_data`` reads a form into them, ``apply_op``
adds, removes or moves a row, ``build_form`` makes a form again, and ``to_content`` turns
them into interchange content for the rules and for saving.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from slugify import slugify
from wtforms import (
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from editorial.domain.interchange import LIMITS
from editorial.web.error_pages import ExplainedError
from editorial.web.form_rows import ENTRY_TEXT, ROWS, RowList, oversized
from editorial.web.form_values import (
    addresses,
    at_most,
    day,
    is_address,
    lines,
    markdown_field,
    number,
    number_field,
    short_lines,
    to_day,
    web_address,
)
from editorial.web.forms import TextForm

__all__ = ["PostForm", "apply_op", "blank_data", "build_form", "content_data", "to_content"]

SHORT = LIMITS["short_text"]
TAKEAWAY = LIMITS["markdown"] // 10
# "move-entries-4-to-1" is what dragging a row sends (static/editor.js); the buttons send the rest.
_OP = re.compile(
    r"(add|remove|up|down|move)-(criteria|entries|takeaways|faq)(?:-(\d{1,6}))?(?:-to-(\d{1,6}))?"
)


class CriterionForm(Form):
    key = HiddenField()
    name = StringField("Name", [at_most(SHORT)])
    description = markdown_field("What it means and how you judged it")
    weight = StringField("Weight (optional)", [at_most(20), number_field(0)])


class NoteForm(Form):
    # ``key`` ties the note to a declared criterion, so a rename carries the note along.
    key = HiddenField()
    criterion = HiddenField()
    note = markdown_field("Note")
    score = StringField("Score", [at_most(20), number_field()])
    evidence = TextAreaField("Evidence: one web address a line", [addresses])


class EntryForm(Form):
    name = StringField("Name", [at_most(SHORT)])
    url = StringField("Web address", [at_most(LIMITS["url"]), web_address])
    best_for = StringField("Best for", [at_most(SHORT)])
    verdict = markdown_field("Verdict: why it earns this rank")
    criteria = RowList(FormField(NoteForm))
    pick_else = markdown_field("When to pick something else instead")
    link = SelectField(
        "Its web address is",
        choices=[
            SelectChoice("", "an ordinary link"),
            SelectChoice("sponsored", "sponsored"),
            SelectChoice("affiliate", "an affiliate link"),
        ],
        validate_choice=False,
    )
    override = markdown_field("Why it ranks above an entry with a higher score")
    pros = TextAreaField("Pros, one a line", [short_lines(LIMITS["pros_cons"])])
    cons = TextAreaField("Cons, one a line", [short_lines(LIMITS["pros_cons"])])


class FaqForm(Form):
    question = StringField("Question", [at_most(SHORT)])
    answer = markdown_field("Answer")


class PostForm(TextForm):
    base_revision = HiddenField()
    working_version = HiddenField()
    title = StringField("Title", [at_most(LIMITS["title"])])
    slug = StringField("Slug (web address)", [at_most(LIMITS["slug"])])
    summary = TextAreaField("Summary", [at_most(LIMITS["summary"])])
    bias = markdown_field("Your bias: what you use, sell, are paid by or were given")
    intro = markdown_field("Introduction")
    correction = markdown_field("Correction note: what changed and why")
    disclosure = markdown_field("Disclosure of sponsored and affiliate links")
    review_by = StringField("Review again by (optional)", [day])
    scale_min = StringField("Scores from", [at_most(20), number_field()])
    scale_max = StringField("to", [at_most(20), number_field()])
    criteria = RowList(FormField(CriterionForm), max_entries=ROWS["criteria"])
    entries = RowList(FormField(EntryForm), max_entries=ROWS["entries"])
    takeaways = RowList(
        TextAreaField("Takeaway", [at_most(TAKEAWAY)]), max_entries=ROWS["takeaways"]
    )
    faq = RowList(FormField(FaqForm), max_entries=ROWS["faq"])
    tags = StringField("Tags, separated by commas")

    def check_sent(self, formdata: Any) -> None:
        if problem := oversized(formdata):
            raise ExplainedError(413, problem)

    def validate_tags(self, field: Any) -> None:
        tags = _split_tags(field.data)
        if len(tags) > LIMITS["tags"]:
            raise ValidationError(f"At most {LIMITS['tags']} tags; this has {len(tags)}.")
        if long := next((t for t in tags if len(t) > SHORT), None):
            raise ValidationError(f'The tag "{long[:40]}…" is over {SHORT} characters.')

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for name, limit in ROWS.items():
            field = getattr(self, name)
            if len(field.entries) > limit:
                field.errors.append(f"At most {limit}; this has {len(field.entries)}.")
                ok = False
        return ok


def _split_tags(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _key() -> str:
    return "k" + secrets.token_hex(4)


def _blank_row(kind: str) -> Any:
    return {
        "criteria": lambda: {"key": _key(), "name": "", "description": "", "weight": ""},
        "entries": lambda: dict.fromkeys(ENTRY_TEXT, "") | {"criteria": []},
        "takeaways": lambda: "",
        "faq": lambda: {"question": "", "answer": ""},
    }[kind]()


def blank_data() -> dict[str, Any]:
    """A new post's rows: two criteria and two entries, the least a ranking needs."""
    data: dict[str, Any] = {
        "title": "", "slug": "", "summary": "", "bias": "", "intro": "", "correction": "",
        "disclosure": "", "review_by": "", "scale_min": "", "scale_max": "",
        "tags": "", "base_revision": "", "working_version": "",
        "criteria": [_blank_row("criteria"), _blank_row("criteria")],
        "entries": [_blank_row("entries"), _blank_row("entries")],
        "takeaways": [], "faq": [],
    }  # fmt: skip
    return align_notes(data)


def content_data(content: dict[str, Any]) -> dict[str, Any]:
    """Form rows for stored interchange content."""
    criteria = [
        {
            "key": f"c{i}",
            "name": c["name"],
            "description": c.get("description", ""),
            "weight": _shown(c.get("weight")),
        }
        for i, c in enumerate(content.get("criteria", []))
    ]
    keys = {_fold(c["name"]): c["key"] for c in criteria}
    entries = [
        {
            "name": e["name"],
            "url": e.get("url") or "",
            "best_for": e.get("best_for") or "",
            "verdict": e.get("verdict", ""),
            "pick_else": e.get("pick_else", ""),
            "link": e.get("link") or "",
            "override": e.get("override") or "",
            "pros": "\n".join(e.get("pros") or []),
            "cons": "\n".join(e.get("cons") or []),
            "criteria": [
                {
                    "key": keys.get(_fold(n["criterion"]), ""),
                    "criterion": n["criterion"],
                    "note": n.get("note", ""),
                    "score": _shown(n.get("score")),
                    "evidence": "\n".join(n.get("evidence") or []),
                }
                for n in e.get("criteria", [])
            ],
        }
        for e in sorted(content.get("entries", []), key=lambda e: e["rank"])
    ]
    data = {
        "title": content.get("title", ""),
        "slug": content.get("slug", ""),
        "summary": content.get("summary", ""),
        "bias": content.get("bias", ""),
        "intro": content.get("intro") or "",
        "correction": content.get("correction") or "",
        "disclosure": content.get("disclosure") or "",
        "review_by": content.get("review_by") or "",
        "scale_min": _shown((content.get("scale") or {}).get("min")),
        "scale_max": _shown((content.get("scale") or {}).get("max")),
        "tags": ", ".join(content.get("tags", [])),
        "criteria": criteria,
        "entries": entries,
        "takeaways": list(content.get("takeaways", [])),
        "faq": [dict(f) for f in content.get("faq", [])],
    }
    return align_notes(data)


def _shown(value: Any) -> str:
    """A stored number as the form shows it: 7, 7.5 ('' for none)."""
    if value is None or value == "":
        return ""
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def align_notes(data: dict[str, Any]) -> dict[str, Any]:
    """Give every entry one note per declared criterion, in the criteria's order.

    Notes follow their criterion by key, so renaming a criterion renames its notes; a
    criterion's notes go with it when it is removed. Notes on criteria the post does not
    declare, and second notes on one criterion (both only from an import), stay after the
    declared ones, for the rules to point out.
    """
    for criterion in data["criteria"]:
        criterion["key"] = criterion.get("key") or _key()
    declared = {c["key"]: c for c in data["criteria"]}
    for entry in data["entries"]:
        notes: dict[str, dict[str, str]] = {}
        orphans = []
        for note in entry["criteria"]:
            key = note.get("key")
            if key in declared and key not in notes:
                notes[key] = note
            elif not key or key in notes:
                # A second note on the same criterion (from an import) stays too, for the
                # writer to merge when the rules point it out.
                orphans.append({**note, "key": ""})
        entry["criteria"] = [
            {
                "key": key,
                "criterion": c["name"],
                "note": notes.get(key, {}).get("note", ""),
                "score": notes.get(key, {}).get("score", ""),
                "evidence": notes.get(key, {}).get("evidence", ""),
            }
            for key, c in declared.items()
        ] + orphans
    return data


def post_data(form: PostForm) -> dict[str, Any]:
    """The form's rows as plain dicts, text exactly as typed."""
    data = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    return _plain(data)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return "" if value is None else value


def apply_op(data: dict[str, Any], op: str) -> tuple[dict[str, Any], str | None]:
    """Add, remove or move one row; return the rows and the id of the field to focus."""
    match = _OP.fullmatch(op or "")
    if not match:
        return data, None
    verb, kind, index = match.group(1), match.group(2), int(match.group(3) or 0)
    to = int(match.group(4)) if match.group(4) else None
    rows = data[kind]
    # Where the keyboard focus goes next: the new row's first field, the moved row's button
    # (so pressing it again keeps moving the same row), or the list's add button.
    focus: str | None = None
    first = {"criteria": "-name", "entries": "-name", "takeaways": "", "faq": "-question"}[kind]
    if verb == "add":
        if len(rows) < ROWS[kind]:
            rows.append(_blank_row(kind))
            focus = f"{kind}-{len(rows) - 1}{first}"
    elif index < len(rows):
        if verb == "remove":
            del rows[index]
            focus = f"add-{kind}"
        elif verb == "up" and index > 0:
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
            focus = f"{kind}-{index - 1}-" + ("up" if index - 1 > 0 else "down")
        elif verb == "down" and index + 1 < len(rows):
            rows[index + 1], rows[index] = rows[index], rows[index + 1]
            focus = f"{kind}-{index + 1}-" + ("down" if index + 2 < len(rows) else "up")
        elif verb == "move" and to is not None and to < len(rows) and to != index:
            rows.insert(to, rows.pop(index))
            focus = f"{kind}-{to}-summary"  # the dragged card, where it landed
    align_notes(data)
    return data, focus


def build_form(data: dict[str, Any]) -> PostForm:
    """A form showing ``data`` (from ``post_data``, ``content_data`` or ``blank_data``)."""
    return PostForm(formdata=None, data=data)


def to_content(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Interchange content from form rows, and which form row each content row came from.

    Blank FAQ rows and takeaways, and notes on unnamed criteria, are left out of the
    content, so a finding's path (``faq[1].answer``) needs the second value to find its field.
    """
    names = {c["key"]: c["name"].strip() for c in data["criteria"]}
    rows: dict[str, list[int]] = {}
    entries = []
    for i, entry in enumerate(data["entries"]):
        notes, kept = [], []
        for row, note in enumerate(entry["criteria"]):
            criterion = names.get(note.get("key"), note.get("criterion", "")).strip()
            if criterion:
                kept.append(row)
                item: dict[str, Any] = {"criterion": criterion, "note": note["note"]}
                if (score := number(note.get("score"))) is not None:
                    item["score"] = score
                if evidence := [a for a in lines(note.get("evidence")) if is_address(a)]:
                    item["evidence"] = evidence[: LIMITS["evidence"]]
                notes.append(item)
        rows[f"entries[{i}].criteria"] = kept
        row_content: dict[str, Any] = {
            "rank": i + 1,
            "name": entry["name"],
            "url": entry["url"].strip() or None,
            "verdict": entry["verdict"],
            "criteria": notes,
            "pick_else": entry["pick_else"],
            "best_for": entry["best_for"].strip() or None,
        }
        if entry.get("link") in ("sponsored", "affiliate"):
            row_content["link"] = entry["link"]
        if (entry.get("override") or "").strip():
            row_content["override"] = entry["override"]
        for key in ("pros", "cons"):
            if items := [t for t in lines(entry.get(key)) if len(t) <= SHORT]:
                row_content[key] = items[: LIMITS["pros_cons"]]
        entries.append(row_content)
    rows["takeaways"] = [i for i, t in enumerate(data["takeaways"]) if t.strip()]
    rows["faq"] = [
        i for i, f in enumerate(data["faq"]) if f["question"].strip() or f["answer"].strip()
    ]
    content = {
        "title": data["title"],
        # As on saving: an empty slug is made from the title.
        "slug": data["slug"].strip() or slugify(data["title"], max_length=100, word_boundary=True),
        "summary": data["summary"],
        "bias": data["bias"],
        "intro": data["intro"] or None,
        "correction": data["correction"] or None,
        "criteria": [
            {"name": c["name"], "description": c["description"]}
            | ({"weight": w} if (w := number(c.get("weight"), 0)) is not None else {})
            for c in data["criteria"]
        ],
        "entries": entries,
        "takeaways": [data["takeaways"][i] for i in rows["takeaways"]],
        "faq": [
            {"question": data["faq"][i]["question"], "answer": data["faq"][i]["answer"]}
            for i in rows["faq"]
        ],
        "tags": _split_tags(data["tags"]),
    }
    if disclosure := data.get("disclosure"):
        content["disclosure"] = disclosure
    if review_by := to_day(data.get("review_by")):
        content["review_by"] = review_by
    low, high = number(data.get("scale_min")), number(data.get("scale_max"))
    if high is not None and (low or 0) < high:
        content["scale"] = {"min": low or 0, "max": high}
    return content, rows
