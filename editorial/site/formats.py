"""The feed and sitemap formats: RSS 2.0 and Atom through feedgen, JSON Feed 1.1, sitemaps and
their index (XML). What they write depends only on what is passed in (no "now"), so the same
items give the same bytes; an empty feed takes its date from the channel. Text is made
XML-safe here as well as on input: any title or body yields a valid feed. The site's own
feeds and sitemaps, read from the database, are in feeds.py.
"""

from __future__ import annotations

import copy
import html
import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - builds XML, parses none
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator

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
