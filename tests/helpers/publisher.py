"""Helpers shared by the publisher tests: approved posts, site snapshots, and a parse check."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET  # noqa: S405 - parses the site's own output
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import JobStatus, Post, PublishJob, User, db, utcnow
from editorial.operations import outbox, posts, review
from tests.conftest import sample

FEEDS = ("feed.rss", "feed.atom", "feed.json")


def content(number: int, **changes: Any) -> dict[str, Any]:
    """Sample post number ``number``: its own title, slug and tags (one shared by all)."""
    data = sample()
    data.update(
        title=f"Python web frameworks, ranked (part {number})",
        slug=f"python-web-frameworks-part-{number}",
        tags=["python", f"series {number}"],
    )
    data.update(changes)
    return data


def approve(post: Post, reviewer: User, publish_at: datetime | None = None) -> PublishJob:
    """Submit ``post`` (as its author) unless it is in review, approve its current revision,
    commit; its job."""
    if post.state != PostState.IN_REVIEW:
        posts.submit_for_review(post, post.author)
    review.approve(
        post,
        reviewer,
        review.checklist_keys(post),
        "Good.",
        post.current_revision.number,
        publish_at,
    )
    db.session.commit()
    job = outbox.latest_job(post)
    assert job is not None and job.action == "publish"
    return job


def mark_running(job: PublishJob, worker: str, held_for: timedelta = outbox.HOLD) -> None:
    """Mark ``job`` running on ``worker`` ("host:pid") and held for ``held_for``, as a worker
    taking it does; commit."""
    job.status, job.worker, job.held_until = JobStatus.RUNNING, worker, utcnow() + held_for
    db.session.commit()


def edit(post: Post, **changes: Any) -> None:
    """Save a new revision as the author (withdrawing an approval, or drafting a live post)."""
    data = {**post.current_revision.content, **changes}
    posts.save_revision(post, parse_post(data), post.author)
    db.session.commit()


def job_status(job_id: int) -> str:
    """The job's status as stored now (not what the session remembers)."""
    db.session.rollback()
    return db.session.scalar(sa.select(PublishJob.status).where(PublishJob.id == job_id)).value


def files(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` (following the rebuild's symlink), by relative path."""
    root = root.resolve()
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def digest(root: Path) -> str:
    """One hash of the whole tree: names and contents."""
    h = hashlib.sha256()
    for name, data in files(root).items():
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def mtimes(root: Path) -> dict[str, int]:
    root = root.resolve()
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def feed_ids(path: Path) -> list[str]:
    """The entry ids of a feed file (RSS, Atom or JSON Feed)."""
    if path.suffix == ".json":
        return [item["id"] for item in json.loads(path.read_bytes())["items"]]
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    return [entry.id for entry in parsed.entries]


def links(path: Path) -> list[str]:
    """The href of every link on an HTML page."""
    return lxml.html.fromstring(path.read_bytes()).xpath("//a/@href")


def sitemap_locs(root: Path) -> list[str]:
    """Every address listed by the sitemap index's sitemaps."""
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ET.parse(root / "sitemap.xml").getroot()  # noqa: S314 - our own output
    locs = []
    for loc in index.findall("s:sitemap/s:loc", ns):
        name = loc.text.rsplit("/", 1)[-1]
        chunk = ET.parse(root / "sitemaps" / name).getroot()  # noqa: S314
        locs += [node.text for node in chunk.findall("s:url/s:loc", ns)]
    return locs


def assert_site_whole(root: Path, allow_temporary: bool = False) -> int:
    """Every file of the site is complete: pages end with </html>, feeds and XML parse, and
    (unless allowed) no temporary file is left behind. Returns the number of files checked."""
    checked = 0
    for name, data in files(root).items():
        if name.endswith(".tmp") and allow_temporary:
            continue
        assert not name.endswith(".tmp"), f"a temporary file was left behind: {name}"
        if name.endswith(".html"):
            assert data.rstrip().endswith(b"</html>"), f"{name} is cut short"
            assert lxml.html.fromstring(data).xpath("//title"), f"{name} has no title"
        elif name.endswith((".rss", ".atom")):
            # Whether it parses: what the entries say is for the feed tests (feedparser's
            # clean-up of each entry's HTML would double the time, for nothing looked at here).
            parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
            assert parsed.bozo == 0, (name, parsed.get("bozo_exception"))
        elif name.endswith(".json"):
            json.loads(data)
        elif name.endswith(".xml"):
            ET.fromstring(data)  # noqa: S314
        else:
            continue
        checked += 1
    return checked


def page_path(site: Path, post: Post) -> Path:
    """Where a published post's page is written."""
    return site / "posts" / post.public_slug / "index.html"
