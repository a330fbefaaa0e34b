"""The whole-site rebuild: every page written into a fresh directory, then swapped in.

``editorial site rebuild`` runs it (holding the site lock, so no publish job writes
meanwhile); it must give the very bytes the incremental build (``build``) gives.
"""

from __future__ import annotations

import os
import pickle
import shutil
import threading
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from editorial.models import Post, PostTag, Publication, Revision, User, db
from editorial.site import build, feeds, pages
from editorial.site.pages import Correction, render_post_page


def rebuild(progress: Callable[[int], None] | None = None) -> Path:
    """Build the whole site into a fresh directory, then swap it in atomically.

    SITE_DIR becomes a symbolic link to the newest build (``.<name>-builds/<id>`` beside
    it), so readers see the old site or the new one, never a mix. The caller holds the site
    lock, so no job writes into the old build meanwhile. Returns the new build's directory.
    """
    target = Path(current_app.config["SITE_DIR"])
    builds = target.parent / f".{target.name}-builds"
    fresh = builds / uuid.uuid4().hex
    fresh.mkdir(parents=True)
    with build.building_into(fresh):
        _build_everything(progress or (lambda n: None))
    _swap_in(target, fresh, builds)
    return fresh


def _build_everything(progress: Callable[[int], None]) -> None:
    # The fast path of a full rebuild: plain rows instead of ORM objects, corrections read
    # once, and files written straight into the fresh directory (nobody sees it until the
    # swap, and one sync before the swap makes it durable).
    corrections: dict[int, list[Correction]] = {}
    for row in db.session.execute(
        sa.select(Publication.post_id, Publication.published_at, Publication.correction)
        .where(Publication.correction.is_not(None))
        .order_by(Publication.published_at, Publication.id)
    ):
        corrections.setdefault(row.post_id, []).append(Correction(row.published_at, row.correction))
    shards = _rebuild_processes()
    if shards > 1:
        cards = _post_pages_in_two(corrections, progress)
    else:
        cards = _post_pages(db.session, 0, 1, corrections, progress)
    posts = build.site_dir() / "posts"
    with _FreshWriter() as writer:
        retracted = sa.select(Post).where(
            Post.public_slug.is_not(None), Post.published_revision_id.is_(None)
        )
        for post in db.session.scalars(retracted):
            writer.write(posts / post.public_slug / "index.html", pages.post_page(post))
            progress(1)
        db.session.expunge_all()
        size = pages.PAGE_SIZE
        count = -(-pages.last_seq() // size)
        for number in range(1, count + 1):
            seqs = range(number * size, (number - 1) * size, -1)
            page = pages.archive_page(number, [cards[q] for q in seqs if q in cards], count)
            writer.write(build.site_dir() / "page" / str(number) / "index.html", page)
    tags = db.session.execute(
        sa.select(PostTag.slug, sa.func.min(PostTag.name)).group_by(PostTag.slug)
    ).all()
    build.write_indexes(build.Changes(tags={slug: name for slug, name in tags}))
    build.write_static()
    chunk, site_url = feeds.SITEMAP_CHUNK, pages.site_url()
    for number in range(1, -(-pages.last_seq() // chunk) + 1):
        seqs = range((number - 1) * chunk + 1, number * chunk + 1)
        urls = [
            (f"{site_url}posts/{card['slug']}/", card["updated_at"] or card["published_at"])
            for card in (cards[q] for q in seqs if q in cards)
        ]
        _write_fresh(build.site_dir() / "sitemaps" / f"posts-{number}.xml", feeds.sitemap(urls))
    os.sync()


class _FreshWriter:
    """Files written by a few threads while the main thread renders the next pages: making
    thousands of new files is mostly waiting on the file system, and threads overlap that."""

    def __init__(self, threads: int = 4, backlog: int = 256):
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="site-writer")
        self._room = threading.BoundedSemaphore(backlog)  # bounded memory: pages in flight
        self._errors: list[BaseException] = []

    def write(self, path: Path, data: bytes) -> None:
        if self._errors:
            raise self._errors[0]
        self._room.acquire()
        self._pool.submit(self._write, path, data)

    def _write(self, path: Path, data: bytes) -> None:
        try:
            _write_fresh(path, data)
        except BaseException as exc:  # noqa: BLE001 - raised again in the main thread
            self._errors.append(exc)
        finally:
            self._room.release()

    def __enter__(self) -> _FreshWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=True)
        if self._errors and exc_info[0] is None:
            raise self._errors[0]


def _rebuild_processes() -> int:
    """Two processes render the posts' pages where there are two cores and fork exists."""
    wanted = int(current_app.config.get("SITE_REBUILD_PROCESSES") or min(os.cpu_count() or 1, 2))
    return 2 if wanted > 1 and hasattr(os, "fork") else 1


def _post_pages(
    session: Any,
    shard: int,
    shards: int,
    corrections: dict[int, list[Correction]],
    progress: Callable[[int], None],
) -> dict[int, dict[str, Any]]:
    """Write the pages of live posts whose id falls in ``shard``; return their cards."""
    query = (
        sa.select(
            Post.id, Post.public_slug, Post.published_at, Post.live_updated_at, Post.site_seq,
            User.display_name, Revision.content, Revision.rendered,
        )
        .join(User, User.id == Post.author_id)
        .join(Revision, Revision.id == Post.published_revision_id)
        .where(Post.id % shards == shard)
        .order_by(Post.id)
    )  # fmt: skip
    posts = build.site_dir() / "posts"
    cards: dict[int, dict[str, Any]] = {}  # site_seq -> what the archive pages show
    with _FreshWriter() as writer:
        for row in session.execute(query.execution_options(yield_per=500)):
            html = render_post_page(
                row.content,
                {**row.rendered, "correction": ""},
                author_name=row.display_name,
                published_at=row.published_at,
                updated_at=row.live_updated_at,
                corrections=corrections.get(row.id, ()),
                assets="../../assets/",
                root="../../",
                slug=row.public_slug,
            )
            writer.write(posts / row.public_slug / "index.html", html.encode())
            cards[row.site_seq] = {
                "title": row.content["title"],
                "summary": row.content["summary"],
                "slug": row.public_slug,
                "author": row.display_name,
                "published_at": row.published_at,
                "updated_at": row.live_updated_at,
                "entries": len(row.content.get("entries", [])),
            }
            progress(1)
    return cards


def _post_pages_in_two(
    corrections: dict[int, list[Correction]], progress: Callable[[int], None]
) -> dict[int, dict[str, Any]]:
    # Rendering is most of a rebuild and holds the GIL: a forked process takes the odd post
    # ids, with a database connection of its own (never one inherited from this process),
    # and sends its cards back through a pipe.
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the second process
        status = 1
        try:
            os.close(read_end)
            engine = sa.create_engine(db.engine.url)
            with sa.orm.Session(engine) as session:
                cards = _post_pages(session, 1, 2, corrections, lambda n: None)
            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(cards))
            status = 0
        except BaseException:  # noqa: BLE001 - reported, and the parent fails the rebuild
            traceback.print_exc()
        finally:
            os._exit(status)  # no cleanup of what belongs to the parent (its connections)
    os.close(write_end)
    try:
        cards = _post_pages(db.session, 0, 2, corrections, progress)
    finally:
        with os.fdopen(read_end, "rb") as answer:
            data = answer.read()
        _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError("The second rebuild process failed; see the error above.")
    # From our own forked process, through a pipe only it and we hold: nothing untrusted.
    theirs = pickle.loads(data)  # noqa: S301  # nosec B301
    progress(len(theirs))
    return cards | theirs


def _write_fresh(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _swap_in(target: Path, fresh: Path, builds: Path) -> None:
    builds.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_symlink():
        # A plain directory from before the first rebuild: move it aside among the builds.
        os.replace(target, builds / f"before-{uuid.uuid4().hex}")
    link = target.with_name(f".{target.name}.{uuid.uuid4().hex}.link")
    link.symlink_to(fresh, target_is_directory=True)
    os.replace(link, target)


def remove_old_builds() -> int:
    """Delete the builds that SITE_DIR no longer points at (after a rebuild; readers that
    opened a file of the previous build can still finish reading it until then)."""
    target = Path(current_app.config["SITE_DIR"])
    builds = target.parent / f".{target.name}-builds"
    if not target.is_symlink() or not builds.is_dir():
        return 0
    current = target.resolve()
    stale = [path for path in builds.iterdir() if path != current]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return len(stale)
