"""Feeds and sitemaps from hostile text (no app): RSS and Atom through feedgen, JSON Feed 1.1."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own output
from datetime import UTC, datetime, timedelta, timezone

import feedparser
import pytest

from editorial.site import formats

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

HOSTILE = {
    "cdata-end": "Tools that end ]]> a CDATA section ]]]]><![CDATA[>",
    "closing-tag": "Best </title></item></channel> frameworks",
    "script": "<script>alert('feed')</script> ranked",
    "controls": "Null\x00 vertical\x0btab unit\x1fseparator",
    "arabic": "أفضل أطر عمل الويب لعام 2026",
    "hebrew": "\u200fהמסגרות הטובות ביותר\u200e (mixed LTR)",
    "emoji": "🐍 Python 🚀 👩🏽\u200d💻 frameworks",
    "entities": "Tom &amp; Jerry & Co &lt;b&gt; &#x26; &nbsp;",
}
CONTROLS = str.maketrans("", "", "\x00\x0b\x1f")


def _item(key: str, text: str, n: int) -> formats.Item:
    return formats.Item(
        id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        url=f"https://example.org/site/posts/{key}/?from=feed&n={n}",
        title=text,
        summary=f"Summary: {text}",
        content_html=f"<p>{text}</p><p><![CDATA[ {text} ]]></p><script>x()</script>",
        author=f"Author {text}",
        published_at=datetime(2026, 3, 1, 9, n),
        updated_at=datetime(2026, 3, 2, 9, n),
        tags=[f"tag {text}", "plain"],
    )


ITEMS = [_item(key, text, n) for n, (key, text) in enumerate(HOSTILE.items())]
CHANNEL = formats.Channel(
    title="Honest <Rankings> & ]]> co",
    home_url="https://example.org/site/?a=1&b=2",
    feed_url="https://example.org/site/feed",
    description="Rankings\x00 that show their reasoning & more.",
)


def _clean(text: str) -> str:
    return text.translate(CONTROLS)


@pytest.mark.parametrize("write", [formats.rss, formats.atom], ids=["rss", "atom"])
def test_hostile_items_give_a_well_formed_feed(write):
    parsed = feedparser.parse(write(CHANNEL, ITEMS))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert [e.id for e in parsed.entries] == [i.id for i in ITEMS]
    assert [e.link for e in parsed.entries] == [i.url for i in ITEMS]
    assert parsed.feed.title == _clean(CHANNEL.title)


def test_rss_carries_every_text_exactly(tmp_path):
    """XML escaping round-trips: what an XML parser reads back is the text, controls removed."""
    channel = ET.fromstring(formats.rss(CHANNEL, ITEMS)).find("channel")  # noqa: S314
    assert channel.findtext("title") == _clean(CHANNEL.title)
    for node, item in zip(channel.findall("item"), ITEMS, strict=True):
        assert node.findtext("title") == _clean(item.title)
        # The summary is plain text and <description> is HTML: escaped once more, it reads back
        # as the same text in any reader, never as markup.
        assert html.unescape(node.findtext("description")) == _clean(item.summary)
        assert "<" not in node.findtext("description")
        assert node.findtext(CONTENT) == _clean(item.content_html)
        assert node.findtext("guid") == item.id
        assert node.find("guid").get("isPermaLink") == "false"
        assert node.findtext("link") == item.url
        assert {c.text for c in node.findall("category")} == {_clean(t) for t in item.tags}


def test_atom_carries_every_text_exactly():
    root = ET.fromstring(formats.atom(CHANNEL, ITEMS))  # noqa: S314
    for node, item in zip(root.findall(f"{ATOM}entry"), ITEMS, strict=True):
        assert node.findtext(f"{ATOM}id") == item.id
        assert node.findtext(f"{ATOM}title") == _clean(item.title)
        assert node.findtext(f"{ATOM}content") == _clean(item.content_html)
        assert node.find(f"{ATOM}content").get("type") == "html"
        assert node.findtext(f"{ATOM}author/{ATOM}name") == _clean(item.author)
        assert node.findtext(f"{ATOM}updated") == item.updated_at.replace(tzinfo=UTC).isoformat()


def test_rtl_and_emoji_survive_feedparser():
    parsed = feedparser.parse(formats.atom(CHANNEL, ITEMS))
    titles = {e.id: e.title for e in parsed.entries}
    for item in ITEMS:
        if any(k in item.url for k in ("arabic", "hebrew", "emoji")):
            assert titles[item.id] == item.title


def test_json_feed_is_json_feed_1_1():
    data = json.loads(formats.json_feed(CHANNEL, ITEMS))
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["title"] == CHANNEL.title
    assert data["home_page_url"] == CHANNEL.home_url
    assert data["feed_url"] == "https://example.org/site/feed.json"
    assert [i["id"] for i in data["items"]] == [i.id for i in ITEMS]
    for entry, item in zip(data["items"], ITEMS, strict=True):
        # Required: id, and content_html or content_text. Dates are RFC 3339.
        assert isinstance(entry["id"], str) and entry["id"]
        assert entry["content_html"].startswith("<p>")
        assert entry["url"] == item.url
        assert datetime.fromisoformat(entry["date_published"]).utcoffset() == timedelta(0)
        assert datetime.fromisoformat(entry["date_modified"]) == item.updated_at.replace(tzinfo=UTC)
        assert entry["authors"] == [{"name": _clean(item.author)}]
        assert entry["title"] == _clean(item.title)
    by_id = {e["id"]: e for e in data["items"]}
    assert by_id[ITEMS[4].id]["title"] == HOSTILE["arabic"]
    assert by_id[ITEMS[6].id]["title"] == HOSTILE["emoji"]


def test_json_feed_survives_a_lone_surrogate():
    """Like the XML feeds ("any title or body yields a valid feed"): no crash, valid UTF-8."""
    item = _item("surrogate", "half a pair: \ud83d and on", 1)
    (entry,) = json.loads(formats.json_feed(CHANNEL, [item]).decode("utf-8"))["items"]
    assert (entry["id"], entry["title"]) == (item.id, "half a pair:  and on")
    assert feedparser.parse(formats.atom(CHANNEL, [item])).bozo == 0


@pytest.mark.parametrize("write", [formats.rss, formats.atom, formats.json_feed])
def test_same_input_gives_the_same_bytes(write):
    first = write(CHANNEL, ITEMS)
    copies = [formats.Item(**vars(i)) for i in ITEMS]
    assert write(CHANNEL, copies) == first
    assert write(CHANNEL, ITEMS) == first


@pytest.mark.parametrize("write", [formats.rss, formats.atom, formats.json_feed])
def test_feed_dates_come_from_the_items_not_the_clock(write):
    """The channel's date is the newest item's: an empty feed and aware datetimes included."""
    later = datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=3)))  # 09:00 UTC
    aware = [formats.Item(**{**vars(ITEMS[0]), "updated_at": later})]
    naive = [formats.Item(**{**vars(ITEMS[0]), "updated_at": datetime(2026, 3, 2, 9, 0)})]
    assert write(CHANNEL, aware) == write(CHANNEL, naive)
    # An empty feed is dated by its channel (never 1970).
    built = datetime(2026, 3, 5, 7, 30, tzinfo=UTC)
    empty = formats.Channel(**{**vars(CHANNEL), "updated_at": built})
    assert write(empty, []) == write(empty, [])
    if write is not formats.json_feed:
        parsed = feedparser.parse(write(empty, []))
        assert parsed.bozo == 0
        assert b"1970" not in write(empty, [])
        assert parsed.feed.updated_parsed[:5] == (2026, 3, 5, 7, 30)


def test_sitemap_escapes_and_parses():
    urls = [
        ("https://example.org/site/?a=1&b=2", None),
        ("https://example.org/site/posts/x/?q=<tag>&r=\"'", datetime(2026, 3, 2, 23, 30)),
    ]
    data = formats.sitemap(urls)
    assert b"&amp;" in data and b"?a=1&b" not in data
    root = ET.fromstring(data)  # noqa: S314
    assert root.tag == f"{SITEMAP}urlset"
    assert [n.findtext(f"{SITEMAP}loc") for n in root.findall(f"{SITEMAP}url")] == [
        u for u, _ in urls
    ]
    lastmods = [n.findtext(f"{SITEMAP}lastmod") for n in root.findall(f"{SITEMAP}url")]
    assert lastmods == [None, "2026-03-02"]
    assert formats.sitemap(urls) == data


def test_sitemap_index_escapes_and_parses():
    names = ["https://example.org/site/sitemaps/pages.xml?x=1&y=2", "https://e.org/s/posts-1.xml"]
    root = ET.fromstring(formats.sitemap_index(names))  # noqa: S314
    assert root.tag == f"{SITEMAP}sitemapindex"
    assert [n.text for n in root.iter(f"{SITEMAP}loc")] == names
