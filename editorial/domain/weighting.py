"""Weighted scores: what order a ranking's own criteria give, and under which weightings each
entry would rank first.

Pure functions over ``interchange.RankingPost`` (no app, no database). A criterion with a
``weight`` counts; each entry's weighted total is the weighted mean of its scores on those
criteria, on the post's scale. "Who wins when" is a small linear programme per entry (the
nearest weighting, in total change of the percentages, under which that entry's total is the
highest), solved by SciPy's HiGHS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from editorial.domain.interchange import Entry, RankingPost

# Two totals closer than this share of the scale are the same total.
TIE = 1e-9
# Under a weighting that makes an entry first, its total beats every other by at least this
# share of the scale: "first", not "tied for first".
MARGIN = 1e-4
# A weight the solution moves by less than this (a share of 1) is reported as unchanged.
NOTICEABLE = 0.005


@lru_cache(maxsize=4096)
def key(name: str) -> str:
    """A criterion's name as compared: whitespace collapsed, case folded (as the rules do)."""
    return re.sub(r"\s+", " ", name).strip().casefold()


def weighted(post: RankingPost) -> list[tuple[str, float]]:
    """The criteria that carry a weight, as (name, weight), in the post's order (duplicate and
    nameless criteria left out: the rules report those)."""
    seen: set[str] = set()
    out = []
    for criterion in post.criteria:
        name = key(criterion.name)
        if criterion.weight is None or not name or name in seen:
            continue
        seen.add(name)
        out.append((criterion.name, criterion.weight))
    return out


def is_scored(post: RankingPost) -> bool:
    """Whether the post uses weights or scores at all (a post without reads as prose)."""
    return any(c.weight is not None for c in post.criteria) or any(
        n.score is not None for e in post.entries for n in e.criteria
    )


def scores(entry: Entry) -> dict[str, float]:
    """An entry's scores by criterion key (the first note on a criterion counts)."""
    out: dict[str, float] = {}
    for note in entry.criteria:
        if note.score is not None:
            out.setdefault(key(note.criterion), note.score)
    return out


def totals(post: RankingPost) -> list[float] | None:
    """Each entry's weighted total, in the post's entry order; None while the order cannot be
    computed (no weights, weights all zero, or a weighted criterion some entry has no score
    on)."""
    criteria = weighted(post)
    whole = sum(weight for _, weight in criteria)
    if not criteria or whole <= 0:
        return None
    keyed = [(key(name), weight) for name, weight in criteria]
    out = []
    for entry in post.entries:
        given = scores(entry)
        if any(k not in given for k, _ in keyed):
            return None
        out.append(sum(weight * given[k] for k, weight in keyed) / whole)
    return out


def percentages(post: RankingPost) -> dict[str, float]:
    """Each weighted criterion's share of the weights, in percent (empty when they sum to 0)."""
    criteria = weighted(post)
    whole = sum(weight for _, weight in criteria)
    if whole <= 0:
        return {}
    return {name: 100 * weight / whole for name, weight in criteria}


@dataclass(frozen=True)
class Change:
    """One criterion's weight in a weighting that makes an entry first."""

    criterion: str
    author: float  # the author's share, in percent
    needed: float  # the share in the nearest weighting that makes the entry first

    def describe(self) -> str:
        if self.needed < self.author:
            return f"{self.criterion} weighs at most {_percent(self.needed)}"
        return f"{self.criterion} weighs at least {_percent(self.needed)}"


@dataclass(frozen=True)
class Win:
    """Whether an entry can rank first under some weighting of the post's criteria, and the
    nearest such weighting to the author's (``changes`` empty: it already does)."""

    index: int  # in the post's entries
    name: str
    rank: int
    possible: bool
    changes: tuple[Change, ...] = ()

    def describe(self) -> str:
        if not self.possible:
            return f"{self.name} cannot rank first under any weighting of these criteria."
        if not self.changes:
            return f"{self.name} ranks first under the author's weights."
        conditions = [c.describe() for c in self.changes]
        joined = (
            conditions[0]
            if len(conditions) == 1
            else ", ".join(conditions[:-1]) + " and " + conditions[-1]
        )
        return f"{self.name} ranks first when {joined}."


def _percent(share: float) -> str:
    return f"{round(share):d} %" if abs(share - round(share)) < 0.05 else f"{share:.1f} %"


def _problem(post: RankingPost) -> tuple[list[str], Matrix, Shares, float] | None:
    """The criteria's names, the scores (entries × weighted criteria, in entry order), the
    author's shares and the margin of a win; None while the totals cannot be computed (as
    ``totals`` says) or there is no entry to rank."""
    criteria = weighted(post)
    whole = sum(weight for _, weight in criteria)
    if not post.entries or not criteria or whole <= 0:
        return None
    names = [name for name, _ in criteria]
    author = tuple(weight / whole for _, weight in criteria)
    keys = [key(name) for name in names]
    given = [scores(entry) for entry in post.entries]
    if any(k not in row for row in given for k in keys):
        return None  # some entry has no score on a weighted criterion
    matrix = tuple(tuple(row[k] for k in keys) for row in given)
    span = (post.scale.max - post.scale.min) if post.scale else 1.0
    return names, matrix, author, MARGIN * span


def who_wins(post: RankingPost, limit: int | None = None) -> list[Win]:
    """For every entry, in rank order, whether and under which weighting it ranks first (with
    ``limit``, only until that many can); empty while the totals cannot be computed."""
    problem = _problem(post)
    if problem is None:
        return []
    names, matrix, author, margin = problem
    wins: list[Win] = []
    for index, entry in sorted(enumerate(post.entries), key=lambda pair: pair[1].rank):
        if limit is not None and sum(w.possible for w in wins) >= limit:
            break
        needed = _nearest_win(matrix, index, author, margin)
        if needed is None:
            wins.append(Win(index, entry.name, entry.rank, False))
            continue
        changes = tuple(
            Change(name, 100 * old, 100 * new)
            for name, old, new in zip(names, author, needed, strict=True)
            if abs(new - old) >= NOTICEABLE
        )
        wins.append(Win(index, entry.name, entry.rank, True, changes))
    return wins


def never_first(post: RankingPost) -> list[Win]:
    """The entries no weighting puts first, in rank order (the rules' warning). Cheaper than
    ``who_wins``: most entries are shown to win under some weighting without solving anything."""
    problem = _problem(post)
    if problem is None:
        return []
    _names, matrix, author, margin = problem
    possible = _possible(matrix, author, margin)
    return [
        Win(index, entry.name, entry.rank, False)
        for index, entry in sorted(enumerate(post.entries), key=lambda pair: pair[1].rank)
        if not possible[index]
    ]


Matrix = tuple[tuple[float, ...], ...]
Shares = tuple[float, ...]
SAMPLES = 512  # weightings tried at random (seeded, so every run finds the same) before solving
ROUNDS = 100  # rounds of the weighting game (_play) before what is left goes to the programmes
# A bound on an entry's best lead this far under the margin (a share of the largest score
# difference) proves that no weighting gives it the margin: HiGHS accepts a programme's
# constraints within 1e-7, so a closer bound is left to the programme itself.
SURE = 1e-6


@lru_cache(maxsize=256)
def _possible(matrix: Matrix, author: Shares, margin: float) -> tuple[bool, ...]:
    """Whether each entry ranks first under some weighting. An entry first under the author's
    weights, under one criterion alone or under one of SAMPLES weightings drawn at random can;
    the rest play the weighting game (_play), which settles almost all of them; what it leaves
    is settled by a linear programme each. Kept per process (typing changes no score)."""
    # Loaded on first use: NumPy and SciPy cost every process that imports this at start-up.
    import numpy as np

    scores = np.asarray(matrix, dtype=float)
    n = scores.shape[1]
    rng = np.random.default_rng(20260)
    weightings = np.vstack([np.asarray(author), np.eye(n), rng.dirichlet(np.ones(n), SAMPLES)])
    # einsum, not @: NumPy's @ hands even products this small to OpenBLAS, whose second thread
    # waits for a CPU on a busy machine and spins (3x the time here, at load 4).
    totals = np.einsum("ec,wc->ew", scores, weightings)  # entries × weightings
    ordered = np.sort(totals, axis=0)
    runner_up = ordered[-2] if len(scores) > 1 else ordered[-1] - 2 * margin
    best = totals.max(axis=0)
    # Entry i wins a weighting when its total is the best and beats the runner-up by margin.
    wins = (totals == best) & (best - runner_up >= margin)
    possible: list[bool | None] = [True if wins[i].any() else None for i in range(len(scores))]
    open_ = [i for i, known in enumerate(possible) if known is None]
    if open_:
        possible = [*possible]
        for i, settled in zip(open_, _play(scores, open_, margin), strict=True):
            possible[i] = _feasible(matrix, i, margin) if settled is None else settled
    return tuple(bool(p) for p in possible)


def _play(scores: Any, open_: list[int], margin: float) -> list[bool | None]:
    """For each entry of ``open_``: True when a weighting is found under which it beats every
    other by ``margin``, False when none can exist, None when ROUNDS leave it unsettled.

    Entry i's best lead is a game (multiplicative weights): the weighting leans, round after
    round, towards the criteria on which i beats the entry that beats it most under the
    current weighting. A weighting under which i leads every other by the margin is a win,
    checked as the sampled ones are. How often each other entry was the one ahead (over all
    rounds, and since the last round that was a power of 2) gives a mixture of the others;
    i's lead over a mixture, on its best criterion, bounds its lead under any weighting (a
    convex combination of the criteria), so a bound under the margin proves it never first
    (the programme's infeasibility, shown by its dual). An entry another matches or beats on
    every criterion is never first, as _feasible says before solving."""
    import numpy as np

    rows = np.asarray(open_)
    # lead[k, j, c]: how far open entry k is ahead of entry j on criterion c.
    lead = scores[rows][:, None, :] - scores[None, :, :]
    span = float(np.abs(lead).max()) or 1.0
    sure = margin - SURE * max(span, 1.0)
    step = 0.5 / span
    itself = np.zeros(lead.shape[:2])  # +inf against itself: never the entry ahead of it
    itself[np.arange(len(rows)), rows] = np.inf
    beaten = ((lead <= 0).all(axis=2) & (itself == 0)).any(axis=1)
    out: list[bool | None] = [False if b else None for b in beaten]
    # The entries still in play, and their arrays, row for row (kept compact as they settle).
    playing = np.flatnonzero(~beaten)
    lead, itself = lead[playing], itself[playing]
    weights = np.full((len(playing), scores.shape[1]), 1.0 / scores.shape[1])
    ahead_counts = np.zeros(lead.shape[:2])
    recent = np.zeros(lead.shape[:2])  # since the last round that was a power of 2
    since = 0
    for round_ in range(1, ROUNDS + 1):
        if not len(playing):
            break
        at = np.arange(len(playing))
        leads = np.einsum("kjc,kc->kj", lead, weights) + itself
        worst = leads.argmin(axis=1)
        ahead_counts[at, worst] += 1
        if round_ & (round_ - 1) == 0:
            recent[:] = 0
            since = round_
        recent[at, worst] += 1
        won = leads[at, worst] >= margin
        settled = won
        if round_ % 10 == 0:
            bound = np.minimum(
                np.einsum("kj,kjc->kc", ahead_counts / round_, lead).max(axis=1),
                np.einsum("kj,kjc->kc", recent / (round_ - since + 1), lead).max(axis=1),
            )
            settled = won | (bound < sure)
        chosen = lead[at, worst]
        if settled.any():
            for k, win in zip(playing[settled], won[settled], strict=True):
                out[k] = bool(win)
            keep = ~settled
            playing, lead, itself = playing[keep], lead[keep], itself[keep]
            weights, chosen = weights[keep], chosen[keep]
            ahead_counts, recent = ahead_counts[keep], recent[keep]
        moved = weights * np.exp(step * chosen)
        weights = moved / moved.sum(axis=1, keepdims=True)
    return out


def _feasible(matrix: Matrix, index: int, margin: float) -> bool:
    """Whether some weighting puts entry ``index`` first by ``margin`` (a linear programme)."""
    import numpy as np
    from scipy.optimize import linprog

    scores = np.asarray(matrix, dtype=float)
    ahead = np.delete(scores, index, axis=0) - scores[index]
    if ((ahead >= 0).all(axis=1)).any():
        return False  # another entry is at least as good on every criterion
    n = scores.shape[1]
    result = linprog(
        np.zeros(n),
        A_ub=ahead,
        b_ub=np.full(len(ahead), -margin),
        A_eq=np.ones((1, n)),
        b_eq=[1.0],
        bounds=[(0, 1)] * n,
        method="highs",
    )
    return result.status == 0


@lru_cache(maxsize=1024)
def _nearest_win(matrix: Matrix, index: int, author: Shares, margin: float) -> Shares | None:
    """The weighting (shares summing to 1) nearest to ``author`` in total absolute change under
    which entry ``index`` beats every other by ``margin``; None when there is none."""
    # Loaded on first use: SciPy takes about a second to import, which every process (each
    # command, each worker) would pay at start-up for the few that check a scored post.
    import numpy as np
    from scipy.optimize import linprog

    scores = np.asarray(matrix, dtype=float)
    weights = np.asarray(author, dtype=float)
    ahead = np.delete(scores, index, axis=0) - scores[index]  # others minus this entry
    if ahead.size == 0 or (ahead @ weights <= -margin).all():
        return author  # already first: no programme to solve
    if ((ahead >= 0).all(axis=1)).any():
        return None  # another entry is at least as good on every criterion: never first
    # Variables: the shares w (n), then t (n) with t >= |w - author|; minimise sum(t).
    n = len(author)
    eye = np.eye(n)
    upper_rows = np.vstack(
        [
            np.hstack([ahead, np.zeros_like(ahead)]),  # (others - mine) . w <= -margin
            np.hstack([eye, -eye]),  # w - t <= author
            np.hstack([-eye, -eye]),  # -w - t <= -author
        ]
    )
    upper = np.concatenate([np.full(len(ahead), -margin), weights, -weights])
    result = linprog(
        np.concatenate([np.zeros(n), np.ones(n)]),
        A_ub=upper_rows,
        b_ub=upper,
        A_eq=np.concatenate([np.ones(n), np.zeros(n)])[None, :],
        b_eq=[1.0],
        bounds=[(0, 1)] * n + [(0, None)] * n,
        method="highs",
    )
    if result.status != 0:
        return None
    return tuple(max(0.0, float(share)) for share in result.x[:n])
