"""Who can never rank first (weighting.never_first) on posts of many entries and criteria: the
weighting game settles what the linear programmes would, whether it wins, proves an entry
never first, or leaves it to its programme. Plain RankingPost objects: no app, no database."""

from __future__ import annotations

import random

import pytest

from editorial.domain import weighting
from editorial.domain.interchange import RankingPost, parse_post

SHAPES = [(5, 2), (12, 4), (30, 8), (50, 20), (20, 20), (40, 3)]


def _post(scores: list[list[float]], weights: list[int], top: float) -> RankingPost:
    criteria = [{"name": f"Criterion {c}", "weight": w} for c, w in enumerate(weights)]
    entries = [
        {
            "rank": rank,
            "name": f"Entry {rank}",
            "criteria": [
                {"criterion": f"Criterion {c}", "score": score} for c, score in enumerate(row)
            ],
        }
        for rank, row in enumerate(scores, 1)
    ]
    return parse_post(
        {
            "title": "Scores",
            "slug": "scores",
            "summary": "Scores.",
            "bias": "None of them paid.",
            "criteria": criteria,
            "entries": entries,
            "scale": {"min": 0, "max": top},
        }
    )


def _random_post(seed: int) -> RankingPost:
    """Scores on few values (ties, and entries another matches or beats everywhere) or many."""
    rng = random.Random(seed)
    entries, criteria = SHAPES[seed % len(SHAPES)]
    top = rng.choice([2, 3, 10, 100])
    step = rng.choice([1, 0.5])
    scores = [
        [rng.randint(0, int(top / step)) * step for _ in range(criteria)] for _ in range(entries)
    ]
    return _post(scores, [rng.randint(1, 10) for _ in range(criteria)], top)


def _never_first_by_programmes(post: RankingPost) -> list[int]:
    return [w.index for w in weighting.who_wins(post) if not w.possible]


@pytest.mark.parametrize("seed", range(18))
def test_the_game_and_the_programmes_find_the_same_entries_never_first(seed, monkeypatch):
    post = _random_post(seed)
    assert [w.index for w in weighting.never_first(post)] == _never_first_by_programmes(post)
    # With no rounds of the game, the programmes settle every entry the samples leave: alike.
    weighting._possible.cache_clear()
    monkeypatch.setattr(weighting, "ROUNDS", 0)
    assert [w.index for w in weighting.never_first(post)] == _never_first_by_programmes(post)


def test_the_game_settles_almost_every_entry_of_the_desks_size_of_post(monkeypatch):
    """50 entries and 20 criteria: the game finds who wins and proves who never does, and
    leaves fewer programmes to solve than posts checked (counted, not timed)."""
    weighting._possible.cache_clear()
    solve = weighting._feasible
    solved: list[int] = []
    monkeypatch.setattr(weighting, "_feasible", lambda *args: solved.append(1) or solve(*args))
    posts, never = 0, 0
    for seed in range(3, 120, len(SHAPES)):  # the (50, 20) posts of _random_post
        post = _random_post(seed)
        expected = _never_first_by_programmes(post)  # who_wins solves its own programmes
        assert [w.index for w in weighting.never_first(post)] == expected
        posts, never = posts + 1, never + len(expected)
    assert never > 0
    assert len(solved) < posts
