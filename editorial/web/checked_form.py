"""Reading the editor's form: the content it holds if it is well-formed, the problems of its
fields, and the rules' findings on it (while the writer types, on saving, for the preview)."""

from __future__ import annotations

from typing import Any

from wtforms import FieldList

from editorial.domain import rules
from editorial.domain.interchange import (
    CriterionDecl,
    CriterionNote,
    Entry,
    FaqItem,
    InterchangeError,
    RankingPost,
    ScoreScale,
    parse_post,
)
from editorial.operations import posts as ops
from editorial.web import form_reader
from editorial.web.form_paths import field_id, labelled
from editorial.web.post_form import PostForm, post_data, to_content

# The outline's parts: a field id's first word, when it is one of these; else "post".
_SECTIONS = {"criteria", "entries", "takeaways", "faq"}


class Checked:
    """The outcome of reading an editor form: content if it is well-formed, and findings."""

    def __init__(self, form: PostForm, validate: bool = True, findings: bool = True):
        self.form: PostForm | None = form
        data = post_data(form)
        ok = form.validate() if validate else True
        self._settle(data, _flat_errors(form), ok, findings)

    @classmethod
    def posted(cls, findings: bool = True) -> Checked:
        """The request's editor form, read without WTForms' field objects (form_reader): for
        the requests that only look at it, the live findings and the who-wins grid."""
        data, errors = form_reader.read(form_reader.posted())
        checked = cls.__new__(cls)
        checked.form = None
        checked._settle(data, errors, not errors, findings)
        return checked

    def _settle(
        self, data: dict[str, Any], errors: list[tuple[str, list[str]]], ok: bool, findings: bool
    ) -> None:
        self.data = data
        self.content, self.rows = to_content(data)
        self.post: RankingPost | None = None
        self.problems: list[tuple[str, str]] = []  # (field id, message)
        for name, messages in errors:
            self.problems += [(name, message) for message in messages]
        if ok:
            try:
                self.post = parse_post(self.content)
            except InterchangeError as exc:
                self.problems += [(self.field(path), message) for path, message in exc.problems]
                self.post = None
        self.findings = rules.check_post(self.post or _lenient(self.content)) if findings else []

    def field(self, path: str) -> str:
        return field_id(path, self.rows) if path else ""

    def check_slug(self, post_id: int | None) -> None:
        """Add a finding when the slug (or the one made from the title) is another post's.

        The rules cannot know (they read no database); saving refuses such a slug, so the
        writer hears of it while typing, worded as the refusal is.
        """
        slug = self.content["slug"]
        if slug and not rules.slug_problem(slug) and ops.slug_taken(slug, post_id):
            message = f'The slug "{slug}" is already taken by another post.'
            taken = rules.Finding("slug-taken", rules.Severity.ERROR, message, "slug")
            self.findings = [taken, *self.findings]

    def labelled(self, field: str, message: str) -> str:
        """A problem as the findings list shows it: led by the name of its field."""
        return labelled(field, message, self.data)

    def counts(self) -> dict[str, list[int]]:
        """Errors and warnings by part of the form: each row ("entries-2"), and each section
        ("post", "criteria", "entries", "takeaways", "faq"), for the outline and the cards."""
        out: dict[str, list[int]] = {}
        found = [(f, True) for f, _ in self.problems] + [
            (self.field(f.field), f.severity is rules.Severity.ERROR) for f in self.findings
        ]
        for field, error in found:
            parts = field.split("-")
            section = parts[0] if parts[0] in _SECTIONS else "post"
            places = [section]
            if section != "post" and len(parts) > 1 and parts[1].isdigit():
                places.append(f"{section}-{parts[1]}")
            for place in places:
                tally = out.setdefault(place, [0, 0])
                tally[0 if error else 1] += 1
        return out

    def attach(self, problems: list[tuple[str, str]]) -> None:
        """Show operation problems (interchange paths) next to their fields."""
        for path, message in problems:
            assert self.form is not None, "only a save attaches problems, to its form"
            target = _find_field(self.form, self.field(path))
            if target is not None:
                target.errors = [*target.errors, message]
            self.problems.append((self.field(path), message))


def _flat_errors(form: Any, prefix: str = "") -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for field in form:
        if isinstance(field, FieldList):
            if own := [e for e in field.errors if isinstance(e, str)]:
                out.append((field.id, own))
            for sub in field.entries:
                if sub.type == "FormField":
                    out += _flat_errors(sub.form)
                elif sub.errors:
                    out.append((sub.id, sub.errors))
        elif field.type == "FormField":
            out += _flat_errors(field.form)
        elif field.errors and field.type != "CSRFTokenField":
            out.append((field.id, list(field.errors)))
        elif field.errors:
            out.append(("", ["This page is out of date; reload it to continue (your text stays)."]))
    return out


def _find_field(form: Any, wanted: str) -> Any:
    for field in form:
        if field.id == wanted:
            return field
        if isinstance(field, FieldList):
            for sub in field.entries:
                if sub.id == wanted:
                    return sub
                if sub.type == "FormField" and (found := _find_field(sub.form, wanted)):
                    return found
        elif field.type == "FormField" and (found := _find_field(field.form, wanted)):
            return found
    return None


def _lenient(content: dict[str, Any]) -> RankingPost:
    """The content as a RankingPost without validation, so that a form that does not parse
    yet (a field over its limit, a bad address) still gets the rules' findings."""
    entries = [
        Entry.model_construct(
            **{**e, "criteria": [CriterionNote.model_construct(**n) for n in e["criteria"]]}
        )
        for e in content["entries"]
    ]
    return RankingPost.model_construct(
        **{
            **content,
            "criteria": [CriterionDecl.model_construct(**c) for c in content["criteria"]],
            "entries": entries,
            "faq": [FaqItem.model_construct(**f) for f in content["faq"]],
            "scale": ScoreScale.model_construct(**content["scale"]) if "scale" in content else None,
        }
    )
