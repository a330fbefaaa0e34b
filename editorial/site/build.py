"""The incremental build: what one publish job writes into the site.

Everything is rendered from the database, never appended to, and every file lands by
write-temp + ``os.replace`` (unchanged files are not rewritten at all); a temporary file left
by a job killed mid-write is removed by the next job that writes into its folder. Publishing
one post rewrites its page, the home page, the one archive page and the tag pages it sits on,
the feeds and one sitemap chunk: the work does not grow with the number of posts on the site.
The pages are in ``pages``, the feeds and sitemaps in ``feeds``, the whole rebuild in
``rebuild``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app

from editorial.models import JobStatus, Post, PublishJob, db
from editorial.operations import publishing, websub
from editorial.site import feeds, pages, post_page

ASSETS = (
    "site.css",
    "reweigh.js",  # a scored post's "Weight the criteria yourself"
    "favicon.svg",
    "vendor/pico-2.1.1/pico.min.css",
    "vendor/pico-2.1.1/LICENSE.md",
)


@dataclass
class Changes:
    """What one job touched: the posts whose pages and places need writing again."""

    posts: set[int] = field(default_factory=set)
    tags: dict[str, str] = field(default_factory=dict)  # slug -> name
    seqs: set[int] = field(default_factory=set)


# write_file's temporary names: ".<name>.<uuid4 hex>.tmp".
_TEMPORARY = re.compile(r"\.[^/]+\.[0-9a-f]{32}\.tmp")


class _Writer:
    """A job's files, written in the order they are given by a thread of its own: each is
    written, fsynced and renamed into place exactly as ``write_file`` does it alone, one after
    the other, while the job renders the next (the fsyncs wait for the disk, not the CPU).
    The first failure stops every write after it and is raised to the job, at its next write
    or when it ends; the job ends only once every file given is in place."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self.tidied: set[Path] = set()
        self._thread = threading.Thread(target=self._run, name="site-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (action := self._queue.get()) is not None:
            if self._error is None:
                try:
                    action()
                except BaseException as exc:  # noqa: BLE001 - raised in the job's thread
                    self._error = exc

    def put(self, action: Callable[[], None]) -> None:
        self._raise()
        self._queue.put(action)

    def close(self) -> None:
        """Wait for every file given; raise the first failure."""
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


_WRITER: ContextVar[_Writer | None] = ContextVar("site_writer", default=None)


@contextmanager
def _tidying() -> Iterator[None]:
    """While a job writes (holding the site lock, so no other job is writing), its files are
    written in order by a ``_Writer``, and each folder it writes into is first cleared of the
    temporary files a killed job left there."""
    writer = _Writer()
    token = _WRITER.set(writer)
    try:
        yield
    except BaseException:
        with contextlib.suppress(BaseException):
            _wait_for_writes(writer)  # what was given is written (or not) before the error
        raise
    else:
        _wait_for_writes(writer)
    finally:
        _WRITER.reset(token)


def _wait_for_writes(writer: _Writer) -> None:
    # Apart, so that the site bench can time what the job still waits for at its end.
    writer.close()


def _tidy(directory: Path, tidied: set[Path] | None) -> None:
    if tidied is None or directory in tidied:
        return
    tidied.add(directory)
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return
    for entry in entries:
        if _TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            Path(entry.path).unlink(missing_ok=True)


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; leave an identical file alone. In a job
    (``write_changes``), the job's writer thread writes it, after every file given before."""
    if _BUILDING.get() is not None:
        # A rebuild's fresh directory: nobody reads it before the swap, and one sync before
        # the swap makes it durable.
        write_fresh(path, data)
        return
    writer = _WRITER.get()
    if writer is None:
        _write_now(path, data, None)
    else:
        writer.put(functools.partial(_write_now, path, data, writer.tidied))


def remove_folder(directory: Path) -> None:
    """Remove a folder of the site (in a job, in its turn among the job's files)."""
    writer = _WRITER.get()
    remove = functools.partial(shutil.rmtree, directory, ignore_errors=True)
    if writer is None:
        remove()
    else:
        writer.put(remove)


def _write_now(path: Path, data: bytes, tidied: set[Path] | None) -> None:
    _tidy(path.parent, tidied)
    try:
        if path.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_fresh(path: Path, data: bytes) -> None:
    """Write a file of a rebuild's fresh directory (not atomic: nobody reads it yet)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


_BUILDING: ContextVar[Path | None] = ContextVar("site_building", default=None)


@contextmanager
def building_into(directory: Path) -> Iterator[None]:
    """While the block runs, ``site_dir()`` is ``directory`` (the fresh build of a rebuild)."""
    token = _BUILDING.set(directory)
    try:
        yield
    finally:
        _BUILDING.reset(token)


def site_dir() -> Path:
    """Where pages are written: SITE_DIR, or the fresh directory a full rebuild fills."""
    return _BUILDING.get() or Path(current_app.config["SITE_DIR"])


def write_post(post: Post) -> None:
    write_file(site_dir() / "posts" / post.public_slug / "index.html", post_page.post_page(post))


def _write_feeds(
    directory: Path, prefix: str, posts: list[Post], title: str, known: dict[int, feeds.Entry]
) -> None:
    for name, data in feeds.feed_files(prefix, posts, title, known).items():
        write_file(directory / name, data)


def write_indexes(changes: Changes) -> list[str]:
    """Everything that lists posts, for what ``changes`` touched (the page itself excepted);
    the folders whose feeds it wrote ("" for the site's, "tags/<slug>/")."""
    root = site_dir()
    title = current_app.config["SITE_TITLE"]
    last = pages.last_seq()
    archived = pages.archived_pages(-(-last // pages.PAGE_SIZE))
    written: list[str] = []
    for number in sorted({(seq - 1) // pages.PAGE_SIZE + 1 for seq in changes.seqs}):
        if number <= archived:  # the newest blocks are on the home page only
            page = pages.archive_page(number, archived=archived)
            write_file(root / "page" / str(number) / "index.html", page)
    # The lists are read once for the page and the feed: the same rows, newest first.
    home = pages.home_posts(archived)
    listed = max(pages.PAGE_SIZE, feeds.FEED_SIZE)
    tags = sorted(changes.tags)
    # Tags spelt two ways ("Python", "python") share a page; both builds name it alike.
    names = pages.tag_names(tags)
    lists = {slug: pages.tag_posts(slug, listed) for slug in tags}
    # The home page holds the newest live posts, and all of them until the archive begins.
    newest = home[: feeds.FEED_SIZE]
    if len(newest) < feeds.FEED_SIZE and archived:
        newest = db.session.scalars(
            pages.live().order_by(Post.site_seq.desc()).limit(feeds.FEED_SIZE)
        ).all()
    # Every feed's entries at once (their corrections and the versions of those not made
    # before, a query each); a post in several feeds is rendered for them once.
    known: dict[int, feeds.Entry] = {}
    in_feeds = {post.id: post for posts in lists.values() for post in posts[: feeds.FEED_SIZE]}
    in_feeds.update((post.id, post) for post in newest)
    feeds.feed_entries(list(in_feeds.values()), known)
    write_file(root / "index.html", pages.home_page(home, archived))
    for slug in tags:
        name = names.get(slug) or changes.tags[slug]
        posts = lists[slug]
        page = pages.tag_page(slug, name, posts)
        directory = root / "tags" / slug
        if page is None:
            remove_folder(directory)
            continue
        write_file(directory / "index.html", page)
        posts = posts[: feeds.FEED_SIZE]
        _write_feeds(directory, f"tags/{slug}/", posts, f"{title}: {name}", known)
        written.append(f"tags/{slug}/")
    _write_feeds(root, "", newest, title, known)
    for seq in sorted(changes.seqs):
        write_sitemap_chunk((seq - 1) // feeds.SITEMAP_CHUNK + 1)
    write_sitemap_index(last)
    return ["", *written]


def write_sitemap_chunk(number: int) -> None:
    write_file(site_dir() / "sitemaps" / f"posts-{number}.xml", feeds.posts_sitemap(number))


def write_sitemap_index(last: int | None = None) -> None:
    """The pages' sitemap and the sitemap index (``last``: ``pages.last_seq()``, if read)."""
    write_file(site_dir() / "sitemaps" / "pages.xml", feeds.pages_sitemap())
    write_file(site_dir() / "sitemap.xml", feeds.site_sitemap_index(last))


def write_static() -> None:
    root = site_dir()
    robots = "User-agent: *\nAllow: /\n"
    if pages.site_url():
        robots += f"Sitemap: {pages.site_url()}sitemap.xml\n"
    write_file(root / "robots.txt", robots.encode())
    static = Path(current_app.static_folder)
    for name in ASSETS:
        write_file(root / "assets" / name, (static / name).read_bytes())


def changes_for(post: Post, old_tags: dict[str, str]) -> Changes:
    """What publishing or retracting ``post`` changes, given the tags it was listed under."""
    changes = Changes(posts={post.id}, tags=dict(old_tags))
    if post.published_revision_id is not None:
        changes.tags.update(publishing.live_tags(post))
    if post.site_seq:
        changes.seqs.add(post.site_seq)
        if post.site_seq % pages.PAGE_SIZE == 1:
            # A new block: the oldest block on the home page leaves it for an archive page, and
            # the page before that links to it instead of to the home page.
            for blocks in (pages.HOME_BLOCKS - 1, pages.HOME_BLOCKS):
                if (seq := post.site_seq - 1 - blocks * pages.PAGE_SIZE) > 0:
                    changes.seqs.add(seq)
    return changes


def write_changes(post: Post, changes: Changes) -> list[str]:
    """Write what a job changed: a new page before anything links to it, and a retracted
    post out of every list before its page becomes the notice. The caller holds the site lock.
    The folders whose feeds were written, as ``write_indexes``."""
    with _tidying():
        write_static()  # first: a page never goes up before the style sheets it links to
        if post.published_revision_id is not None:
            write_post(post)
            return write_indexes(changes)
        folders = write_indexes(changes)
        if post.public_slug:
            write_post(post)
        return folders


def apply_and_write(job_id: int, now: datetime) -> bool:
    """Holding the site lock, apply a started job's decision to its post and write what that
    changed (flushes; the caller commits). False when another worker finished the job while
    this one waited for the lock."""
    state = publishing.lock_site()
    job = db.session.get(PublishJob, job_id, populate_existing=True)
    if job.status == JobStatus.DONE:
        return False
    post = db.session.get(Post, job.post_id, populate_existing=True)
    listed = publishing.listed_tags(post)
    publishing.apply(job, post, now)
    folders = write_changes(post, changes_for(post, listed))
    publishing.finish(job, state, now)
    # Every feed written, changed or not: a job run again after its worker died had its files
    # written, but its pings never sent. Sent after the commit, by a task of their own.
    websub.announce(db.session, [url for folder in folders for url in feeds.feed_urls(folder)])
    return True
