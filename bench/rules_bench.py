"""The editorial rules on a large scored post: the cost the findings refresh pays for them.

    .venv/bin/python -m bench.rules_bench            # 50 entries x 20 criteria, 15 samples

Builds a 50-entry, 20-criterion post with weights and scores (seeded random, so that most
entries could rank first under some weighting: the hardest case for the "cannot rank first"
check), and times `rules.check_post` on it, in process:
- cold: the first check after a score or weight changed (who can rank first worked out anew:
  the sampled weightings, the weighting game, any linear programme it leaves);
- warm: a check while the writer types text (the scores unchanged: their answers cached);
- the same post without weights or scores, for reference;
- `weighting.who_wins`, the nearest winning weighting for every entry (the editor's and the
  review page's list), cold;
- check_post on the desk benchmark's post of the same size (bench/desk_data.py: ranked by its
  weighted totals, as a writer leaves it), cold and warm.
Medians of --samples runs, wall and CPU time (the machine may be shared), beside the target
(100 ms for the whole findings refresh, of which the rules are a part). CPU above wall time
means another thread worked alongside: OpenBLAS's, under NumPy. The check's own products use
einsum, which keeps to one thread: on a busy machine OpenBLAS's second thread waited for a
CPU and spun, and the cold check took three times as long.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from editorial.domain import weighting
from editorial.domain.interchange import RankingPost, parse_post
from editorial.domain.rules import check_post

SAMPLE = Path(__file__).resolve().parent.parent / "editorial" / "samples"
TARGET_MS = 100.0


def scored_post(entries: int, criteria: int, seed: int, scored: bool = True) -> RankingPost:
    """A valid post of that size from the scored sample's text, scores drawn at random."""
    rng = random.Random(seed)
    base = json.loads((SAMPLE / "backend-frameworks-2026.json").read_text())
    template = base["entries"][0]
    data = {k: v for k, v in base.items() if k not in ("criteria", "entries")}
    data["criteria"] = [
        {"name": f"Criterion {c + 1}", "description": "What it measures, and how."}
        | ({"weight": rng.randint(1, 10)} if scored else {})
        for c in range(criteria)
    ]
    data["entries"] = []
    for rank in range(1, entries + 1):
        entry = copy.deepcopy(template)
        entry.update(name=f"Framework {rank}", rank=rank, override="Our readers' needs differ.")
        entry["criteria"] = [
            {"criterion": c["name"], "note": "Measured on our reference app; notes in the repo."}
            | ({"score": rng.randint(0, 10)} if scored else {})
            for c in data["criteria"]
        ]
        entry["criteria"][0]["evidence"] = ["https://example.org/bench"]
        data["entries"].append(entry)
    # Every field the editor sends: one entry's link marked (the disclosure covers it), and
    # the review-by day.
    data["entries"][1]["url"] = "https://books.example.com/framework-2?tag=honestrank-20"
    data["entries"][1]["link"] = "affiliate"
    data["review_by"] = "2027-06-30"
    if not scored:
        data.pop("scale", None)
    return parse_post(data)


def desk_post(entries: int, criteria: int) -> RankingPost:
    """The desk benchmark's scored post (bench/desk_data.py): ranked by its weighted totals as
    the rules want, two pairs swapped with an override note, most entries first under some
    weighting."""
    from bench.desk_data import scored_big_content

    return parse_post(scored_big_content(2, entries, criteria))


def _median_ms(
    run: Callable[[], Any], samples: int, before: Callable[[], None] | None
) -> tuple[float, float]:
    """The median wall time and the median CPU time of this process (a busy machine stretches
    the one, not the other), in ms."""
    times, cpu = [], []
    for _ in range(samples):
        if before:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(times), statistics.median(cpu)


def _forget() -> None:
    weighting._possible.cache_clear()  # noqa: SLF001 - a bench measures the uncached cost
    weighting._nearest_win.cache_clear()  # noqa: SLF001


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--criteria", type=int, default=20)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    post = scored_post(args.entries, args.criteria, args.seed)
    plain = scored_post(args.entries, args.criteria, args.seed, scored=False)
    desk = desk_post(args.entries, args.criteria)
    check_post(post)  # NumPy and SciPy load on first use: not part of any request after it
    never = sum(f.code == "never-first" for f in check_post(post))
    desk_never = sum(f.code == "never-first" for f in check_post(desk))
    n = args.samples
    rows = [
        ("check_post, scored, cold", _median_ms(lambda: check_post(post), n, _forget)),
        ("check_post, scored, warm", _median_ms(lambda: check_post(post), n, None)),
        ("check_post, no scores", _median_ms(lambda: check_post(plain), n, None)),
        ("who_wins (every entry), cold", _median_ms(lambda: weighting.who_wins(post), n, _forget)),
        ("check_post, desk's post, cold", _median_ms(lambda: check_post(desk), n, _forget)),
        ("check_post, desk's post, warm", _median_ms(lambda: check_post(desk), n, None)),
    ]
    print(
        f"{args.entries} entries x {args.criteria} criteria, scored at random (seed {args.seed}):"
        f" {never} entries can never rank first; the desk benchmark's post (ranked by its "
        f"totals): {desk_never}; medians of {args.samples}\n"
    )
    print(f"{'':<32}{'wall':>11}{'CPU':>11}")
    for name, (ms, cpu) in rows:
        print(f"{name:<32}{ms:>8.1f} ms{cpu:>8.1f} ms")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end)")
    ok = True
    for name, (ms, _cpu) in rows:
        if "cold" in name and name.startswith("check_post"):
            ok &= ms <= TARGET_MS
            verdict = "pass" if ms <= TARGET_MS else "FAIL"
            print(f"{verdict}  {name}, within the refresh's {TARGET_MS:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
