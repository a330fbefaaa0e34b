"""The incremental build against the full rebuild (`editorial site rebuild`), on each database:
publishing one more post rewrites only what lists it, and both builds make the same site."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import lxml.html
import pytest

from editorial.models import db, utcnow
from editorial.operations import outbox
from editorial.site import feeds as sitefeeds
from editorial.site import pages as sitepages
from editorial.tasks import publishing as publisher
from tests.helpers.publisher import (
    FEEDS,
    approve,
    assert_site_whole,
    edit,
    feed_ids,
    files,
    mtimes,
    page_path,
)

# The app writes the site to ``site``, at SITE_URL, and sends jobs to a private queue.
pytestmark = pytest.mark.publisher

# --- incremental builds and the full rebuild --------------------------------------------------


@pytest.fixture
def small_pages(monkeypatch):
    """Archive pages of 3 posts, so that a handful of posts fills several."""
    monkeypatch.setattr(sitepages, "PAGE_SIZE", 3)
    return 3


def test_publishing_one_more_post_rewrites_only_what_lists_it(app, publish, site, small_pages):
    for n in range(1, 8):  # blocks of 3: 1-3 archived (page 1), 4-6 and 7 on the home page
        publish(n)
    before, touched = files(site), mtimes(site)
    post = publish(8)
    after = files(site)

    changed = {name for name in after if before.get(name) != after[name]}
    slug = post.public_slug
    assert changed == {
        f"posts/{slug}/index.html",
        "index.html",
        "feed.rss",
        "feed.atom",
        "feed.json",
        "sitemaps/posts-1.xml",
        "sitemaps/pages.xml",
        *(f"tags/python/{name}" for name in ("index.html", *FEEDS)),
        *(f"tags/series-8/{name}" for name in ("index.html", *FEEDS)),
    }
    assert set(before) <= set(after)
    untouched = {n: t for n, t in mtimes(site).items() if n in before and n not in changed}
    assert untouched == {n: touched[n] for n in untouched}, "unchanged files were rewritten"
    assert "page/1/index.html" in untouched
    assert "posts/python-web-frameworks-part-1/index.html" in untouched


def _rebuild_matches(runner, site: Path, posts: int) -> None:
    incremental = files(site)
    assert_site_whole(site)
    result = runner.invoke(args=["site", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Writing posts" in result.stderr
    assert f"Rebuilt {posts} post page(s)" in result.stdout
    assert site.is_symlink()
    rebuilt = files(site)
    assert sorted(rebuilt) == sorted(incremental)
    different = sorted(name for name in rebuilt if rebuilt[name] != incremental[name])
    assert different == [], f"the rebuild and the incremental site differ in {different}"


def test_the_full_rebuild_equals_the_incremental_site(app, publish, runner, site, small_pages):
    for n in range(1, 8):  # three archive pages
        publish(n)
    _rebuild_matches(runner, site, 7)


def test_the_full_rebuild_equals_the_site_after_corrections_and_retractions(
    app, publish, writer, reviewer, runner, site, small_pages
):
    posts = [publish(n) for n in range(1, 4)]
    edit(posts[0], correction="A corrected verdict.", tags=["python", "corrected"])
    job = approve(posts[0], reviewer)
    assert publisher.run(job.id, now=utcnow() + timedelta(days=2))
    job = outbox.request_retract(posts[1], reviewer)
    db.session.commit()
    assert publisher.run(job.id)
    _rebuild_matches(runner, site, 3)
    db.session.add_all([writer, reviewer])  # the rebuild let go of everything it loaded
    # Jobs after a rebuild write into the new build.
    post = publish(4)
    assert page_path(site, post).is_file()
    assert site.resolve() != site
    assert_site_whole(site)


@pytest.mark.parametrize("processes", [1, 2])
def test_the_full_rebuild_equals_the_site_over_several_sitemap_chunks(
    app, publish, reviewer, runner, site, small_pages, monkeypatch, processes
):
    # Sitemap chunks of two archive pages: the rebuild's processes share out four chunks.
    monkeypatch.setattr(sitefeeds, "SITEMAP_CHUNK", 2 * small_pages)
    monkeypatch.setitem(app.config, "SITE_REBUILD_PROCESSES", processes)
    posts = [publish(n) for n in range(1, 21)]
    job = outbox.request_retract(posts[7], reviewer)  # chunk 2 keeps a gap
    db.session.commit()
    assert publisher.run(job.id)
    assert len(files(site / "sitemaps")) == 1 + 4  # pages.xml and four chunks
    _rebuild_matches(runner, site, 20)


def test_the_pages_sitemap_lists_only_tags_with_a_live_post(app, publish, reviewer, site):
    posts = [publish(n) for n in range(1, 4)]
    job = outbox.request_retract(posts[1], reviewer)
    db.session.commit()
    assert publisher.run(job.id)
    sitemap = (site / "sitemaps" / "pages.xml").read_text()
    assert "tags/python/" in sitemap
    assert "tags/series-1/" in sitemap and "tags/series-3/" in sitemap
    assert "tags/series-2/" not in sitemap


def test_a_tag_written_two_ways_is_named_the_same_by_both_builds(app, publish, runner, site):
    publish(1, tags=["Python"])
    publish(2, tags=["python"])  # the same tag page: tags/python/
    _rebuild_matches(runner, site, 2)


def _listed(path: Path) -> tuple[list[str], dict[str, str]]:
    """The post addresses a list page shows, and its pager's links by their text."""
    page = lxml.html.fromstring(path.read_bytes())
    posts = [a.rsplit("/", 2)[-2] for a in page.xpath("//ul[@class='cards']//h2/a/@href")]
    pager = {a.text: a.get("href") for a in page.xpath("//nav[@class='pager']/a")}
    return posts, pager


def test_with_few_posts_there_is_no_older_link_and_no_archive_page(app, publish, site, small_pages):
    for n in range(1, 7):  # two blocks of 3: both on the home page
        publish(n)
    posts, pager = _listed(site / "index.html")
    assert posts == [f"python-web-frameworks-part-{n}" for n in range(6, 0, -1)]
    assert pager == {}
    assert not (site / "page").exists()


def test_archive_pages_stay_linked_when_a_new_page_starts(app, publish, site, small_pages):
    for n in range(1, 11):  # blocks 1-3 and 4-6 archived, 7-9 and 10 on the home page
        publish(n)
    first = lxml.html.fromstring((site / "page" / "1" / "index.html").read_bytes())
    # The heading names no total: older pages are not rewritten as the site grows.
    assert first.findtext(".//h1") == "Archive, page 1"
    home, home_pager = _listed(site / "index.html")
    one, one_pager = _listed(site / "page" / "1" / "index.html")
    two, two_pager = _listed(site / "page" / "2" / "index.html")
    assert home_pager == {"Older": "page/2/"}
    assert two_pager == {"Newer": "../../", "Older": "../1/"}
    assert one_pager == {"Newer": "../2/"}
    assert not (site / "page" / "3").exists()
    # Every live post is listed once: no archive page repeats the home page.
    listed = home + two + one
    assert sorted(listed) == sorted(f"python-web-frameworks-part-{n}" for n in range(1, 11))


def test_the_rebuild_of_an_empty_site_is_a_site(app, runner, site):
    result = runner.invoke(args=["site", "rebuild"])
    assert result.exit_code == 0, result.output
    assert (site / "index.html").is_file()
    assert feed_ids(site / "feed.atom") == []
    assert_site_whole(site)


def test_a_rebuild_removes_the_builds_before_it(app, publish, runner, site):
    publish(1)
    for _ in range(2):  # the first moves the plain folder aside, the second replaces a build
        result = runner.invoke(args=["site", "rebuild"])
        assert result.exit_code == 0, result.output
    builds = site.parent / f".{site.name}-builds"
    assert list(builds.iterdir()) == [site.resolve()]
    assert_site_whole(site)
