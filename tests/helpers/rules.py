"""A valid ranking post to break, field by field, and readers of post content and of the
rules' findings: for the domain's tests, which need no app and no database."""

from __future__ import annotations

import copy
import re
from typing import Any

from editorial.domain.interchange import RankingPost
from editorial.domain.rules import Finding

CRITERIA = ["Performance", "Ecosystem", "Learning curve"]


def notes(*texts: str) -> list[dict[str, str]]:
    """One entry's criterion notes, in the order of CRITERIA."""
    return [{"criterion": name, "note": text} for name, text in zip(CRITERIA, texts, strict=True)]


VALID: dict[str, Any] = {
    "title": "The best Python web frameworks in 2026, ranked",
    "slug": "best-python-web-frameworks-2026",
    "summary": "Three frameworks we have shipped production apps with, ranked for small teams.",
    "bias": (
        "I have maintained Django sites for ten years and contributed small patches to "
        "Flask. Nobody paid for this post."
    ),
    "intro": "We built the same booking app three times and kept notes.",
    "criteria": [
        {"name": "Performance", "description": "Requests per second and latency under load."},
        {"name": "Ecosystem", "description": "Packages, docs and hosting support."},
        {"name": "Learning curve", "description": "How fast a new hire becomes useful."},
    ],
    "entries": [
        {
            "rank": 1,
            "name": "FastAPI",
            "url": "https://fastapi.tiangolo.com",
            "verdict": (
                "Type hints become validation and docs for free, and it is the fastest of "
                "the three on every benchmark we ran."
            ),
            "criteria": notes(
                "Async from the ground up; top of our load tests.",
                "Younger, but the pydantic world fills most gaps.",
                "Gentle if you already know type hints.",
            ),
            "pick_else": (
                "Pick Django instead when you need an admin, an ORM and auth out of the box "
                "rather than assembling them yourself."
            ),
            "best_for": "JSON APIs",
        },
        {
            "rank": 2,
            "name": "Django",
            "url": "https://www.djangoproject.com",
            "verdict": (
                "Batteries included: the admin alone saved us two weeks, and the upgrade path "
                "has been boring in the best way."
            ),
            "criteria": notes(
                "Fine for most sites; async views help.",
                "The largest of the three by far.",
                "Steep at first: there is a lot of it.",
            ),
            "pick_else": (
                "If you are building a small JSON API or a prototype, Flask or FastAPI will get "
                "you there with less ceremony."
            ),
        },
        {
            "rank": 3,
            "name": "Flask",
            "url": "https://flask.palletsprojects.com",
            "verdict": (
                "Small, stable and easy to read end to end, but you assemble the rest of the "
                "stack yourself and keep it upgraded."
            ),
            "criteria": notes(
                "Synchronous by default; adequate behind gunicorn.",
                "Mature extensions, some of them unmaintained.",
                "The easiest start of the three.",
            ),
            "pick_else": (
                "For async-heavy APIs choose FastAPI; for a content site with editors, Django "
                "saves you weeks."
            ),
        },
    ],
    "takeaways": ["FastAPI for APIs, Django for sites, Flask for small things."],
    "faq": [{"question": "Is Flask dead?", "answer": "No: it is stable, which is different."}],
    "tags": ["python", "web"],
}
# The entry ranked first rests on something a reader can check.
VALID["entries"][0]["criteria"][0]["evidence"] = ["https://example.org/benchmarks/2026/json-api"]


def post_data() -> dict[str, Any]:
    """A fresh deep copy of the valid post, to mutate."""
    return copy.deepcopy(VALID)


def make_post(data: dict[str, Any] | None = None, **changes: Any) -> RankingPost:
    data = post_data() if data is None else data
    for path, value in changes.items():
        set_path(data, path, value)
    return RankingPost.model_validate(data)


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``entries[2].pick_else``-style paths (the interchange's field paths)."""
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    target: Any = data
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value


def entry(content: dict[str, Any], name: str) -> dict[str, Any]:
    """The entry called ``name`` in post content (interchange data)."""
    return next(e for e in content["entries"] if e["name"] == name)


def with_pick_else(text: str, index: int = 0) -> RankingPost:
    return make_post(**{f"entries[{index}].pick_else": text})


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def only(findings: list[Finding], code: str) -> Finding:
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, f"expected one {code}, got {[f.as_dict() for f in findings]}"
    return found[0]
