"""The editorial rules on each entry, tested on plain RankingPost objects (no app, no
database): the "when to pick something else" note and the criteria notes."""

from __future__ import annotations

from typing import Any

import pytest

from editorial.domain.rules import check_post, has_errors
from tests.helpers.rules import VALID, codes, make_post, only, post_data, with_pick_else

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


@pytest.mark.parametrize(
    ("verdict", "said"),
    [("", "has no verdict;"), ("Fast.", "(1 word);"), ("Fast and typed.", "(3 words);")],
)
def test_a_short_verdict_counts_its_words_in_good_english(verdict: str, said: str) -> None:
    finding = only(check_post(make_post(**{"entries[0].verdict": verdict})), "verdict-short")
    assert said in finding.message
