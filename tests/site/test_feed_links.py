"""Feeds a reader's software takes without a warning: each linked once per page (the site's on
every page, a tag's on its tag page), every one parsing strictly, and no epoch date."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 - parses the site's own output
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import lxml.html
import pytest

from editorial.models import db, utcnow
from editorial.operations import outbox
from editorial.tasks import publishing as publisher
from tests.conftest import SITE_URL

pytestmark = pytest.mark.publisher

SITE_FEEDS = {f"{SITE_URL}feed.{kind}" for kind in ("atom", "rss", "json")}


def _address(site: Path, page: Path) -> str:
    return SITE_URL + page.relative_to(site).as_posix().removesuffix("index.html")


def test_each_page_links_the_site_feeds_once_and_a_tag_page_its_own(demo_site):
    site = demo_site.root.resolve()
    pages = demo_site.html_pages()
    tag_pages = [p for p in pages if p.relative_to(site).parts[0] == "tags"]
    assert len(tag_pages) >= 4
    for page in pages:
        address = _address(site, page)
        links = lxml.html.fromstring(page.read_bytes()).xpath("//head/link[@rel='alternate']")
        hrefs = Counter(urljoin(address, link.get("href")) for link in links)
        assert all(n == 1 for n in hrefs.values()), (address, hrefs)
        expected = set(SITE_FEEDS)
        if page in tag_pages:
            expected |= {f"{address}feed.{kind}" for kind in ("atom", "rss", "json")}
        assert set(hrefs) == expected, address
        for link in links:
            assert link.get("type") in {
                "application/atom+xml",
                "application/rss+xml",
                "application/feed+json",
            }
            assert link.get("href").endswith(
                {"application/atom+xml": ".atom", "application/rss+xml": ".rss"}.get(
                    link.get("type"), ".json"
                )
            )
    for page in tag_pages:  # and each feed linked from its page exists
        for kind in ("atom", "rss", "json"):
            assert (page.parent / f"feed.{kind}").is_file()


def test_every_feed_parses_strictly_and_carries_no_epoch_date(demo_site):
    site = demo_site.root.resolve()
    feeds = sorted(site.rglob("feed.rss")) + sorted(site.rglob("feed.atom"))
    assert len(feeds) >= 10
    for path in feeds:
        data = path.read_bytes()
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        ET.fromstring(data)  # noqa: S314 - strict XML: no recovery
        assert parsed.entries, path
        # every date the feed carries is a real one, not the epoch. (The feed's text may hold
        # "1970" anywhere else: a content hash or a score is not a date.)
        dates = [dict.get(parsed.feed, "updated_parsed")] + [
            dict.get(entry, key)  # dict's own get: no fallback from one date to the other
            for entry in parsed.entries
            for key in ("published_parsed", "updated_parsed")
        ]
        dated = [stamp for stamp in dates if stamp is not None]
        assert len(dated) > len(parsed.entries), path  # the feed and each entry are dated
        assert all(stamp.tm_year > 1970 for stamp in dated), path
    for path in sorted(site.rglob("feed.json")):
        document = json.loads(path.read_bytes())
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        assert document["items"], path


def _feed_dates(site: Path) -> tuple[str, str]:
    rss = feedparser.parse((site / "feed.rss").read_bytes())
    atom = feedparser.parse((site / "feed.atom").read_bytes())
    assert rss.bozo == 0 and atom.bozo == 0
    assert rss.entries == [] and atom.entries == []
    return rss.feed.updated, atom.feed.updated


def test_an_empty_feed_is_dated_by_the_site_not_1970(app, publish, writer, reviewer, runner, site):
    result = runner.invoke(args=["site", "rebuild"])  # a site that never had a post
    assert result.exit_code == 0, result.output
    rss_date, atom_date = _feed_dates(site)
    assert "1970" not in rss_date + atom_date
    assert feedparser.parse((site / "feed.atom").read_bytes()).feed.updated_parsed[0] >= 2026
    db.session.add_all([writer, reviewer])  # the rebuild let go of everything it loaded

    post = publish(1, now=utcnow() + timedelta(days=400))
    job = outbox.request_retract(post, reviewer)
    db.session.commit()
    assert publisher.run(job.id)  # the last post leaves the site: the feeds are empty again
    rss_date, atom_date = _feed_dates(site)
    assert "1970" not in rss_date + atom_date
    updated = feedparser.parse((site / "feed.atom").read_bytes()).feed.updated_parsed
    assert updated[:3] == post.published_at.timetuple()[:3]
    incremental = (site / "feed.atom").read_bytes(), (site / "feed.rss").read_bytes()
    result = runner.invoke(args=["site", "rebuild"])  # both builds date it alike
    assert result.exit_code == 0, result.output
    assert ((site / "feed.atom").read_bytes(), (site / "feed.rss").read_bytes()) == incremental


def test_a_feed_entry_carries_the_disclosure_and_the_evidence(demo_site):
    post = demo_site.posts["backend-frameworks-2026"]
    content = post.published_revision.content
    items = json.loads((demo_site.root / "feed.json").read_bytes())["items"]
    (item,) = [i for i in items if i["id"] == post.feed_id]
    html = lxml.html.fromstring(item["content_html"])
    assert html.xpath("//h2")[0].text_content() == "Disclosure"
    evidence = [
        link for e in content["entries"] for n in e["criteria"] for link in n.get("evidence", [])
    ]
    assert evidence and set(evidence) <= set(html.xpath("//a/@href"))
