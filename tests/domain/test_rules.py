"""The editorial rules on a whole post, tested on plain RankingPost objects (no app, no
database): the valid post, post-level errors, and the order and output of findings. The
entry-level rules are in test_rules_entries.py."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from editorial.domain import rules
from editorial.domain.findings import BIAS_PLACEHOLDERS, PLACEHOLDERS, bare
from editorial.domain.rules import SLUG_PATTERN, Finding, Severity, check_post, has_errors
from tests.helpers.rules import VALID, make_post, only, post_data, set_path

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
    post = make_post(
        **{
            "entries[0].rank": 3,
            "entries[2].rank": 1,
            "entries[2].criteria[1].evidence": ["https://example.org/flask-extensions-survey"],
        }
    )
    assert check_post(post) == []


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


# --- placeholders, told from a text's first words -------------------------------------------

_PIECES = ["n/a", "N.A.", "TBD", "nothing to disclose", "No bias.", "lorem ipsum", "x", "1",
           " ", "-", "…", "**", "_", "ß", "ẞ", "İ", "\u0345", "é", "٣", "²", "\n", "Σ", "ς",
           "ﬀ"]  # fmt: skip


def test_a_placeholder_is_told_from_its_first_words_as_from_the_whole_text():
    rng = random.Random(5)
    texts = ["", "  N/A  " + " " * 1000, "nothingtodisclose", "nothing to disclose!", "ẞ" * 9]
    texts += ["".join(rng.choices(_PIECES, k=rng.randint(1, 12))) for _ in range(20_000)]
    for text in texts:
        for words in (PLACEHOLDERS, BIAS_PLACEHOLDERS):
            assert rules._placeholder(text, words) == (bare(text) in words), repr(text)
