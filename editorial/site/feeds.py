"""Feeds and sitemaps: RSS 2.0 and Atom through feedgen, JSON Feed 1.1, sitemaps (XML); then
the site's own feeds and sitemaps, read from the database.

The formats' output depends only on what is passed in (no "now"), so the same posts give the
same bytes; an empty feed takes its date from the channel. Text is made XML-safe here as well
as on input: any title or body yields a valid feed. A post's entry is made once per process
(its content rendered, then put in each format) and kept while nothing it shows changes, so
a publish makes only the entries it has not made before.
"""

from __future__ import annotations

import copy
import html
import json
import re
import threading
import xml.etree.ElementTree as ET  # noqa: S405 - builds XML, parses none
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from flask import current_app

from editorial.models import Post, PostTag, Revision, db, utcnow
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

# Characters XML 1.0 cannot carry at all (C0 controls but tab, LF, CR; lone surrogates;
# U+FFFE/U+FFFF). Sanitised input never has them; a feed must not break if some slips in.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


@dataclass(frozen=True)
class Channel:
    title: str
    home_url: str
    feed_url: str  # without the extension: ".rss", ".atom" and ".json" are added
    description: str
    updated_at: datetime | None = None  # the feed's date while it has no item
    hubs: tuple[str, ...] = ()  # WebSub hubs that announce the feed's changes


@dataclass(frozen=True)
class Item:
    id: str
    url: str
    title: str
    summary: str
    content_html: str
    author: str
    published_at: datetime
    updated_at: datetime
    tags: list[str]


class _FeedgenEntry(FeedEntry):
    """A feedgen entry that builds its RSS and Atom elements once and hands out copies (each
    feed's tree takes its own): it is never changed once made."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[str, Any] = {}

    def rss_entry(self, extensions: bool = True) -> Any:
        return self._once("rss", super().rss_entry, extensions)

    def atom_entry(self, extensions: bool = True) -> Any:
        return self._once("atom", super().atom_entry, extensions)

    def _once(self, kind: str, build: Any, extensions: bool) -> Any:
        if not extensions:
            return build(extensions)
        if kind not in self._built:
            self._built[kind] = build(extensions)
        return copy.deepcopy(self._built[kind])


@dataclass(frozen=True)
class Entry:
    """An item as each format writes it, made once: an item is in several feeds, and the
    site's are kept from one build to the next (``feed_entries``)."""

    item: Item
    feedgen: FeedEntry
    json: dict[str, Any]
    json_text: str = ""  # ``json`` as json_feed writes it (made by ``of``)

    @classmethod
    def of(cls, item: Item) -> Entry:
        """The item in each format, its text made XML-safe."""
        entry = _FeedgenEntry()
        entry.id(item.id)
        entry.guid(item.id, permalink=False)
        entry.title(xml_safe(item.title))
        entry.link(href=item.url)
        entry.author(name=xml_safe(item.author) or "unknown")
        entry.published(_aware(item.published_at))
        entry.updated(_aware(item.updated_at))
        entry.summary(xml_safe(item.summary))  # Atom: type "text"
        # RSS readers take <description> as HTML: the plain-text summary goes in escaped, or a
        # summary typed as "<img onerror=...>" would be markup in every reader.
        entry.description(html.escape(xml_safe(item.summary), quote=False))
        entry.content(xml_safe(item.content_html), type="html")
        for tag in item.tags:
            entry.category(term=xml_safe(tag))
        # The same safe text as the XML feeds: a lone surrogate would not even encode as UTF-8.
        data = {
            "id": item.id,
            "url": item.url,
            "title": xml_safe(item.title),
            "summary": xml_safe(item.summary),
            "content_html": xml_safe(item.content_html),
            "date_published": _aware(item.published_at).isoformat(),
            "date_modified": _aware(item.updated_at).isoformat(),
            "authors": [{"name": xml_safe(item.author)}],
            "tags": [xml_safe(tag) for tag in item.tags],
        }
        return cls(item, entry, data, _json_text(data))


def _entries(items: Sequence[Item | Entry]) -> list[Entry]:
    return [item if isinstance(item, Entry) else Entry.of(item) for item in items]


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_ATOM = "http://www.w3.org/2005/Atom"


class _Hubs(BaseExtension):
    """RSS's ``atom:link rel="hub"`` after its ``rel="self"`` (feedgen writes only the self
    link into RSS; Atom takes the hubs as links of its own)."""

    hubs: tuple[str, ...] = ()

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        after = channel.find(f"{{{_ATOM}}}link")
        for hub in reversed(self.hubs):
            link = channel.makeelement(f"{{{_ATOM}}}link", href=hub, rel="hub")
            after.addnext(link)
        return feed


def _generator(channel: Channel, entries: list[Entry], kind: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(xml_safe(channel.home_url) or "urn:editorial:site")
    fg.title(xml_safe(channel.title))
    # WebSub discovery: the feed names its hubs and itself (the topic a reader subscribes to).
    for hub in channel.hubs:
        fg.link(href=hub, rel="hub")
    fg.register_extension("websub", _Hubs, atom=False, rss=True)
    fg.websub.hubs = channel.hubs
    # RSS takes its channel <link> from the last link given: the site, not the feed itself.
    fg.link(href=f"{channel.feed_url}.{kind}", rel="self")
    fg.link(href=channel.home_url or "/", rel="alternate")
    fg.description(xml_safe(channel.description))
    fg.subtitle(xml_safe(channel.description))
    fg.language("en")
    fg.generator("editorial")
    # feedgen stamps "now" unless told otherwise; the newest change keeps output repeatable.
    newest = max((_aware(e.item.updated_at) for e in entries), default=None)
    newest = newest or channel.updated_at
    if newest is not None:
        fg.updated(_aware(newest))  # Atom's <updated> and RSS's <lastBuildDate>
    for entry in entries:
        fg.add_entry(entry.feedgen, order="append")
    return fg


def rss(channel: Channel, items: Sequence[Item | Entry]) -> bytes:
    """RSS 2.0 with the full sanitised content in content:encoded (an item may come as the
    ``Entry`` made of it)."""
    return _generator(channel, _entries(items), "rss").rss_str(pretty=True)


def atom(channel: Channel, items: Sequence[Item | Entry]) -> bytes:
    """Atom 1.0 (items as for ``rss``)."""
    return _generator(channel, _entries(items), "atom").atom_str(pretty=True)


def json_feed(channel: Channel, items: Sequence[Item | Entry]) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1; items as for ``rss``)."""
    data = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": xml_safe(channel.title),
        "home_page_url": channel.home_url,
        "feed_url": f"{channel.feed_url}.json",
        "description": xml_safe(channel.description),
        "language": "en",
        **(
            {"hubs": [{"type": "WebSub", "url": hub} for hub in channel.hubs]}
            if channel.hubs
            else {}
        ),
    }
    # The items last, each as its entry wrote it once: the same text as json.dumps of the
    # whole (a list is "[" + its items joined by ", " + "]"), without encoding them again.
    items_text = ", ".join(entry.json_text or _json_text(entry.json) for entry in _entries(items))
    # Not indented: json's C encoder writes only unindented JSON, several times as fast.
    return f'{_json_text(data)[:-1]}, "items": [{items_text}]}}\n'.encode()


def _json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def sitemap(urls: list[tuple[str, datetime | None]]) -> bytes:
    """A sitemap of (address, last modified) pairs."""
    root = ET.Element("urlset", xmlns=_SITEMAP_NS)
    for url, modified in urls:
        node = ET.SubElement(root, "url")
        ET.SubElement(node, "loc").text = xml_safe(url)
        if modified:
            ET.SubElement(node, "lastmod").text = _aware(modified).date().isoformat()
    return _xml(root)


def sitemap_index(urls: list[str]) -> bytes:
    """A sitemap index pointing at each sitemap."""
    root = ET.Element("sitemapindex", xmlns=_SITEMAP_NS)
    for url in urls:
        ET.SubElement(ET.SubElement(root, "sitemap"), "loc").text = xml_safe(url)
    return _xml(root)


# --- the site's feeds and sitemaps ------------------------------------------------------------


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
