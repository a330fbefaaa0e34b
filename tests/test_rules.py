"""The editorial rules, tested on plain RankingPost objects: no app, no database."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from editorial.domain.interchange import RankingPost
from editorial.domain.rules import SLUG_PATTERN, Finding, Severity, check_post, has_errors

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


def with_pick_else(text: str, index: int = 0) -> RankingPost:
    return make_post(**{f"entries[{index}].pick_else": text})


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def only(findings: list[Finding], code: str) -> Finding:
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, f"expected one {code}, got {[f.as_dict() for f in findings]}"
    return found[0]


# --- the valid post ---------------------------------------------------------------------


def test_valid_post_has_no_findings() -> None:
    findings = check_post(make_post())
    assert findings == [], [f.message for f in findings]
    assert not has_errors(findings)


def test_minimal_post_without_optional_parts_is_valid() -> None:
    data = post_data()
    for key in ("intro", "takeaways", "faq", "tags"):
        del data[key]
    data["entries"] = data["entries"][:2]
    assert check_post(make_post(data)) == []


def test_names_compare_without_case_or_surrounding_space() -> None:
    post = make_post(
        **{
            "entries[0].criteria[0].criterion": "  performance",
            "entries[1].criteria[2].criterion": "LEARNING   CURVE",
        }
    )
    assert check_post(post) == []


# --- post-level errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "code", "field"),
    [
        ("title", "", "title-missing", "title"),
        ("title", "   ", "title-missing", "title"),
        ("summary", "", "summary-missing", "summary"),
        ("bias", "", "bias-missing", "bias"),
        ("slug", "", "slug-invalid", "slug"),
        ("slug", "Best-Python", "slug-invalid", "slug"),
        ("criteria", VALID["criteria"][:1], "criteria-too-few", "criteria"),
        ("criteria", [], "criteria-too-few", "criteria"),
        ("criteria[1].name", "", "criterion-name-missing", "criteria[1].name"),
        ("criteria[2].name", " performance ", "criterion-duplicate", "criteria[2].name"),
        ("entries", VALID["entries"][:1], "entries-too-few", "entries"),
        ("entries", [], "entries-too-few", "entries"),
        ("entries[2].rank", 4, "ranks-not-sequential", "entries"),
        ("entries[2].rank", 2, "ranks-not-sequential", "entries"),
        ("faq[0].answer", "", "faq-incomplete", "faq[0].answer"),
        ("faq[0].question", "", "faq-incomplete", "faq[0].question"),
    ],
)
def test_post_level_error(path: str, value: Any, code: str, field: str) -> None:
    findings = check_post(make_post(**{path: value}))
    finding = only(findings, code)
    assert finding.severity is Severity.ERROR
    assert finding.field == field
    assert finding.entry_rank is None and finding.entry_name is None
    assert has_errors(findings)


@pytest.mark.parametrize(
    "bias", ["TBD", "n/a", "N/A", "none", "None.", "-", "—", "…", "...", "todo", "?", "No bias."]
)
def test_placeholder_bias_counts_as_missing(bias: str) -> None:
    finding = only(check_post(make_post(bias=bias)), "bias-missing")
    assert finding.field == "bias"
    assert bias in finding.message


def test_short_but_real_bias_is_accepted() -> None:
    assert check_post(make_post(bias="I work for Django's fundraising team.")) == []


@pytest.mark.parametrize(
    ("slug", "valid"),
    [
        ("a", True),
        ("2026", False),
        ("top-10-2026", True),
        ("best-python-web-frameworks-2026", True),
        ("a" * 100, True),
        ("a" * 101, False),
        ("", False),
        ("Best-python", False),
        ("best python", False),
        ("best_python", False),
        ("best--python", False),
        ("-best", False),
        ("best-", False),
        ("béstpython", False),
        ("best-python\n", False),
    ],
)
def test_slug_pattern(slug: str, valid: bool) -> None:
    assert bool(SLUG_PATTERN.fullmatch(slug)) is valid


def test_invalid_slug_message_says_what_a_valid_slug_looks_like() -> None:
    finding = only(check_post(make_post(slug="Best Python!")), "slug-invalid")
    assert '"Best Python!"' in finding.message
    assert "lowercase letters and digits separated by single hyphens" in finding.message


def test_ranks_message_lists_the_ranks_found() -> None:
    data = post_data()
    extra = copy.deepcopy(data["entries"][2]) | {"name": "Litestar", "rank": 5}
    data["entries"].append(extra)
    data["entries"][2]["rank"] = 2
    finding = only(check_post(make_post(data)), "ranks-not-sequential")
    assert finding.message == "Ranks must run 1 to 4 with no gaps or repeats; found 1, 2, 2, 5."


def test_ranks_may_be_listed_in_any_order() -> None:
    post = make_post(**{"entries[0].rank": 3, "entries[2].rank": 1})
    assert check_post(post) == []


# --- entry-level rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "code", "severity", "field", "index"),
    [
        ("entries[1].name", "", "entry-name-missing", "error", "entries[1].name", 1),
        ("entries[2].name", " fastapi ", "entry-duplicate", "error", "entries[2].name", 2),
        ("entries[1].criteria", [], "entry-no-criteria", "error", "entries[1].criteria", 1),
        (
            "entries[0].criteria[1].criterion",
            "Price",
            "entry-unknown-criterion",
            "error",
            "entries[0].criteria[1].criterion",
            0,
        ),
        (
            "entries[0].criteria[1].criterion",
            "",
            "entry-unknown-criterion",
            "error",
            "entries[0].criteria[1].criterion",
            0,
        ),
        (
            "entries[2].criteria[1].note",
            "",
            "entry-note-empty",
            "error",
            "entries[2].criteria[1].note",
            2,
        ),
        (
            "entries[2].criteria[1].note",
            "TBD",
            "entry-note-empty",
            "error",
            "entries[2].criteria[1].note",
            2,
        ),
        (
            "entries[1].criteria[2].criterion",
            "ecosystem",
            "entry-criterion-repeated",
            "error",
            "entries[1].criteria[2].criterion",
            1,
        ),
        ("entries[1].pick_else", "", "entry-missing-pick-else", "error", "entries[1].pick_else", 1),
        (
            "entries[1].pick_else",
            "TBD",
            "entry-placeholder-pick-else",
            "error",
            "entries[1].pick_else",
            1,
        ),
        (
            "entries[1].pick_else",
            "Not for APIs.",
            "entry-pick-else-too-short",
            "error",
            "entries[1].pick_else",
            1,
        ),
        (
            "entries[1].pick_else",
            "Skip it if you need a fast async stack with websockets.",
            "pick-else-no-alternative",
            "warning",
            "entries[1].pick_else",
            1,
        ),
        ("entries[0].verdict", "", "verdict-short", "warning", "entries[0].verdict", 0),
        (
            "entries[0].verdict",
            "Fast, typed and pleasant to use.",
            "verdict-short",
            "warning",
            "entries[0].verdict",
            0,
        ),
        (
            "entries[2].criteria",
            VALID["entries"][2]["criteria"][:2],
            "entry-criterion-missing",
            "warning",
            "entries[2].criteria",
            2,
        ),
    ],
)
def test_entry_rule(
    path: str, value: Any, code: str, severity: str, field: str, index: int
) -> None:
    post = make_post(**{path: value})
    entry = post.entries[index]
    finding = only(check_post(post), code)
    assert finding.severity == severity
    assert finding.field == field
    assert finding.entry_rank == entry.rank
    assert finding.message.startswith(f"Entry #{entry.rank}")
    if entry.name:
        assert finding.entry_name == entry.name
        assert f'"{entry.name}"' in finding.message
    else:
        assert finding.entry_name is None


def test_missing_pick_else_message_is_exact() -> None:
    post = make_post(**{"entries[1].rank": 3, "entries[2].rank": 2, "entries[1].pick_else": ""})
    finding = only(check_post(post), "entry-missing-pick-else")
    assert finding.message == 'Entry #3 "Django" has no "when to pick something else" note.'
    assert finding.as_dict() == {
        "code": "entry-missing-pick-else",
        "severity": "error",
        "message": 'Entry #3 "Django" has no "when to pick something else" note.',
        "field": "entries[1].pick_else",
        "entry": {"rank": 3, "name": "Django"},
    }


@pytest.mark.parametrize(
    "text",
    [
        "TBD",
        "tbd.",
        "n/a",
        "N/A",
        "na",
        "-",
        "—",
        "…",
        "...",
        "todo",
        "TODO:",
        "none",
        "None.",
        "?",
        "**TBD**",
        "_n/a_",
        "*None*",
    ],
)
def test_placeholder_pick_else(text: str) -> None:
    findings = check_post(with_pick_else(text))
    assert [f.code for f in findings if f.field == "entries[0].pick_else"] == [
        "entry-placeholder-pick-else"
    ]


@pytest.mark.parametrize(
    "text",
    ["Not for APIs.", "Use Django.", "Use it for big apps", "Big: use Django."],
)
def test_pick_else_too_short(text: str) -> None:
    findings = check_post(with_pick_else(text))
    # An error on the note means no "names no alternative" warning on top of it.
    assert [f.code for f in findings if f.field == "entries[0].pick_else"] == [
        "entry-pick-else-too-short"
    ]


@pytest.mark.parametrize(
    ("text", "names_one"),
    [
        ("Go with django when you need an admin panel and user accounts.", True),
        ("Choose Litestar if you want msgspec speed and a stricter design.", True),
        ("Use [this one](https://litestar.dev) when raw speed matters most to you.", True),
        ("Visit https://litestar.dev when raw speed matters most to you.", True),
        ("Reach for `aiohttp` when you need a low-level async client and server.", True),
        ("Pick something else, e.g. Pyramid, when you need traversal routing.", True),
        ("Pick something else if you need a batteries-included admin out of the box.", False),
        ("Skip FastAPI if you do not need async; it adds complexity for no gain here.", False),
        ("I would choose something else for large sites with many editors.", False),
        ("Skip it unless FastAPI's speed matters more to you than anything.", False),
        ("Something else fits better. Honestly it depends on your team size.", False),
        ("Pick something else when:\n- Your team already knows another stack well", False),
        ("**Pick** something else if you want **less** magic in the request cycle.", False),
        ("Djangonauts would rather pick something else for admin-heavy work.", False),
    ],
)
def test_pick_else_must_name_an_alternative(text: str, names_one: bool) -> None:
    findings = check_post(with_pick_else(text))
    warned = "pick-else-no-alternative" in codes(findings)
    assert warned is not names_one
    assert not has_errors(findings)


def test_criterion_unused_is_reported_on_the_declaration() -> None:
    data = post_data()
    data["criteria"].append({"name": "Price", "description": "What it costs to run."})
    findings = check_post(make_post(data))
    finding = only(findings, "criterion-unused")
    assert finding.field == "criteria[3]"
    assert '"Price"' in finding.message
    # Every entry is also told it skips the criterion.
    missing = [f for f in findings if f.code == "entry-criterion-missing"]
    assert [f.entry_name for f in missing] == ["FastAPI", "Django", "Flask"]
    assert all('"Price"' in f.message for f in missing)


def test_entries_with_no_criteria_get_errors_not_a_pile_of_warnings() -> None:
    data = post_data()
    for entry in data["entries"]:
        entry["criteria"] = []
    assert codes(check_post(make_post(data))) == ["entry-no-criteria"] * 3


def test_one_missing_criterion_finding_per_missing_criterion() -> None:
    post = make_post(**{"entries[1].criteria": VALID["entries"][1]["criteria"][:1]})
    missing = [f for f in check_post(post) if f.code == "entry-criterion-missing"]
    assert [f.message for f in missing] == [
        'Entry #2 "Django" is not judged on "Ecosystem"; add a note on it.',
        'Entry #2 "Django" is not judged on "Learning curve"; add a note on it.',
    ]


def test_unknown_criterion_message_lists_the_declared_ones() -> None:
    post = make_post(**{"entries[0].criteria[0].criterion": "Speed"})
    finding = only(check_post(post), "entry-unknown-criterion")
    assert '"Speed"' in finding.message
    assert '"Performance", "Ecosystem", "Learning curve"' in finding.message


# --- ordering and output ----------------------------------------------------------------


def test_errors_come_first_then_warnings_each_in_document_order() -> None:
    data = post_data()
    data["criteria"].append({"name": "Price"})  # post-level warning
    set_path(data, "entries[2].pick_else", "")  # entry error, last entry
    set_path(data, "entries[0].verdict", "Too short.")  # entry warning, first entry
    set_path(data, "entries[1].name", "")  # entry error, middle entry
    data["bias"] = "TBD"  # post-level error
    findings = check_post(make_post(data))
    assert [(f.severity.value, f.field) for f in findings] == [
        ("error", "bias"),
        ("error", "entries[1].name"),
        ("error", "entries[2].pick_else"),
        ("warning", "criteria[3]"),
        ("warning", "entries[0].verdict"),
        ("warning", "entries[0].criteria"),
        ("warning", "entries[1].criteria"),
        ("warning", "entries[2].criteria"),
    ]


def test_findings_serialise_to_json() -> None:
    post = make_post(title="", **{"entries[0].verdict": ""})
    dumped = json.loads(json.dumps([f.as_dict() for f in check_post(post)]))
    assert dumped[0] == {
        "code": "title-missing",
        "severity": "error",
        "message": "The post has no title.",
        "field": "title",
        "entry": None,
    }
    assert dumped[1]["entry"] == {"rank": 1, "name": "FastAPI"}


def test_has_errors_ignores_warnings() -> None:
    warning = Finding("verdict-short", Severity.WARNING, "Short.", "entries[0].verdict", 1, "X")
    error = Finding("title-missing", Severity.ERROR, "No title.", "title")
    assert not has_errors([])
    assert not has_errors([warning])
    assert has_errors(iter([warning, error]))
