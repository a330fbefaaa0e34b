"""The whole-site rebuild: every page written into a fresh directory, then swapped in.

``editorial site rebuild`` runs it (holding the site lock, so no publish job writes
meanwhile); it must give the very bytes the incremental build (``build``) gives.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
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
from editorial.site import build, feeds, formats, pages, post_page
from editorial.site.pages import Correction
from editorial.site.post_page import render_post_page


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
    # swap, and one sync before the swap makes it durable). Posts are read a sitemap chunk
    # at a time, so memory stays flat however many posts there are.
    corrections: dict[int, list[Correction]] = {}
    for row in db.session.execute(
        sa.select(Publication.post_id, Publication.published_at, Publication.correction)
        .where(Publication.correction.is_not(None))
        .order_by(Publication.published_at, Publication.id)
    ):
        corrections.setdefault(row.post_id, []).append(Correction(row.published_at, row.correction))
    last = pages.last_seq()
    chunks = _Chunks(-(-last // feeds.SITEMAP_CHUNK))
    second = _start_second_process(chunks, corrections, last) if _two_processes() else None
    try:
        # While the second process (if any) starts on the posts, this one writes the rest of
        # the site first, then takes chunks of posts too until none is left.
        _write_the_rest(progress)
        _post_pages(db.session, chunks, corrections, last, progress)
    except BaseException:
        chunks.close()  # the second process stops after its current chunk
        raise
    finally:
        if second is not None:
            progress(_wait_for(second))
    os.sync()


def _write_the_rest(progress: Callable[[int], None]) -> None:
    """The retraction notices, the home and tag pages, the feeds and sitemaps' index."""
    posts = build.site_dir() / "posts"
    with _FreshWriter() as writer:
        retracted = sa.select(Post).where(
            Post.public_slug.is_not(None), Post.published_revision_id.is_(None)
        )
        for post in db.session.scalars(retracted):
            writer.write(posts / post.public_slug / "index.html", post_page.post_page(post))
            progress(1)
    db.session.expunge_all()
    tags = db.session.execute(
        sa.select(PostTag.slug, sa.func.min(PostTag.name)).group_by(PostTag.slug)
    ).all()
    build.write_indexes(build.Changes(tags={slug: name for slug, name in tags}))
    build.write_static()
    db.session.expunge_all()


class _Chunks:
    """The sitemap chunks of posts still to write, shared by the processes of a rebuild: each
    takes the next one when it is free, so neither waits for the other at the end."""

    def __init__(self, count: int):
        self._count = count
        self._next = multiprocessing.Value("q", 0)  # shared memory, survives fork

    def take(self) -> int | None:
        with self._next.get_lock():
            number = self._next.value
            if number >= self._count:
                return None
            self._next.value = number + 1
        return number

    def close(self) -> None:
        with self._next.get_lock():
            self._next.value = self._count


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
            build.write_fresh(path, data)
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


def _two_processes() -> bool:
    """Two processes render the posts' pages where there are two cores and fork exists."""
    wanted = int(current_app.config.get("SITE_REBUILD_PROCESSES") or min(os.cpu_count() or 1, 2))
    return wanted > 1 and hasattr(os, "fork")


def _post_pages(
    session: Any,
    chunks: _Chunks,
    corrections: dict[int, list[Correction]],
    last: int,
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Take sitemap chunks until none is left and write, for each, the pages of its live posts,
    its archive pages and the chunk itself; return how many post pages."""
    size = feeds.SITEMAP_CHUNK  # a whole number of archive pages
    query = (
        sa.select(
            Post.id, Post.public_slug, Post.published_at, Post.live_updated_at, Post.site_seq,
            Post.last_reviewed_at, User.display_name, Revision.content, Revision.rendered,
        )
        .join(User, User.id == Post.author_id)
        .join(Revision, Revision.id == Post.published_revision_id)
        .order_by(Post.site_seq)
    )  # fmt: skip
    written = 0
    with _FreshWriter() as writer:
        while (number := chunks.take()) is not None:
            cards: list[dict[str, Any]] = []  # what the archive pages and the sitemap show
            seqs = Post.site_seq.between(number * size + 1, (number + 1) * size)
            for row in session.execute(query.where(seqs).execution_options(yield_per=50)):
                writer.write(*_post_page(row, corrections))
                cards.append(_card(row))
                progress(1)
            written += len(cards)
            _write_chunk(writer, number, cards, last)
    return written


def _post_page(row: Any, corrections: dict[int, list[Correction]]) -> tuple[Path, bytes]:
    html = render_post_page(
        row.content,
        {**row.rendered, "correction": ""},
        author_name=row.display_name,
        published_at=row.published_at,
        updated_at=row.live_updated_at,
        reviewed_at=row.last_reviewed_at,
        corrections=corrections.get(row.id, ()),
        assets="../../assets/",
        root="../../",
        slug=row.public_slug,
    )
    return build.site_dir() / "posts" / row.public_slug / "index.html", html.encode()


def _card(row: Any) -> dict[str, Any]:
    return {
        "seq": row.site_seq,
        "title": row.content["title"],
        "summary": row.content["summary"],
        "slug": row.public_slug,
        "author": row.display_name,
        "published_at": row.published_at,
        "updated_at": row.live_updated_at,
        "entries": len(row.content.get("entries", [])),
    }


def _write_chunk(writer: _FreshWriter, number: int, cards: list[dict[str, Any]], last: int) -> None:
    """Sitemap chunk ``number`` (from 0) and its archive pages, from its live posts' cards."""
    size, chunk, root = pages.PAGE_SIZE, feeds.SITEMAP_CHUNK, build.site_dir()
    archived = pages.archived_pages(-(-last // size))  # the newest blocks: the home page's
    first_page = number * chunk // size + 1
    for page in range(first_page, min(first_page + chunk // size, archived + 1)):
        low, high = (page - 1) * size + 1, page * size
        listed = [card for card in reversed(cards) if low <= card["seq"] <= high]
        writer.write(
            root / "page" / str(page) / "index.html", pages.archive_page(page, listed, archived)
        )
    site_url = pages.site_url()
    urls = [
        (f"{site_url}posts/{card['slug']}/", card["updated_at"] or card["published_at"])
        for card in cards
    ]
    writer.write(root / "sitemaps" / f"posts-{number + 1}.xml", formats.sitemap(urls))


def _start_second_process(
    chunks: _Chunks, corrections: dict[int, list[Correction]], last: int
) -> tuple[int, int]:
    # Rendering is most of a rebuild and holds the GIL: a forked process takes chunks too,
    # with a database connection of its own (never one inherited from this process), and
    # tells how many post pages it wrote through a pipe.
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the second process
        status = 1
        try:
            os.close(read_end)
            engine = sa.create_engine(db.engine.url)
            with sa.orm.Session(engine) as session:
                written = _post_pages(session, chunks, corrections, last)
            with os.fdopen(write_end, "w") as out:
                out.write(str(written))
            status = 0
        except BaseException:  # noqa: BLE001 - reported, and the parent fails the rebuild
            traceback.print_exc()
        finally:
            os._exit(status)  # no cleanup of what belongs to the parent (its connections)
    os.close(write_end)
    return pid, read_end


def _wait_for(second: tuple[int, int]) -> int:
    """Wait for the second process to finish; how many post pages it wrote."""
    pid, read_end = second
    with os.fdopen(read_end) as answer:
        written = answer.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError("The second rebuild process failed; see the error above.")
    return int(written)


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
        _remove_tree(path)
    return len(stale)


def _remove_tree(path: Path | str) -> None:
    """``shutil.rmtree(path, ignore_errors=True)`` that reads each folder as it goes: rmtree
    lists a whole folder first, and the posts' folder of 100,000 posts takes 80 MB so."""
    for _ in range(3):  # a folder read while it is emptied may hold back a name: read again
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        _remove_tree(entry.path)
                    else:
                        with contextlib.suppress(OSError):
                            os.unlink(entry.path)
            os.rmdir(path)
        except FileNotFoundError:
            return
        except OSError:
            continue
        return
