"""The interchange format: one JSON shape for import, export, the API and tests.

The models here check structure and size (types, lengths, URLs). Whether the
content makes an honest ranking is the editorial rules' job (``rules.py``), so a
draft with empty fields still parses and the rules say what it lacks.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from editorial.domain.errors import InvalidInput

__all__ = [
    "CriterionDecl",
    "CriterionNote",
    "ScoreScale",
    "Entry",
    "FaqItem",
    "InterchangeError",
    "LIMITS",
    "RankingPost",
    "json_schema",
    "parse_post",
]

# Field limits, documented in the README; the JSON Schema carries them too.
LIMITS = {
    "title": 200,
    "slug": 100,
    "summary": 500,
    "short_text": 200,  # criterion and entry names, best_for, tags, FAQ questions
    "markdown": 20_000,  # bias, intro, verdict, notes, descriptions, answers
    "url": 2_000,
    "criteria": 20,
    "entries": 50,
    "takeaways": 20,
    "faq": 30,
    "tags": 20,
    "pros_cons": 10,  # pros, and cons, per entry
    "evidence": 5,  # links per criterion note
}
# Weights and scores: finite numbers of a sensible size (a weight is relative; the page shows
# the weights as percentages of their sum).
MAX_NUMBER = 1_000_000

# C0 controls (other than tab, newline, carriage return), DEL and C1 controls:
# PostgreSQL refuses NUL outright and XML feeds cannot carry the others.
# Lone surrogates too: they cannot be encoded as UTF-8 at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _clean(value: str) -> str:
    # Browsers send a textarea's line breaks as CRLF; store them one way only.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value).strip()


# Any character str.isspace() calls a space (\s is the same set; a test compares them all),
# found in C rather than one character at a time: a form's addresses are checked thrice.
_SPACE = re.compile(r"\s")


def check_url(value: str | None) -> str | None:
    """``value`` when it is an absolute http(s) URL (None when empty); ValueError if not."""
    if value is None or value == "":
        return None
    if len(value) <= LIMITS["url"]:
        _known_url(value)
    else:
        _check_url(value)
    return value


def _check_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or _SPACE.search(value):
        raise ValueError("must be a web address starting with http:// or https://")


# The addresses found good, per process (a refusal raises, so it is never kept): the editor's
# form checks each of its addresses thrice a request, and sends them again on every pause.
_known_url = lru_cache(maxsize=4096)(_check_url)


def _text(max_length: int) -> Any:
    # The constraint sits inside the cleaning step so that pydantic reports it as a string
    # length ("at most 200 characters"), not as a generic size. The text as sent is held to
    # the same limit first, as the JSON Schema says: cleaning (control characters, CRLF,
    # surrounding space) must not make an over-long value acceptable.
    return Annotated[
        Annotated[str, StringConstraints(max_length=max_length)],
        BeforeValidator(_sent_then_cleaned(max_length)),
    ]


def _sent_then_cleaned(max_length: int) -> Any:
    """The text as sent held to ``max_length``, then cleaned (one step: a post has thousands)."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if len(value) > max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": max_length},
            )
        return _clean(value)

    return check


ShortText = _text(LIMITS["short_text"])
Markdown = Annotated[
    _text(LIMITS["markdown"]),
    Field(json_schema_extra={"contentMediaType": "text/markdown"}),
]
Url = Annotated[
    _text(LIMITS["url"]) | None,
    Field(default=None, json_schema_extra={"format": "uri"}),
    AfterValidator(check_url),
]


# One address in a list of them (evidence): required, checked as ``Url`` is.
def _link(value: str) -> str:
    if not value:
        raise ValueError("must be a web address, not empty")
    return check_url(value) or value


Link = Annotated[
    _text(LIMITS["url"]), Field(json_schema_extra={"format": "uri"}), AfterValidator(_link)
]
Number = Annotated[float, Field(ge=-MAX_NUMBER, le=MAX_NUMBER, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CriterionDecl(_Model):
    """A criterion the post declares and every entry is judged on."""

    name: ShortText
    description: Markdown = ""
    weight: Annotated[float, Field(ge=0, le=MAX_NUMBER, allow_inf_nan=False)] | None = Field(
        default=None,
        description="How much this criterion counts, relative to the others' weights "
        "(optional; shown as a percentage of their sum).",
    )


class CriterionNote(_Model):
    """How one entry fares on one declared criterion."""

    criterion: ShortText
    note: Markdown = ""
    score: Number | None = Field(
        default=None, description="The entry's score on this criterion, on the post's `scale`."
    )
    evidence: list[Link] | None = Field(
        default=None,
        max_length=LIMITS["evidence"],
        description="Links to what the note rests on: a test, a measurement, a source.",
    )


class ScoreScale(_Model):
    """The scale every score in a post is on, declared once (for example 0 to 10)."""

    min: Number = 0
    max: Number = 10

    @model_validator(mode="after")
    def _ordered(self) -> ScoreScale:
        if self.max <= self.min:
            raise ValueError("the scale's max must be greater than its min")
        return self


class Entry(_Model):
    """One ranked entry."""

    rank: int = Field(ge=1, le=1000, strict=True)
    name: ShortText
    url: Url = None
    verdict: Markdown = ""
    criteria: list[CriterionNote] = Field(default_factory=list, max_length=LIMITS["criteria"])
    pick_else: Markdown = Field(
        default="", description='The "when to pick something else instead" note (Markdown).'
    )
    best_for: ShortText | None = None
    link: Literal["sponsored", "affiliate"] | None = Field(
        default=None,
        description="Whether `url` is a sponsored or an affiliate link (a material connection "
        "the post must disclose).",
    )
    override: Markdown | None = Field(
        default=None,
        description="Why this entry is ranked above one with a higher weighted total "
        "(Markdown; shown on the page).",
    )
    pros: list[ShortText] | None = Field(default=None, max_length=LIMITS["pros_cons"])
    cons: list[ShortText] | None = Field(default=None, max_length=LIMITS["pros_cons"])


class FaqItem(_Model):
    question: ShortText
    answer: Markdown = ""


class RankingPost(_Model):
    """A ranking post's whole content, as imported, exported and stored per revision."""

    model_config = ConfigDict(
        extra="forbid",
        title="Ranking post",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    title: _text(LIMITS["title"])
    slug: _text(LIMITS["slug"])
    summary: _text(LIMITS["summary"])
    bias: Markdown = Field(description="The author's bias disclosure (Markdown).")
    intro: Markdown | None = None
    disclosure: Markdown | None = Field(
        default=None,
        description="The disclosure of material connections (sponsored or affiliate links, "
        "gifts, payments), shown above the first entry (Markdown).",
    )
    correction: Markdown | None = Field(
        default=None,
        description="A public note on what changed and why, shown on the page and in the feed "
        "when this version replaces a published one (Markdown).",
    )
    review_by: date | None = Field(
        default=None,
        description="Review this post again by this day (default: REVIEW_AFTER_MONTHS after "
        "each approval); the desk lists it as due then, and it stays live.",
    )
    criteria: list[CriterionDecl] = Field(max_length=LIMITS["criteria"])
    scale: ScoreScale | None = Field(
        default=None, description="The scale of every entry's scores (needed once any is given)."
    )
    entries: list[Entry] = Field(max_length=LIMITS["entries"])
    takeaways: list[_text(LIMITS["markdown"] // 10)] = Field(
        default_factory=list, max_length=LIMITS["takeaways"]
    )
    faq: list[FaqItem] = Field(default_factory=list, max_length=LIMITS["faq"])
    tags: list[ShortText] = Field(default_factory=list, max_length=LIMITS["tags"])
    meta: dict[str, Any] | None = Field(
        default=None,
        description="Added by export (id, state, revision, author, dates); ignored by import.",
    )

    def content(self) -> dict[str, Any]:
        """The content as stored in a revision: everything but ``meta``, absent fields left out."""
        return self.model_dump(mode="json", exclude={"meta"}, exclude_none=True)


class InterchangeError(InvalidInput):
    """Input that is not a well-formed ranking post; ``problems`` holds (field path, message)."""


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_post(data: str | bytes | dict[str, Any]) -> RankingPost:
    """Parse JSON text or a decoded object into a RankingPost, or raise InterchangeError."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InterchangeError([("", f"not valid JSON: {exc}")]) from None
        except RecursionError:
            raise InterchangeError([("", "not valid JSON: nested too deeply")]) from None
    if not isinstance(data, dict):
        raise InterchangeError([("", "must be a JSON object")])
    try:
        return RankingPost.model_validate(data)
    except ValidationError as exc:
        raise InterchangeError(
            [(_path(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
        ) from None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the interchange format, generated from the models."""
    schema = RankingPost.model_json_schema()
    schema["$id"] = "ranking-post.schema.json"
    return schema


if __name__ == "__main__":  # python -m editorial.domain.interchange > docs/ranking-post.schema.json
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
