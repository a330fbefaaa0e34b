"""Publishing speed and memory, compared with Pelican on the same content in the same run.

    .venv/bin/python -m bench.site_bench            # 10,000 and 100 posts, Pelican included
    .venv/bin/python -m bench.site_bench --posts 2000 --no-pelican --no-worker

For each size it builds a SQLite database of published ranking posts (bench/corpus.py), then
measures: the full rebuild (`editorial site rebuild`'s work, in its own process, best of 3,
wall time and the larger process's peak memory); publishing one more post (the task's own
time, in process); approve -> live through a real Redis and a real `celery worker` (median);
and Pelican 4.x building the same posts as Markdown, from scratch (best of 2) and again after
one post changed (with its cache). Files go under --workdir (default bench/.work, ignored by
git), on the same disk for both tools.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _env(work: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
        SITE_DIR=str(work / "site"),
        EDITORIAL_INSTANCE_PATH=str(work / "instance"),
        SECRET_KEY="bench",
        SITE_URL="https://rankings.example/",
        **extra,
    )
    return env


def _run_python(code: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [PYTHON, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


SETUP = """
import json, sys
from editorial import create_app
from editorial.models import db
from bench.corpus import populate
app = create_app()
with app.app_context():
    db.create_all()
    populate({count})
print(json.dumps({{"ok": True}}))
"""

REBUILD = """
import json, os, resource, time
os.sync()  # what the setup wrote is on disk before the clock starts (Pelican gets the same)
t0 = time.perf_counter()
from editorial import create_app
from editorial.models import db
from editorial.operations import publishing
from editorial.site import rebuild as siterebuild
app = create_app()
with app.app_context():
    t1 = time.perf_counter()
    publishing.lock_site()
    siterebuild.rebuild()
    db.session.commit()
    t2 = time.perf_counter()
# Two processes render the pages: the figure is the larger of the two peaks.
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
forked = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": t2 - t1, "with_startup": t2 - t0,
                  "peak_mb": max(own, forked), "peak_mb_main": own, "peak_mb_second": forked}))
"""

PUBLISH_ONE = """
import json, time, statistics
from editorial import create_app
from editorial.operations import accounts, posts, review
from editorial.tasks import publishing as publisher
from editorial.domain.interchange import parse_post
from editorial.models import db, Role, PublishJob
from bench.corpus import make_content, _samples
import random, sqlalchemy as sa
app = create_app()
with app.app_context():
    writer = accounts.create_user("w-one@example.com", "W", "bench phrase 2026", [Role.WRITER])
    reviewer = accounts.create_user("r-one@example.com", "R", "bench phrase 2026", [Role.REVIEWER])
    db.session.commit()
    times = []
    for i in range({repeat}):
        content = make_content(900000 + i, random.Random(i), _samples())
        post = posts.create_post(parse_post(content), writer)
        posts.submit_for_review(post, writer)
        review.approve(post, reviewer, review.checklist_keys(post), "", 1)
        db.session.commit()
        job = db.session.scalar(sa.select(PublishJob).order_by(PublishJob.id.desc()))
        t = time.perf_counter()
        publisher.run(job.id)
        times.append(time.perf_counter() - t)
print(json.dumps({{"median": statistics.median(times), "all": times}}))
"""

APPROVE_TO_LIVE = """
import json, os, time, statistics
from editorial import create_app
from editorial.operations import accounts, posts, review
from editorial.domain.interchange import parse_post
from editorial.models import db, Role, PublishJob, JobStatus
from bench.corpus import make_content, _samples
import random, sqlalchemy as sa
app = create_app()
with app.app_context():
    writer = accounts.create_user("w-live@example.com", "W", "bench phrase 2026", [Role.WRITER])
    reviewer = accounts.create_user("r-live@example.com", "R", "bench phrase 2026", [Role.REVIEWER])
    db.session.commit()
    times = []
    for i in range({repeat}):
        content = make_content(950000 + i, random.Random(i), _samples())
        post = posts.create_post(parse_post(content), writer)
        posts.submit_for_review(post, writer)
        db.session.commit()
        t = time.perf_counter()
        review.approve(post, reviewer, review.checklist_keys(post), "", 1)
        db.session.commit()  # the job is sent to Redis after this commit
        # Live: the page is up and the feeds list it (the feeds are written after the page).
        feed = app.config["SITE_DIR"] + "/feed.atom"
        while content["slug"] not in open(feed, encoding="utf-8").read():
            if time.perf_counter() - t > 30:
                raise SystemExit("not live after 30 s")
            time.sleep(0.005)
        times.append(time.perf_counter() - t)
print(json.dumps({{"median": statistics.median(times), "all": times}}))
"""


def editorial_figures(work: Path, count: int, worker: bool, redis_db: int) -> dict[str, Any]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = _env(work)
    print(f"[{count}] creating {count} published posts ...", file=sys.stderr)
    _run_python(SETUP.format(count=count), env)
    print(f"[{count}] full rebuild, best of 3 ...", file=sys.stderr)
    runs = [_run_python(REBUILD, env) for _ in range(3)]
    figures: dict[str, Any] = {"rebuild": min(runs, key=lambda r: r["seconds"])}
    figures["rebuild"]["runs"] = [round(r["seconds"], 3) for r in runs]
    figures["rebuild"]["peak_mb"] = max(r["peak_mb"] for r in runs)
    print(f"[{count}] publishing one post into the site ...", file=sys.stderr)
    figures["publish_one"] = _run_python(PUBLISH_ONE.format(repeat=7), env)
    if worker:
        figures["approve_to_live"] = _approve_to_live(work, redis_db)
    return figures


def _approve_to_live(work: Path, redis_db: int) -> dict[str, Any]:
    env = _env(work, CELERY_BROKER_URL=f"redis://127.0.0.1:6379/{redis_db}")
    subprocess.run(  # an empty queue: nothing from an earlier run
        ["redis-cli", "-n", str(redis_db), "FLUSHDB"], check=False, capture_output=True
    )
    log = open(work / "worker.log", "w")  # noqa: SIM115 - closed after the worker stops
    proc = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "worker", "worker", "--concurrency=1", "--pool=solo",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        time.sleep(3)  # the worker connects
        return _run_python(APPROVE_TO_LIVE.format(repeat=9), env)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


# --- Pelican ----------------------------------------------------------------------------------

PELICAN_CONF = """
AUTHOR = "Bench"
SITENAME = "Honest Rankings"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
TAG_FEED_ATOM = "feeds/{slug}.atom.xml"
DEFAULT_PAGINATION = 20
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
"""


def _markdown(content: dict[str, Any], when: str) -> str:
    lines = [
        f"Title: {content['title']}",
        f"Date: {when}",
        f"Slug: {content['slug']}",
        f"Tags: {', '.join(content.get('tags', []))}",
        f"Summary: {content['summary']}",
        "",
        "## How this ranking was judged",
        "",
    ]
    for criterion in content["criteria"]:
        lines += [f"### {criterion['name']}", "", criterion.get("description", ""), ""]
    lines += ["### The author's bias", "", content["bias"], "", content.get("intro") or "", ""]
    for entry in sorted(content["entries"], key=lambda e: e["rank"]):
        lines += [f"## #{entry['rank']} {entry['name']}", "", entry.get("verdict", ""), ""]
        for note in entry.get("criteria", []):
            lines += [f"**{note['criterion']}**: {note['note']}", ""]
        lines += ["### When to pick something else", "", entry.get("pick_else", ""), ""]
    for item in content.get("faq", []):
        lines += [f"### {item['question']}", "", item.get("answer", ""), ""]
    return "\n".join(lines)


def pelican_figures(work: Path, count: int) -> dict[str, Any]:
    """Pelican on the same posts: a full build, then a rebuild after one post changed."""
    import random

    sys.path.insert(0, str(ROOT))
    from bench.corpus import _samples, make_content

    site = work / "pelican"
    shutil.rmtree(site, ignore_errors=True)
    (site / "content").mkdir(parents=True)
    (site / "pelicanconf.py").write_text(PELICAN_CONF)
    rng = random.Random(2026)  # noqa: S311 - repeatable test data
    samples = _samples()
    for i in range(count):
        content = make_content(i + 1, rng, samples)
        when = "2024-01-01 00:00"
        (site / "content" / f"{i + 1}.md").write_text(_markdown(content, when))
    command = [PYTHON, "-m", "pelican", "content", "-o", "output", "-s", "pelicanconf.py", "-q"]
    fulls = []
    for attempt in range(2):  # best of 2, each from nothing (no output, no cache)
        print(f"[{count}] Pelican full build {attempt + 1} of 2 ...", file=sys.stderr)
        shutil.rmtree(site / "output", ignore_errors=True)
        shutil.rmtree(site / "cache", ignore_errors=True)
        os.sync()
        start = time.perf_counter()
        subprocess.run(command, cwd=site, check=True)
        fulls.append(time.perf_counter() - start)
    full = min(fulls)
    changed = site / "content" / "1.md"
    changed.write_text(changed.read_text() + "\n\nOne more sentence.\n")
    print(f"[{count}] Pelican after one change ...", file=sys.stderr)
    os.sync()
    start = time.perf_counter()
    subprocess.run(command, cwd=site, check=True)
    return {
        "full": full,
        "full_runs": [round(t, 2) for t in fulls],
        "after_one_change": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / ".work")
    parser.add_argument("--no-pelican", action="store_true")
    parser.add_argument("--no-worker", action="store_true")
    parser.add_argument("--redis-db", type=int, default=13)
    args = parser.parse_args()

    results = {}
    for count in (args.posts, args.small):
        work = args.workdir / str(count)
        results[count] = editorial_figures(work, count, not args.no_worker, args.redis_db)
        if not args.no_pelican:
            results[count]["pelican"] = pelican_figures(work, count)
    _report(results, args.posts, args.small)


def _report(results: dict[int, dict[str, Any]], big: int, small: int) -> None:
    print(json.dumps(results, indent=1, default=str))
    print()
    for count in (big, small):
        r = results[count]
        line = (
            f"{count:>6} posts: rebuild {r['rebuild']['seconds']:.2f} s "
            f"(peak {r['rebuild']['peak_mb']:.0f} MB); "
            f"publish one {r['publish_one']['median']:.3f} s"
        )
        if "approve_to_live" in r:
            line += f"; approve->live median {r['approve_to_live']['median']:.3f} s"
        if "pelican" in r:
            p = r["pelican"]
            line += (
                f"; Pelican {p['full']:.1f} s full ({p['full'] / r['rebuild']['seconds']:.1f}x), "
                f"{p['after_one_change']:.1f} s after one change"
            )
        print(line)
    ratio = results[big]["publish_one"]["median"] / results[small]["publish_one"]["median"]
    print(f"publish one: {big} posts vs {small} posts = {ratio:.2f}x (target < 1.5)")


if __name__ == "__main__":
    main()
