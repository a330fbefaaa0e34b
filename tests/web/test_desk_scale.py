"""The desk home at size: a page at a time, the same number of SQL statements whatever the
number of the writer's posts, filtered in SQL."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from editorial.models import db
from editorial.operations import posts
from editorial.web.desk import PAGE_SIZE
from tests.helpers.queries import statements
from tests.helpers.review import FRAMEWORKS, draft

pytestmark = pytest.mark.csrf  # the desk signs in through its form


def _own(people, start, stop):
    """The writer's posts ``start``..``stop - 1``; the even ones sent to review. Each is
    edited later than the one before, so the desk (newest first) lists them in reverse."""
    writer = db.session.merge(people["writer"])
    for i in range(start, stop):

        def edit(content, i=i):
            content.update(slug=f"post-{i:03d}", title=f"Post {i:03d}")

        post = draft(writer, FRAMEWORKS, edit=edit)
        if i % 2 == 0:
            posts.submit_for_review(post, writer)
            db.session.commit()


def _titles(page):
    return re.findall(r'<td><a href="[^"]+">(Post \d+)</a>', page)


def _get(browser, query=""):
    db.session.remove()  # each request starts from an empty session, as it does in production
    response = browser.get("/" + query)
    assert response.status_code == 200
    return response.text


def _newest_first(numbers):
    return [f"Post {i:03d}" for i in sorted(numbers, reverse=True)]


def test_the_desk_runs_the_same_queries_for_5_or_60_posts_and_pages_them(desk, people):
    _own(people, 0, 5)
    wren = desk("writer")
    _get(wren)  # anything a first request does once
    with statements() as few:
        page = _get(wren)
    assert _titles(page) == _newest_first(range(5))
    assert 'aria-label="Pages"' not in page

    _own(people, 5, 60)
    with statements() as many:
        page = _get(wren)
    assert len(many) == len(few), "\n".join(many)
    assert _titles(page) == _newest_first(range(60))[:PAGE_SIZE]
    assert "60 posts; page 1 of 2" in page
    assert '<nav aria-label="Pages"' in page
    assert 'href="/?page=2"' in page

    with statements() as second:
        page = _get(wren, "?page=2")
    assert len(second) == len(few)
    assert _titles(page) == _newest_first(range(60))[PAGE_SIZE:]
    assert _titles(_get(wren, "?page=3")) == []


def test_the_desk_filters_by_state_across_pages(desk, people):
    _own(people, 0, 60)
    wren = desk("writer")
    page = _get(wren, "?state=in_review")
    assert _titles(page) == _newest_first(range(0, 60, 2))
    assert "30 posts." in page
    page = _get(wren, "?state=draft")
    assert _titles(page) == _newest_first(range(1, 60, 2))
    assert _titles(_get(wren, "?state=published")) == []


def _query(href):
    return {k: v[0] for k, v in parse_qs(urlsplit(html.unescape(href)).query).items()}


def test_the_desk_sorts_untouched_longest_first_and_keeps_its_url_state(desk, people):
    _own(people, 0, 60)
    wren = desk("writer")
    _get(wren)  # anything a first request does once
    with statements() as plain:
        _get(wren)
    with statements() as sorted_:
        page = _get(wren, "?sort=oldest&state=in_review")
    assert len(sorted_) == len(plain), "\n".join(sorted_)  # filtered and sorted in SQL
    assert _titles(page) == [f"Post {i:03d}" for i in range(0, 60, 2)]
    assert "30 posts; untouched longest first." in page
    assert re.search(r'<option value="oldest"\s+selected>Untouched longest</option>', page)

    page = _get(wren, "?sort=oldest")
    assert _titles(page) == [f"Post {i:03d}" for i in range(PAGE_SIZE)]
    nxt = re.search(r'href="([^"]+)" rel="next">Newer</a>', page).group(1)
    assert _query(nxt) == {"page": "2", "sort": "oldest"}
    assert _titles(_get(wren, "?sort=oldest&page=2")) == [
        f"Post {i:03d}" for i in range(PAGE_SIZE, 60)
    ]

    # An unknown order is the default one; the filter is kept in the pager's links.
    page = _get(wren, "?sort=sideways&state=draft")
    assert _titles(page) == _newest_first(range(1, 60, 2))
    assert re.search(r'<option value="recent"\s+selected>Last edited</option>', page)
    page = _get(wren, "?state=draft&page=2")
    assert "There is no page 2." in page
    first = re.search(r'There is no page 2\. <a href="([^"]+)"', page).group(1)
    assert _query(first) == {"state": "draft"}
    page = _get(wren, "?state=published&sort=oldest")
    everything = re.search(r'<a href="([^"]+)">Show all</a>', page)
    assert _query(everything.group(1)) == {"sort": "oldest"}  # the filter dropped, order kept
