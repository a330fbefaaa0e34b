"""Building the static site from the database: pages, indexes, tag pages, feeds, sitemaps.

Everything is rendered from the database, never appended to, and every file lands by
write-temp + ``os.replace`` (unchanged files are not rewritten at all); a temporary file left
by a job killed mid-write is removed by the next job that writes into its folder. Publishing
one post rewrites its page, the home page, the one archive page and the tag pages it sits on,
the feeds and one sitemap chunk: the work does not grow with the number of posts on the site.

Layout of SITE_DIR: ``index.html`` (newest posts), ``page/<n>/`` (archive pages, numbered from
the oldest so that they never shift when a post is added), ``posts/<slug>/``, ``tags/<slug>/``
(with its own feeds), ``feed.rss``, ``feed.atom``, ``feed.json``, ``sitemap.xml`` (an index of
``sitemaps/*.xml``), ``robots.txt`` and ``assets/``.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from editorial.models import Post, PostTag, Publication, Revision, User, db
from editorial.site import feeds
from editorial.site.pages import Correction, render_post_page, render_site, tag_slug

PAGE_SIZE = 20
FEED_SIZE = 20
SITEMAP_CHUNK = 200  # small chunks: publishing rewrites one, and a short one
ASSETS = (
    "site.css",
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
_TIDIED: ContextVar[set[Path] | None] = ContextVar("site_tidied", default=None)


@contextmanager
def _tidying() -> Iterator[None]:
    """While a job writes (holding the site lock, so no other job is writing), each folder it
    writes into is first cleared of the temporary files a killed job left there."""
    token = _TIDIED.set(set())
    try:
        yield
    finally:
        _TIDIED.reset(token)


def _tidy(directory: Path) -> None:
    tidied = _TIDIED.get()
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


def write_file(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically; leave an identical file alone. True if written."""
    _tidy(path.parent)
    try:
        if path.read_bytes() == data:
            return False
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
    return True


_BUILDING: ContextVar[Path | None] = ContextVar("site_building", default=None)


def site_dir() -> Path:
    """Where pages are written: SITE_DIR, or the fresh directory a full rebuild fills."""
    return _BUILDING.get() or Path(current_app.config["SITE_DIR"])


def site_url() -> str:
    url = str(current_app.config.get("SITE_URL") or "").rstrip("/")
    return f"{url}/" if url else ""


def live() -> sa.Select[Any]:
    """Posts on the site: those with a live version."""
    return (
        sa.select(Post)
        .where(Post.published_revision_id.is_not(None))
        .options(selectinload(Post.published_revision))  # lists read every post's content
    )


# --- pages ------------------------------------------------------------------------------------


def _corrections(post: Post) -> list[Correction]:
    rows = db.session.scalars(
        sa.select(Publication)
        .where(Publication.post_id == post.id, Publication.correction.is_not(None))
        .order_by(Publication.published_at, Publication.id)
    )
    return [Correction(row.published_at, row.correction) for row in rows]


def post_page(post: Post) -> bytes:
    """The post's public page, or the retraction notice once it is off the site."""
    if post.published_revision_id is None:
        html = render_site(
            "site/retracted.html",
            site_title=current_app.config["SITE_TITLE"],
            root="../../",
            assets="../../assets/",
            title=post.title,
        )
        return html.encode()
    revision = post.published_revision
    html = render_post_page(
        revision.content,
        {**revision.rendered, "correction": ""},  # notes show as corrections, with their date
        author_name=post.author.display_name,
        published_at=post.published_at,
        updated_at=post.live_updated_at,
        corrections=_corrections(post),
        assets="../../assets/",
        root="../../",
        slug=post.public_slug,
    )
    return html.encode()


def _card(post: Post) -> dict[str, Any]:
    content = post.published_revision.content
    return {
        "title": content["title"],
        "summary": content["summary"],
        "slug": post.public_slug,
        "author": post.author.display_name,
        "published_at": post.published_at,
        "updated_at": post.live_updated_at,
        "entries": len(content.get("entries", [])),
    }


def _list_page(
    cards: Iterable[dict[str, Any]],
    *,
    root: str,
    heading: str,
    feeds_at: str,
    pager: dict[str, Any],
) -> bytes:
    html = render_site(
        "site/index.html",
        site_title=current_app.config["SITE_TITLE"],
        root=root,
        assets=f"{root}assets/",
        cards=list(cards),
        heading=heading,
        feeds_at=feeds_at,
        pager=pager,
    )
    return html.encode()


def _last_seq() -> int:
    return db.session.scalar(sa.select(sa.func.max(Post.site_seq))) or 0


def home_page() -> bytes:
    posts = db.session.scalars(live().order_by(Post.site_seq.desc()).limit(PAGE_SIZE)).all()
    pages = -(-_last_seq() // PAGE_SIZE)
    pager = {"older": f"page/{pages}/" if pages else None, "newer": None}
    cards = map(_card, posts)
    return _list_page(cards, root="", heading="Latest rankings", feeds_at="", pager=pager)


def archive_page(
    number: int, cards: list[dict[str, Any]] | None = None, pages: int | None = None
) -> bytes:
    """Archive page ``number``: the posts first published in that block of PAGE_SIZE.

    It says nothing about the pages after it but whether there is one, so adding a post
    rewrites only the page it joins (and the one before, when it starts a new page).
    """
    if cards is None:
        low, high = (number - 1) * PAGE_SIZE + 1, number * PAGE_SIZE
        posts = db.session.scalars(
            live().where(Post.site_seq.between(low, high)).order_by(Post.site_seq.desc())
        ).all()
        cards = [_card(p) for p in posts]
    pages = pages if pages is not None else -(-_last_seq() // PAGE_SIZE)
    pager = {
        "older": f"../{number - 1}/" if number > 1 else None,
        "newer": f"../{number + 1}/" if number < pages else "../../",
    }
    heading = f"Archive, page {number}"
    return _list_page(cards, root="../../", heading=heading, feeds_at="../../", pager=pager)


def _tag_posts(slug: str, limit: int | None = None) -> list[Post]:
    query = live().join(PostTag).where(PostTag.slug == slug).order_by(PostTag.site_seq.desc())
    return db.session.scalars(query.limit(limit) if limit else query).all()


def _tag_name(slug: str) -> str | None:
    return db.session.scalar(sa.select(sa.func.min(PostTag.name)).where(PostTag.slug == slug))


def tag_page(slug: str, name: str) -> bytes | None:
    """A tag's page: its newest posts (None once no live post has the tag)."""
    posts = _tag_posts(slug, PAGE_SIZE)
    if not posts:
        return None
    pager = {"older": None, "newer": None}
    return _list_page(posts, root="../../", heading=f"Tagged “{name}”", feeds_at="", pager=pager)


# --- writing ----------------------------------------------------------------------------------


def _feed_items(posts: list[Post]) -> list[feeds.Item]:
    base = site_url()
    items = []
    for post in posts:
        revision = post.published_revision
        html = render_site(
            "site/_feed_content.html",
            post=revision.content,
            html=revision.rendered,
            corrections=_corrections(post),
        )
        items.append(
            feeds.Item(
                id=post.feed_id,
                url=f"{base}posts/{post.public_slug}/",
                title=revision.content["title"],
                summary=revision.content["summary"],
                content_html=html,
                author=post.author.display_name,
                published_at=post.published_at,
                updated_at=post.live_updated_at or post.published_at,
                tags=list(revision.content.get("tags", [])),
            )
        )
    return items


def _write_feeds(directory: Path, posts: list[Post], title: str, home: str) -> None:
    rel = directory.relative_to(site_dir()).as_posix()
    prefix = "" if rel == "." else f"{rel}/"
    channel = feeds.Channel(
        title=title,
        home_url=f"{site_url()}{prefix}",
        feed_url=f"{site_url()}{prefix}feed",
        description=f"Rankings that show their reasoning, from {current_app.config['SITE_TITLE']}.",
    )
    items = _feed_items(posts)
    write_file(directory / "feed.rss", feeds.rss(channel, items))
    write_file(directory / "feed.atom", feeds.atom(channel, items))
    write_file(directory / "feed.json", feeds.json_feed(channel, items))


def write_post(post: Post) -> None:
    write_file(site_dir() / "posts" / post.public_slug / "index.html", post_page(post))


def write_indexes(changes: Changes) -> None:
    """Everything that lists posts, for what ``changes`` touched (the page itself excepted)."""
    root = site_dir()
    title = current_app.config["SITE_TITLE"]
    for seq in sorted(changes.seqs):
        number = (seq - 1) // PAGE_SIZE + 1
        write_file(root / "page" / str(number) / "index.html", archive_page(number))
    write_file(root / "index.html", home_page())
    for slug in sorted(changes.tags):
        # Tags spelt two ways ("Python", "python") share a page; both builds name it alike.
        name = _tag_name(slug) or changes.tags[slug]
        page = tag_page(slug, name)
        directory = root / "tags" / slug
        if page is None:
            shutil.rmtree(directory, ignore_errors=True)
            continue
        write_file(directory / "index.html", page)
        _write_feeds(directory, _tag_posts(slug, FEED_SIZE), f"{title}: {name}", "")
    newest = db.session.scalars(live().order_by(Post.site_seq.desc()).limit(FEED_SIZE)).all()
    _write_feeds(root, newest, title, "")
    for seq in sorted(changes.seqs):
        write_sitemap_chunk((seq - 1) // SITEMAP_CHUNK + 1)
    write_sitemap_index()
    write_static()


def write_sitemap_chunk(number: int) -> None:
    low, high = (number - 1) * SITEMAP_CHUNK + 1, number * SITEMAP_CHUNK
    rows = db.session.execute(
        sa.select(Post.public_slug, Post.published_at, Post.live_updated_at)
        .where(Post.published_revision_id.is_not(None), Post.site_seq.between(low, high))
        .order_by(Post.site_seq)
    )
    urls = [(f"{site_url()}posts/{slug}/", updated or first) for slug, first, updated in rows]
    write_file(site_dir() / "sitemaps" / f"posts-{number}.xml", feeds.sitemap(urls))


def write_sitemap_index() -> None:
    chunks = -(-_last_seq() // SITEMAP_CHUNK)
    tags = db.session.execute(
        sa.select(PostTag.slug).join(Post).where(Post.published_revision_id.is_not(None))
        .distinct().order_by(PostTag.slug)
    ).scalars().all()  # fmt: skip
    pages = [(site_url(), None)] + [(f"{site_url()}tags/{slug}/", None) for slug in tags]
    write_file(site_dir() / "sitemaps" / "pages.xml", feeds.sitemap(pages))
    names = ["pages.xml"] + [f"posts-{n}.xml" for n in range(1, chunks + 1)]
    write_file(
        site_dir() / "sitemap.xml",
        feeds.sitemap_index([f"{site_url()}sitemaps/{name}" for name in names]),
    )


def write_static() -> None:
    root = site_dir()
    robots = "User-agent: *\nAllow: /\n"
    if site_url():
        robots += f"Sitemap: {site_url()}sitemap.xml\n"
    write_file(root / "robots.txt", robots.encode())
    static = Path(current_app.static_folder)
    for name in ASSETS:
        write_file(root / "assets" / name, (static / name).read_bytes())


def changes_for(post: Post, old_tags: dict[str, str]) -> Changes:
    """What publishing or retracting ``post`` changes, given the tags it was listed under."""
    changes = Changes(posts={post.id}, tags=dict(old_tags))
    if post.published_revision_id is not None:
        changes.tags.update(live_tags(post))
    if post.site_seq:
        changes.seqs.add(post.site_seq)
        if post.site_seq > PAGE_SIZE and post.site_seq % PAGE_SIZE == 1:
            changes.seqs.add(post.site_seq - 1)  # the page before now links to a newer one
    return changes


def live_tags(post: Post) -> dict[str, str]:
    tags = post.published_revision.content.get("tags", []) if post.published_revision else []
    return {tag_slug(t): t for t in tags if tag_slug(t)}


def write_changes(post: Post, changes: Changes) -> None:
    """Write what a job changed: a new page before anything links to it, and a retracted
    post out of every list before its page becomes the notice. The caller holds the site lock."""
    with _tidying():
        if post.published_revision_id is not None:
            write_post(post)
            write_indexes(changes)
        else:
            write_indexes(changes)
            if post.public_slug:
                write_post(post)


# --- the full rebuild -------------------------------------------------------------------------


@contextmanager
def _building_into(directory: Path) -> Iterator[None]:
    token = _BUILDING.set(directory)
    try:
        yield
    finally:
        _BUILDING.reset(token)


def rebuild(progress: Callable[[int], None] | None = None) -> Path:
    """Build the whole site into a fresh directory, then swap it in atomically.

    SITE_DIR becomes a symbolic link to the newest build (``.<name>-builds/<id>`` beside
    it), so readers see the old site or the new one, never a mix. The caller holds the site
    lock, so no job writes into the old build meanwhile. Returns the new build's directory.
    """
    target = Path(current_app.config["SITE_DIR"])
    builds = target.parent / f".{target.name}-builds"
    build = builds / uuid.uuid4().hex
    build.mkdir(parents=True)
    with _building_into(build):
        _build_everything(progress or (lambda n: None))
    _swap_in(target, build, builds)
    return build


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
    posts = site_dir() / "posts"
    with _FreshWriter() as writer:
        retracted = sa.select(Post).where(
            Post.public_slug.is_not(None), Post.published_revision_id.is_(None)
        )
        for post in db.session.scalars(retracted):
            writer.write(posts / post.public_slug / "index.html", post_page(post))
            progress(1)
        db.session.expunge_all()
        pages = -(-_last_seq() // PAGE_SIZE)
        for number in range(1, pages + 1):
            seqs = range(number * PAGE_SIZE, (number - 1) * PAGE_SIZE, -1)
            page = archive_page(number, [cards[q] for q in seqs if q in cards], pages)
            writer.write(site_dir() / "page" / str(number) / "index.html", page)
    tags = db.session.execute(
        sa.select(PostTag.slug, sa.func.min(PostTag.name)).group_by(PostTag.slug)
    ).all()
    write_indexes(Changes(tags={slug: name for slug, name in tags}))
    for number in range(1, -(-_last_seq() // SITEMAP_CHUNK) + 1):
        seqs = range((number - 1) * SITEMAP_CHUNK + 1, number * SITEMAP_CHUNK + 1)
        urls = [
            (f"{site_url()}posts/{card['slug']}/", card["updated_at"] or card["published_at"])
            for card in (cards[q] for q in seqs if q in cards)
        ]
        _write_fresh(site_dir() / "sitemaps" / f"posts-{number}.xml", feeds.sitemap(urls))
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
    posts = site_dir() / "posts"
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


def _swap_in(target: Path, build: Path, builds: Path) -> None:
    builds.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_symlink():
        # A plain directory from before the first rebuild: move it aside among the builds.
        os.replace(target, builds / f"before-{uuid.uuid4().hex}")
    link = target.with_name(f".{target.name}.{uuid.uuid4().hex}.link")
    link.symlink_to(build, target_is_directory=True)
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
