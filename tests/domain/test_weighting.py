"""Weights and scores (issue 18): the format carries them, the rules check that the ranks follow
the weighted totals, and the desk says under which weighting each entry would rank first.
Plain RankingPost objects: no app, no database."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from editorial.domain import checklist, weighting
from editorial.domain.diff import diff_posts
from editorial.domain.interchange import InterchangeError, parse_post
from editorial.domain.rules import Severity, check_post
from tests.helpers.rules import CRITERIA, VALID, make_post

# FastAPI, Django, Flask on Performance, Ecosystem, Learning curve.
SCORES = {"FastAPI": (9, 6, 8), "Django": (6, 10, 5), "Flask": (6, 6, 9)}
WEIGHTS = (40, 30, 30)


def scored(
    scores: dict[str, tuple[float, ...]] = SCORES,
    weights: tuple[float | None, ...] = WEIGHTS,
    ranks: dict[str, int] | None = None,
    scale: dict[str, float] | None = None,
) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    data["scale"] = scale or {"min": 0, "max": 10}
    for criterion, weight in zip(data["criteria"], weights, strict=True):
        if weight is not None:
            criterion["weight"] = weight
    for entry in data["entries"]:
        for note, score in zip(entry["criteria"], scores.get(entry["name"], ()), strict=False):
            note["score"] = score
        if ranks:
            entry["rank"] = ranks[entry["name"]]
    return data


def codes(data: dict[str, Any]) -> list[tuple[str, Severity, int | None]]:
    return [(f.code, f.severity, f.entry_rank) for f in check_post(make_post(data))]


def test_a_post_without_scores_reads_as_before() -> None:
    post = make_post()
    assert not weighting.is_scored(post)
    assert weighting.totals(post) is None and weighting.who_wins(post) == []
    assert "scale" not in post.content()
    assert all("weight" not in c for c in post.content()["criteria"])


def test_weights_scores_and_the_scale_round_trip_through_the_format() -> None:
    post = parse_post(scored())
    content = post.content()
    assert content["scale"] == {"min": 0, "max": 10}
    assert [c["weight"] for c in content["criteria"]] == list(WEIGHTS)
    assert [n["score"] for n in content["entries"][1]["criteria"]] == list(SCORES["Django"])
    assert parse_post(content).content() == content


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("weight", -1, "greater than or equal to 0"),
        ("weight", "heavy", "valid number"),
        ("score", float("inf"), "finite number"),
        ("scale", {"min": 10, "max": 0}, "max must be greater than its min"),
    ],
)
def test_bad_numbers_are_refused_naming_the_field(path: str, value: Any, message: str) -> None:
    data = scored()
    if path == "weight":
        data["criteria"][1]["weight"] = value
        field = "criteria[1].weight"
    elif path == "score":
        data["entries"][2]["criteria"][0]["score"] = value
        field = "entries[2].criteria[0].score"
    else:
        data["scale"] = value
        field = "scale"
    with pytest.raises(InterchangeError) as caught:
        parse_post(data)
    assert [p for p in caught.value.problems if p[0] == field and message in p[1]], (
        caught.value.problems
    )


def test_totals_are_weighted_means_on_the_scale() -> None:
    post = make_post(scored())
    assert weighting.totals(post) == pytest.approx([7.8, 6.9, 6.9])
    assert weighting.percentages(post) == pytest.approx(
        dict(zip(CRITERIA, (40, 30, 30), strict=True))
    )


def test_ranks_that_follow_the_totals_need_nothing_but_a_tie_is_warned_about() -> None:
    assert codes(scored()) == [("scores-tied", Severity.WARNING, 3)]
    # Break the tie: the post is clean.
    assert codes(scored(scores={**SCORES, "Flask": (5, 6, 10)})) == []


def test_an_entry_above_a_higher_total_needs_an_override_note() -> None:
    data = scored(ranks={"Django": 1, "FastAPI": 2, "Flask": 3})
    findings = check_post(make_post(data))
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert [(f.code, f.entry_rank, f.field) for f in errors] == [
        ("rank-against-scores", 1, "entries[1].override")
    ]
    assert "whose weighted total is higher (7.8 against 6.9)" in errors[0].message
    assert 'entry #2 "FastAPI"' in errors[0].message
    data["entries"][1]["override"] = "Most readers run admin-heavy sites, which Django wins."
    assert not [f for f in check_post(make_post(data)) if f.severity is Severity.ERROR]


def test_every_weighted_criterion_needs_a_score_for_every_entry() -> None:
    data = scored()
    del data["entries"][1]["criteria"][2]["score"]  # Django on Learning curve
    findings = [f for f in check_post(make_post(data)) if f.code == "score-missing"]
    assert [(f.entry_rank, f.field) for f in findings] == [(2, "entries[1].criteria[2].score")]
    assert findings[0].severity is Severity.ERROR
    assert 'no score on "Learning curve"' in findings[0].message
    # An unweighted criterion may go unscored.
    data = scored(weights=(40, 30, None))
    for entry in data["entries"]:
        del entry["criteria"][2]["score"]
    assert [c for c in codes(data) if c[1] is Severity.ERROR] == []


def test_weights_all_zero_scores_off_the_scale_and_a_missing_scale_are_errors() -> None:
    assert ("weights-all-zero", Severity.ERROR, None) in codes(scored(weights=(0, 0, 0)))
    data = scored()
    data["entries"][0]["criteria"][0]["score"] = 11
    assert ("score-out-of-scale", Severity.ERROR, 1) in codes(data)
    data = scored()
    del data["scale"]
    assert ("scale-missing", Severity.ERROR, None) in codes(data)


def test_scores_without_any_weight_are_a_warning() -> None:
    assert codes(scored(weights=(None, None, None))) == [
        ("weights-missing", Severity.WARNING, None)
    ]


def test_who_wins_names_the_nearest_weighting_under_which_each_entry_is_first() -> None:
    wins = {w.name: w for w in weighting.who_wins(make_post(scored()))}
    assert [w.rank for w in weighting.who_wins(make_post(scored()))] == [1, 2, 3]
    assert wins["FastAPI"].possible and wins["FastAPI"].changes == ()
    assert wins["FastAPI"].describe() == "FastAPI ranks first under the author's weights."
    django = wins["Django"]
    assert django.possible
    # Django wins once Ecosystem outweighs Performance enough: check the weighting it names.
    needed = {c.criterion: c.needed for c in django.changes}
    shares = weighting.percentages(make_post(scored())) | needed
    assert sum(shares.values()) == pytest.approx(100, abs=0.01)
    totals = {
        name: sum(shares[c] * s for c, s in zip(CRITERIA, scores, strict=True))
        for name, scores in SCORES.items()
    }
    assert max(totals, key=totals.get) == "Django"
    assert django.describe().startswith("Django ranks first when ")
    assert "Ecosystem weighs at least" in django.describe()
    # The nearest: a weighting that moves less does not make Django first.
    moved = sum(abs(c.needed - c.author) for c in django.changes)
    assert 0 < moved < 60


def test_an_entry_no_weighting_puts_first_gets_a_warning() -> None:
    # Flask is behind FastAPI on every criterion: nothing makes it first.
    data = scored(scores={**SCORES, "Flask": (5, 5, 7)})
    wins = {w.name: w for w in weighting.who_wins(make_post(data))}
    assert not wins["Flask"].possible
    assert (
        wins["Flask"].describe() == "Flask cannot rank first under any weighting of these criteria."
    )
    findings = [f for f in check_post(make_post(data)) if f.code == "never-first"]
    assert [(f.entry_rank, f.severity, f.message) for f in findings] == [
        (3, Severity.WARNING, wins["Flask"].describe())
    ]


def test_the_diff_shows_a_weight_a_score_and_the_scale_changing_as_such() -> None:
    old = parse_post(scored()).content()
    new = copy.deepcopy(old)
    new["criteria"][0]["weight"] = 25
    new["entries"][1]["criteria"][2]["score"] = 5.5
    new["scale"] = {"min": 0, "max": 100}
    new["entries"][0]["pros"] = ["Fast"]
    diff = diff_posts(old, new)
    assert [(c.label, c.path, c.old, c.new) for c in diff.fields] == [
        ("Weight of “Performance”", "criteria[0].weight", "40", "25"),
        ("Score scale", "scale", "0 to 10", "0 to 100"),
    ]
    changes = {(e.name, c.label, c.old, c.new) for e in diff.changed for c in e.fields}
    assert changes == {
        ("Django", "Score on “Learning curve”", "5", "5.5"),
        ("FastAPI", "Pros", "", "Fast"),
    }


def test_a_weight_change_lapses_the_reviewers_tick_on_the_criteria() -> None:
    def criteria_item(data: dict[str, Any]) -> str:
        return next(i.fingerprint for i in checklist.items(data) if i.key == "post:criteria")

    before, after = scored(), scored(weights=(40, 35, 25))
    assert criteria_item(before) != criteria_item(after)
    assert criteria_item(before) == criteria_item(scored())


@pytest.mark.parametrize("seed", range(8))
def test_the_quick_never_first_check_agrees_with_the_full_programmes(seed: int) -> None:
    rng = random.Random(seed)
    names = ["FastAPI", "Django", "Flask"]
    data = scored(
        scores={name: tuple(rng.randint(0, 10) for _ in CRITERIA) for name in names},
        weights=tuple(rng.randint(1, 5) for _ in CRITERIA),
    )
    extra = copy.deepcopy(data["entries"][2])
    for i in range(4, 10):  # more entries, random scores
        entry = copy.deepcopy(extra)
        entry["name"], entry["rank"] = f"Entry {i}", i
        for note in entry["criteria"]:
            note["score"] = rng.randint(0, 10)
        data["entries"].append(entry)
    post = make_post(data)
    full = [w.index for w in weighting.who_wins(post) if not w.possible]
    assert [w.index for w in weighting.never_first(post)] == full


@pytest.mark.parametrize("keep", [0, 1])
def test_a_scored_post_with_one_entry_or_none_is_checked_without_a_crash(keep: int) -> None:
    data = scored()
    data["entries"] = data["entries"][:keep]
    post = make_post(data)
    codes = {f.code for f in check_post(post)}
    assert "entries-too-few" in codes
    assert weighting.never_first(post) == []
    assert [w.possible for w in weighting.who_wins(post)] == [True] * keep
