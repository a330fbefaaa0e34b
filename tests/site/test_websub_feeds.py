"""WebSub discovery: with WEBSUB_HUBS set, every feed of the site names its hubs and itself
(RSS and Atom as ``rel="hub"`` and ``rel="self"`` links, JSON Feed under ``hubs``), and the
desk's /site/ server sends the same as Link headers (which WebSub requires of the response)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 - parses the site's own output
from pathlib import Path

import pytest
import requests

from editorial.config import ConfigError, from_environment
from tests.conftest import SITE_URL

pytestmark = pytest.mark.publisher

ATOM = "{http://www.w3.org/2005/Atom}"
HUBS = ("https://hub.example.net/", "https://websub.example.org/hub?x=1&y=2")


def _feeds(site: Path) -> list[Path]:
    found = sorted(site.resolve().rglob("feed.*"))
    assert len(found) == 9  # the site's, and those of the post's two tags
    return found


def _advertised(path: Path) -> tuple[list[str], list[str]]:
    """The hubs and the self addresses a feed file names."""
    if path.suffix == ".json":
        data = json.loads(path.read_bytes())
        hubs = data.get("hubs", [])
        assert all(hub["type"] == "WebSub" for hub in hubs)
        return [hub["url"] for hub in hubs], [data["feed_url"]]
    root = ET.fromstring(path.read_bytes())  # noqa: S314 - our own output
    where = root.find("channel") if root.tag == "rss" else root
    links = where.findall(f"{ATOM}link")
    return (
        [link.get("href") for link in links if link.get("rel") == "hub"],
        [link.get("href") for link in links if link.get("rel") == "self"],
    )


def test_hubs_are_read_from_the_environment(tmp_path, monkeypatch):
    assert from_environment(str(tmp_path))["WEBSUB_HUBS"] == ()
    monkeypatch.setenv(
        "WEBSUB_HUBS", "https://a.example/hub, https://b.example/ https://a.example/hub"
    )
    assert from_environment(str(tmp_path))["WEBSUB_HUBS"] == (
        "https://a.example/hub",
        "https://b.example/",
    )
    monkeypatch.setenv("WEBSUB_HUBS", "hub.example.net")
    with pytest.raises(ConfigError, match="WEBSUB_HUBS"):
        from_environment(str(tmp_path))


def test_every_feed_names_its_hubs_and_itself(app, site, publish):
    app.config["WEBSUB_HUBS"] = HUBS
    publish(1)
    for path in _feeds(site):
        address = SITE_URL + path.resolve().relative_to(site.resolve()).as_posix()
        assert _advertised(path) == (list(HUBS), [address]), path


def test_without_hubs_no_feed_names_one(app, site, publish):
    publish(1)
    for path in _feeds(site):
        hubs, self_links = _advertised(path)
        assert hubs == [] and len(self_links) == 1, path
        if path.suffix == ".json":
            assert "hubs" not in json.loads(path.read_bytes())


def test_the_desk_serves_each_feed_with_its_hubs_and_itself_as_link_headers(app, site, publish):
    app.config["WEBSUB_HUBS"] = HUBS
    publish(1)
    client = app.test_client()
    for path in ("feed.atom", "feed.rss", "feed.json", "tags/python/feed.atom"):
        response = client.get(f"/site/{path}")
        assert response.status_code == 200
        # Parsed as a subscriber's client parses them.
        links = requests.utils.parse_header_links(response.headers["Link"])
        assert [link["url"] for link in links if link["rel"] == "hub"] == list(HUBS)
        assert [link["url"] for link in links if link["rel"] == "self"] == [SITE_URL + path]
    assert "Link" not in client.get("/site/").headers
    app.config["WEBSUB_HUBS"] = ()
    assert "Link" not in client.get("/site/feed.atom").headers
