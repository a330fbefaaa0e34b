"""Publishing speed and memory, on SQLite and PostgreSQL, compared with Pelican in the same run.

    .venv/bin/python -m bench.site_bench                       # 100 and 10,000 posts, SQLite
    .venv/bin/python -m bench.site_bench --database sqlite --database postgresql --huge
    .venv/bin/python -m bench.site_bench --sizes 100,2000 --no-pelican --no-worker
    .venv/bin/python -m bench.site_bench --no-rebuild     # publishing one post only

For each database and size it loads a fresh database (a throwaway PostgreSQL database, dropped
at the end even on failure) with published ranking posts (bench/corpus.py; PostgreSQL's
statistics then gathered, as autovacuum would after such a load), then measures:
the reference, rendering and atomically writing every post page from the stored HTML in one
process (Jinja, write a temporary file, os.replace; rows are read outside the clock; one
os.sync at the end, as the rebuild does); the full rebuild (`editorial site rebuild`'s work,
in its own process, best of 3, wall time, each process's peak memory and where the time
went) as a ratio to the reference; publishing one more post (the task's own time, in a
process started as worker.py starts the worker, median, and what it spent where; beside the
0.2 s target of issue 18; each process publishes 5, so feed entries it keeps from one
publish to the next are warm only for the posts it has listed before), once a post
without scores and once a scored one (bench/corpus.py's variant of the backend-frameworks
sample: weights, scores on a scale, pros and cons, evidence, an affiliate link and its
disclosure), as a ratio to the unscored; approve -> live through a real Redis and a real
`celery worker` (median); and Pelican 4.x building the same posts as Markdown, from scratch
(best of 2) and again after one post changed (with its cache), up to 10,000 posts. Files go
under --workdir (default bench/.work, ignored by git), on the same disk for both tools.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _env(work: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
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
import json, time
import sqlalchemy as sa
from flask_migrate import upgrade
from editorial import create_app
from editorial.models import db
from bench.corpus import populate
app = create_app()
with app.app_context():
    upgrade()  # the production schema, indexes included
    t = time.perf_counter()
    populate({count})
    seconds = time.perf_counter() - t
    if db.engine.dialect.name == "postgresql":
        # The planner's statistics, as autovacuum gathers them after a bulk load: measured at
        # once (and on a server with autovacuum off), PostgreSQL would plan for empty tables,
        # reading every post of a tag to list its newest 20 (some 80 ms a tag, not 0.5).
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
print(json.dumps({{"seconds": seconds}}))
"""

# The yardstick: every live post's page rendered from its stored HTML (Jinja) and written
# atomically (a temporary file, then os.replace) into a fresh directory, in one process, then
# one os.sync as the rebuild does. Rows are read outside the clock: no database work counts.
REFERENCE = """
import json, os, shutil, time, uuid
from pathlib import Path
import sqlalchemy as sa
from editorial import create_app
from editorial.models import db, Post, Revision, User
from editorial.site.post_page import render_post_page
app = create_app()
out = Path(app.config["SITE_DIR"]).parent / f"reference-{uuid.uuid4().hex}"
query = (
    sa.select(Post.public_slug, Post.published_at, Post.live_updated_at, User.display_name,
              Revision.content, Revision.rendered)
    .join(User, User.id == Post.author_id)
    .join(Revision, Revision.id == Post.published_revision_id)
    .order_by(Post.site_seq)
)
clock = time.perf_counter
spent = 0.0
os.sync()
with app.app_context():
    for row in db.session.execute(query.execution_options(yield_per=200)):
        t = clock()
        html = render_post_page(
            row.content, {**row.rendered, "correction": ""}, author_name=row.display_name,
            published_at=row.published_at, updated_at=row.live_updated_at,
            assets="../../assets/", root="../../", slug=row.public_slug,
        ).encode()
        folder = out / "posts" / row.public_slug
        folder.mkdir(parents=True)
        tmp = folder / ".index.html.tmp"
        tmp.write_bytes(html)
        os.replace(tmp, folder / "index.html")
        spent += clock() - t
    t = clock()
    os.sync()
    synced = clock() - t
shutil.rmtree(out)
print(json.dumps({"seconds": spent + synced, "render_write": spent, "sync": synced}))
"""

REBUILD = """
import functools, json, os, resource, time
os.sync()  # what the setup wrote is on disk before the clock starts (Pelican gets the same)
t0 = time.perf_counter()
from editorial import create_app
from editorial.models import db
from editorial.operations import publishing
from editorial.site import build, rebuild as siterebuild
steps, inside = {}, [False]

def timed(module, name, step):
    # Where the time goes: the rebuild's steps, timed from outside (nothing else changes;
    # a step inside another counts for the outer one).
    original = getattr(module, name)
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if inside[0]:
            return original(*args, **kwargs)
        t, inside[0] = time.perf_counter(), True
        try:
            return original(*args, **kwargs)
        finally:
            inside[0] = False
            steps[step] = steps.get(step, 0.0) + time.perf_counter() - t
    setattr(module, name, wrapper)

timed(siterebuild, "_write_the_rest", "home, tag pages, feeds, retraction notices (main)")
timed(siterebuild, "_post_pages", "main process's share of the post pages, archive, sitemaps")
timed(siterebuild, "_wait_for", "then waiting for the second process")
timed(os, "sync", "os.sync")
app = create_app()
with app.app_context():
    t1 = time.perf_counter()
    publishing.lock_site()
    siterebuild.rebuild()
    db.session.commit()
    t2 = time.perf_counter()
    siterebuild.remove_old_builds()  # after the clock: the disk holds one build, not three
# The post pages are rendered in two processes: the figure is the larger of the two peaks.
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
forked = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
steps["other (reading corrections, the swap)"] = (t2 - t1) - sum(steps.values())
print(json.dumps({"seconds": t2 - t1, "with_startup": t2 - t0, "steps": steps,
                  "peak_mb": max(own, forked), "peak_mb_main": own, "peak_mb_second": forked}))
"""

PUBLISH_ONE = """
import collections, functools, gc, json, time, statistics
from editorial.site import build, feeds, pages, post_page
steps = collections.defaultdict(float)
statements = collections.Counter()
on, counting, inner = [False], [False], []

def timed(module, name, step):
    # Where the time goes, timed from outside: a step inside another counts for itself, and
    # is taken off the outer one (nothing is counted twice).
    original = getattr(module, name)
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if not on[0]:
            return original(*args, **kwargs)
        t = time.perf_counter()
        inner.append(0.0)
        try:
            return original(*args, **kwargs)
        finally:
            spent = time.perf_counter() - t
            steps[step] += spent - inner.pop()
            if inner:
                inner[-1] += spent
    setattr(module, name, wrapper)

# The garbage collector's share, whatever step it interrupts: its time and its full
# collections (which walk every object of the process, NumPy's and SciPy's included).
collector = collections.Counter()
def collecting(phase, info):
    if on[0] and phase == "start":
        collector["at"] = time.perf_counter()
    elif on[0] and "at" in collector:
        collector["seconds"] += time.perf_counter() - collector.pop("at")
        collector["full"] += info["generation"] == 2
gc.callbacks.append(collecting)

timed(build, "write_post", "the post's page")
timed(post_page, "scoring", "the page's weights, totals and who wins")
timed(pages, "home_page", "home page")
timed(pages, "archive_page", "archive page")
timed(pages, "tag_name", "tag pages")
timed(pages, "tag_names", "tag pages")
timed(pages, "tag_page", "tag pages")
timed(pages, "tag_posts", "feeds (site and tags)")
timed(build, "_write_feeds", "feeds (site and tags)")
timed(feeds, "feed_entries", "feeds (site and tags)")  # made for every feed at once first
timed(build, "write_sitemap_chunk", "sitemap chunk")
timed(build, "write_sitemap_index", "sitemap index and pages sitemap")
timed(build, "write_static", "static files")
# The files are written by a thread of the job's while it renders the next (build._Writer):
# what is left of their writes, fsyncs and renames when the job has rendered everything.
timed(build, "_wait_for_writes", "waiting for the files' writes (fsync, rename)")
from editorial.operations import accounts, posts, review
from editorial.tasks import publishing as publisher
from editorial.domain.interchange import parse_post
from editorial.models import db, Role, PublishJob
from bench.corpus import make_content, make_scored_content, scored_sample, _samples
import random, sqlalchemy as sa
import worker  # the worker's own start-up: its app, and what start-up made frozen (gc.freeze)
app = worker.flask_app
t = time.perf_counter()
if {scored}:  # a worker process loads them for its first scored post; timed apart, as the
    import numpy, scipy.optimize  # desk's rules (submit, approve) would load them here
scipy_import = time.perf_counter() - t
with app.app_context():
    phrase = "bench phrase 2026"
    writer = accounts.create_user("w-{round}-{first}@example.com", "W", phrase, [Role.WRITER])
    reviewer = accounts.create_user("r-{round}-{first}@example.com", "R", phrase, [Role.REVIEWER])
    db.session.commit()
    times = []
    samples, scored = _samples(), scored_sample()
    for i in range({repeat}):
        number = {first} + 100 * {round} + i
        if {scored}:  # weights, scores, pros and cons, evidence, an affiliate link disclosed
            content = make_scored_content(number, random.Random(number), scored)
        else:
            content = make_content(number, random.Random(i), samples)
        post = posts.create_post(parse_post(content), writer)
        posts.submit_for_review(post, writer)
        review.approve(post, reviewer, review.checklist_keys(post), "", 1)
        db.session.commit()
        job = db.session.scalar(sa.select(PublishJob).order_by(PublishJob.id.desc()))
        if i == 0:
            sa.event.listen(db.engine, "before_cursor_execute",
                            lambda *a: statements.update([counting[0]]))
        on[0] = counting[0] = i > 0  # the first is a warm-up, left out of the breakdown
        t = time.perf_counter()
        publisher.run(job.id)
        times.append(time.perf_counter() - t)
        if on[0]:
            steps["total"] += times[-1]
        on[0] = counting[0] = False
runs = len(times) - 1
print(json.dumps({{"median": statistics.median(times[1:]), "all": times,
                  "scipy_import": scipy_import, "gc": collector["seconds"] / runs,
                  "full_collections": collector["full"] / runs,
                  "steps": {{k: v / runs for k, v in steps.items()}},
                  "statements": statements[True] / runs}}))
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


def editorial_figures(
    work: Path, count: int, database_url: str, runs: int, worker: bool, redis_db: int
) -> dict[str, Any]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = _env(work, database_url)
    label = f"[{work.parent.name} {count}]"
    print(f"{label} creating {count} published posts ...", file=sys.stderr)
    figures: dict[str, Any] = {"setup": _run_python(SETUP.format(count=count), env)}
    if not runs:
        print(f"{label} building the site once (not measured) ...", file=sys.stderr)
        _run_python(REBUILD, env)  # the site a publish job writes into
        return figures
    print(f"{label} reference and full rebuild, {runs} each ...", file=sys.stderr)
    references, rebuilds = [], []
    for _ in range(runs):  # interleaved: a busy moment of the machine hits both alike
        references.append(_run_python(REFERENCE, env))
        rebuilds.append(_run_python(REBUILD, env))
    figures["reference"] = min(references, key=lambda r: r["seconds"])
    figures["reference"]["runs"] = [round(r["seconds"], 3) for r in references]
    figures["rebuild"] = min(rebuilds, key=lambda r: r["seconds"])
    figures["rebuild"]["runs"] = [round(r["seconds"], 3) for r in rebuilds]
    for key in ("peak_mb", "peak_mb_main", "peak_mb_second"):
        figures["rebuild"][key] = max(r[key] for r in rebuilds)
    if worker:
        figures["approve_to_live"] = _approve_to_live(work, database_url, redis_db)
    return figures


KINDS = {"plain": (False, 900000), "scored": (True, 800000)}  # post numbers apart: own slugs


def publish_one_figures(sites: dict[int, tuple[Path, str]], rounds: int) -> dict[int, Any]:
    """Publishing one post into each site, unscored and scored (weights, scores, pros and
    cons, evidence, an affiliate link and its disclosure), the sizes and kinds taking turns,
    round after round: a busy moment of the (shared) machine hits every size and kind alike,
    so the ratios compare like with like. Each run's first post warms up (its templates, and
    for a scored post NumPy and SciPy, which load on first use) and is left out; the kinds
    take turns going first, as what one process leaves behind (files to write back, rows to
    vacuum) may slow the next."""
    runs: dict[tuple[int, str], list[dict[str, Any]]] = {
        (count, kind): [] for count in sites for kind in KINDS
    }
    for number in range(rounds):
        print(f"publishing one post, round {number + 1} of {rounds} ...", file=sys.stderr)
        for count, (work, url) in sites.items():
            kinds, turn = list(KINDS.items()), number % len(KINDS)  # each kind first in turn
            for kind, (scored, first) in [*kinds[turn:], *kinds[:turn]]:
                script = PUBLISH_ONE.format(repeat=5, round=number, scored=scored, first=first)
                runs[count, kind].append(_run_python(script, _env(work, url)))
    figures: dict[int, Any] = {count: {} for count in sites}
    for (count, kind), done in runs.items():
        times = [t for run in done for t in run["all"][1:]]
        names = list(dict.fromkeys(name for run in done for name in run["steps"]))
        figures[count][kind] = {
            "median": statistics.median(times),
            "all": [round(t, 4) for t in times],
            "first_in_process": statistics.median(run["all"][0] for run in done),
            "scipy_import": statistics.median(run["scipy_import"] for run in done),
            "gc": statistics.fmean(run["gc"] for run in done),
            "full_collections": statistics.fmean(run["full_collections"] for run in done),
            "steps": {n: statistics.fmean(r["steps"].get(n, 0.0) for r in done) for n in names},
            "statements": statistics.fmean(run["statements"] for run in done),
        }
    return figures


def _approve_to_live(work: Path, database_url: str, redis_db: int) -> dict[str, Any]:
    env = _env(work, database_url, CELERY_BROKER_URL=f"redis://127.0.0.1:6379/{redis_db}")
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


@contextlib.contextmanager
def throwaway_database(kind: str, work: Path, postgres_url: str) -> Iterator[str]:
    """A fresh database's URL: a SQLite file, or a uniquely named PostgreSQL database that is
    dropped afterwards, even when the run fails."""
    if kind == "sqlite":
        yield f"sqlite:///{work / 'db.sqlite3'}"
        return
    name = f"site_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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


PELICAN_UP_TO = 10_000  # Pelican takes minutes beyond this, and compares the same way


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database", action="append", choices=("sqlite", "postgresql"),
        help="sqlite (the default), postgresql, or both (give it twice)",
    )  # fmt: skip
    parser.add_argument("--sizes", default="100,10000", help="post counts, comma-separated")
    parser.add_argument("--huge", action="store_true", help="add a run with 100,000 posts")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / ".work")
    parser.add_argument("--no-pelican", action="store_true")
    parser.add_argument("--no-worker", action="store_true")
    parser.add_argument(
        "--no-rebuild", action="store_true", help="publishing one post only (no reference, "
        "rebuild, Pelican or worker)",
    )  # fmt: skip
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="where to create the throwaway database (any database of the server)",
    )
    parser.add_argument("--runs", type=int, default=3, help="reference and rebuild runs")
    parser.add_argument("--rounds", type=int, default=4, help="publish-one rounds (4 posts)")
    args = parser.parse_args()
    sizes = sorted({int(n) for n in args.sizes.split(",")} | ({100_000} if args.huge else set()))

    results: dict[str, dict[int, dict[str, Any]]] = {}
    kinds = args.database or ["sqlite"]
    for kind in kinds:
        results[kind] = {}
        with contextlib.ExitStack() as databases:
            sites = {}
            for count in sizes:
                work = args.workdir / kind / str(count)
                work.mkdir(parents=True, exist_ok=True)
                url = databases.enter_context(throwaway_database(kind, work, args.postgres_url))
                sites[count] = (work, url)
                runs = 0 if args.no_rebuild else args.runs
                worker = not (args.no_worker or args.no_rebuild)
                figures = editorial_figures(work, count, url, runs, worker, args.redis_db)
                pelican = not (args.no_pelican or args.no_rebuild)
                if pelican and count <= PELICAN_UP_TO and kind == kinds[0]:
                    figures["pelican"] = pelican_figures(work, count)
                results[kind][count] = figures
                print(json.dumps({kind: {count: figures}}, default=str), file=sys.stderr)
            for count, figures in publish_one_figures(sites, args.rounds).items():
                results[kind][count]["publish_one"] = figures
                print(json.dumps({kind: {count: figures}}, default=str), file=sys.stderr)
    _report(results)


PUBLISH_TARGET = 0.2  # seconds: one post into a 10,000-post site (issue 18)


def _report(results: dict[str, dict[int, dict[str, Any]]]) -> None:
    print(json.dumps(results, indent=1, default=str))
    print()
    for kind, by_size in results.items():
        small = min(by_size)
        for count, r in by_size.items():
            line = f"{kind:>10} {count:>7} posts:"
            if "rebuild" in r:
                rebuild, reference = r["rebuild"], r["reference"]
                line += (
                    f" rebuild {rebuild['seconds']:.2f} s = "
                    f"{rebuild['seconds'] / reference['seconds']:.2f}x the reference "
                    f"{reference['seconds']:.2f} s (target <= 1.3x); peak "
                    f"{rebuild['peak_mb_main']:.0f} + {rebuild['peak_mb_second']:.0f} MB "
                    f"(target <= 150 each);"
                )
            if "approve_to_live" in r:
                line += f" approve->live median {r['approve_to_live']['median']:.3f} s;"
            if "pelican" in r:
                p = r["pelican"]
                line += (
                    f" Pelican {p['full']:.1f} s full ({p['full'] / rebuild['seconds']:.1f}x), "
                    f"{p['after_one_change']:.1f} s after one change;"
                )
            print(line.rstrip(";"))
            if "rebuild" in r:
                print("      rebuild: " + _steps(r["rebuild"]["steps"]))
            plain = r["publish_one"]["plain"]
            for what, one in r["publish_one"].items():
                base = by_size[small]["publish_one"][what]["median"]
                verdict = "pass" if one["median"] < PUBLISH_TARGET else "FAIL"
                scored = (
                    f"{one['median'] / plain['median']:.2f}x the unscored; "
                    if what != "plain"
                    else ""
                )
                print(
                    f"  publish one {'unscored' if what == 'plain' else what}: "
                    f"{one['median']:.3f} s ({scored}{one['median'] / base:.2f}x {small} posts, "
                    f"target < 1.5; {verdict} target < {PUBLISH_TARGET} s; "
                    f"{one['statements']:.0f} statements; the process's first "
                    f"{one['first_in_process']:.3f} s"
                    + (
                        f", and NumPy and SciPy's import before it {one['scipy_import']:.3f} s)"
                        if what != "plain"
                        else ")"
                    )
                )
                steps = dict(one["steps"])
                total = steps.pop("total", 0.0)
                steps["other (job, rows, commit)"] = total - sum(steps.values())
                print("        " + _steps(steps))
                print(
                    f"        of all that, the garbage collector {one['gc']:.3f} s a post "
                    f"({one['full_collections']:.2f} full collections a post)"
                )


def _steps(steps: dict[str, float]) -> str:
    return "; ".join(f"{name} {seconds:.3f} s" for name, seconds in steps.items() if seconds)


if __name__ == "__main__":
    main()
