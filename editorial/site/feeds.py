"""The site's own feeds and sitemaps, read from the database and written in the formats of
formats.py: the site's feeds and each tag's, the sitemap index and its chunks of posts.

A post's entry is made once per process (its content rendered, then put in each format) and
kept while nothing it shows changes, so a publish makes only the entries it has not made before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from editorial.models import Post, PostTag, Revision, db, utcnow
from editorial.site.formats import (
    Channel,
    Entry,
    Item,
    atom,
    json_feed,
    rss,
    sitemap,
    sitemap_index,
)
from editorial.site.pages import (
    Correction,
    corrections_by_post,
    last_seq,
    loaded_version,
    public_url,
    render_site,
    site_url,
)

FEED_SIZE = 20
SITEMAP_CHUNK = 200  # small chunks: publishing rewrites one, and a short one

_FEED_CONTENT = "site/_feed_content.html"


class _Made:
    """Feed entries already made in this process, by everything an entry is made of, the
    least recently used dropped past ``size``: a publish reads 20 for each feed it writes
    (the site's and its post's tags'), and an entry in all its forms takes some 25 KB."""

    def __init__(self, size: int = 500):
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()  # a worker may run tasks in threads

    def get(self, key: Hashable) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def _entry_key(post: Post, corrections: tuple[Correction, ...], base: str) -> Hashable:
    # What an entry is made of, all read in the job's own transaction: a revision never
    # changes (its rows refuse updates), and everything else it shows is here, so a
    # correction, a republish, a renamed author or another address is another key, and an
    # entry made by any worker before is never shown stale. The template and the affiliate
    # parameters (rel="sponsored") count too: tests and a reloading server change them.
    return (
        post.id,
        post.feed_id,
        post.published_revision_id,
        post.public_slug,
        post.published_at,
        post.live_updated_at,
        post.author.display_name,
        corrections,
        base,
        tuple(current_app.config.get("AFFILIATE_PARAMS", ())),
        current_app.jinja_env.get_template(_FEED_CONTENT),
    )


def _made() -> _Made:
    return current_app.extensions.setdefault("feed_entries", _Made())


def feed_entries(posts: list[Post], known: dict[int, Entry] | None = None) -> list[Entry]:
    """Feed entries for live ``posts``, each with its whole content as HTML. ``known`` keeps
    the entries already made, by post id, for the other feeds of the same build; an entry
    made for an earlier build of this process is used again while nothing it shows changed."""
    known = {} if known is None else known
    base = site_url()
    missing = [post for post in posts if post.id not in known]
    corrections = corrections_by_post(post.id for post in missing) if missing else {}
    made = _made()
    to_make: dict[int, tuple[Post, Hashable, tuple[Correction, ...]]] = {}
    for post in missing:
        notes = tuple(corrections.get(post.id, ()))
        key = _entry_key(post, notes, base)
        entry = made.get(key)
        if entry is None:
            to_make[post.id] = (post, key, notes)
        else:
            known[post.id] = entry
    if to_make:
        # Only the versions of the entries not made before are read, in one query (but those
        # the session holds already, such as the post being published).
        versions: dict[int, Any] = {}
        for post, _, _ in to_make.values():
            if (held := loaded_version(post)) is not None:
                versions[held.id] = held
        wanted = {post.published_revision_id for post, _, _ in to_make.values()} - set(versions)
        if wanted:
            query = sa.select(Revision.id, Revision.content, Revision.rendered)
            for row in db.session.execute(query.where(Revision.id.in_(wanted))):
                versions[row.id] = row
        for post, key, notes in to_make.values():
            version = versions[post.published_revision_id]
            entry = Entry.of(_feed_item(post, version.content, version.rendered, notes, base))
            made.put(key, entry)
            known[post.id] = entry
    return [known[post.id] for post in posts]


def _feed_item(
    post: Post,
    content: dict[str, Any],
    rendered: dict[str, Any],
    corrections: tuple[Correction, ...],
    base: str,
) -> Item:
    return Item(
        id=post.feed_id,
        url=public_url(f"{base}posts/{post.public_slug}/"),
        title=content["title"],
        summary=content["summary"],
        content_html=render_site(
            _FEED_CONTENT,
            post=content,
            html=rendered,
            corrections=list(corrections),
        ),
        author=post.author.display_name,
        published_at=post.published_at,
        updated_at=post.live_updated_at or post.published_at,
        tags=list(content.get("tags", [])),
    )


def feed_files(
    prefix: str, posts: list[Post], title: str, known: dict[int, Entry] | None = None
) -> dict[str, bytes]:
    """The feeds of the whole site (``prefix`` "") or of one of its folders ("tags/<slug>/"),
    by file name (``known`` as in ``feed_entries``)."""
    items = feed_entries(posts, known)
    channel = Channel(
        title=title,
        home_url=public_url(f"{site_url()}{prefix}"),
        feed_url=public_url(f"{site_url()}{prefix}feed"),
        description=f"Rankings that show their reasoning, from {current_app.config['SITE_TITLE']}.",
        updated_at=None if items else _emptied_at(),
        hubs=tuple(current_app.config.get("WEBSUB_HUBS", ())),
    )
    return {
        "feed.rss": rss(channel, items),
        "feed.atom": atom(channel, items),
        "feed.json": json_feed(channel, items),
    }


def feed_urls(prefix: str) -> list[str]:
    """The addresses of the feeds ``feed_files`` makes for ``prefix`` (none without SITE_URL:
    a hub needs an absolute address)."""
    if not site_url():
        return []
    base = public_url(f"{site_url()}{prefix}feed")
    return [f"{base}.{kind}" for kind in ("rss", "atom", "json")]


def _emptied_at() -> datetime:
    """The date of a feed with no item: the last change of a post that was on the site (the
    same in both builds), or, on a site that never had one, the build's time."""
    last = db.session.scalar(
        sa.select(sa.func.max(sa.func.coalesce(Post.live_updated_at, Post.published_at))).where(
            Post.public_slug.is_not(None)
        )
    )
    return last or utcnow().replace(microsecond=0)


def posts_sitemap(number: int) -> bytes:
    """Sitemap chunk ``number``: the live posts in that block of SITEMAP_CHUNK, in site order."""
    low, high = (number - 1) * SITEMAP_CHUNK + 1, number * SITEMAP_CHUNK
    rows = db.session.execute(
        sa.select(Post.public_slug, Post.published_at, Post.live_updated_at)
        .where(Post.published_revision_id.is_not(None), Post.site_seq.between(low, high))
        .order_by(Post.site_seq)
    )
    urls = [(f"{site_url()}posts/{slug}/", updated or first) for slug, first, updated in rows]
    return sitemap(urls)


def pages_sitemap() -> bytes:
    """The sitemap of the home page and of the tag pages."""
    tags = db.session.scalars(live_tag_slugs()).all()
    pages = [(site_url(), None)] + [(f"{site_url()}tags/{slug}/", None) for slug in tags]
    return sitemap(pages)


def live_tag_slugs() -> sa.Select[tuple[str]]:
    """The slugs of the tags on the site (with a live post), in order: one index lookup per tag
    (a recursive "loose index scan"), not a read of every post's tags."""
    slugs = sa.select(sa.func.min(PostTag.slug).label("slug")).cte("tag_slug", recursive=True)
    after = sa.select(sa.func.min(PostTag.slug)).where(PostTag.slug > slugs.c.slug)
    slugs = slugs.union_all(sa.select(after.scalar_subquery()).where(slugs.c.slug.is_not(None)))
    # A live post of the tag, looked up per tag (LIMIT 1): as EXISTS, PostgreSQL may join every
    # row of post_tag with post instead.
    live = (
        sa.select(PostTag.post_id)
        .join(Post)
        .where(PostTag.slug == slugs.c.slug, Post.published_revision_id.is_not(None))
        .limit(1)
        .scalar_subquery()
    )
    return (
        sa.select(slugs.c.slug)
        .where(slugs.c.slug.is_not(None), live.is_not(None))
        .order_by(slugs.c.slug)
    )


def site_sitemap_index(last: int | None = None) -> bytes:
    """The site's ``sitemap.xml``: the pages' sitemap and every chunk of posts (``last``:
    ``last_seq()``, if read)."""
    chunks = -(-(last_seq() if last is None else last) // SITEMAP_CHUNK)
    names = ["pages.xml"] + [f"posts-{n}.xml" for n in range(1, chunks + 1)]
    return sitemap_index([f"{site_url()}sitemaps/{name}" for name in names])
