"""The review queue at size: a page at a time, the same number of SQL statements whatever the
number of posts in review, filtered in SQL."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from editorial.models import Post, db
from editorial.operations import posts, review
from editorial.web.review import QUEUE_PAGE_SIZE
from tests.helpers.queries import statements
from tests.helpers.review import FRAMEWORKS, draft, queue_rows, revise_and_resubmit

pytestmark = pytest.mark.csrf  # the desk signs in through its form


def _in_review(people, start, stop, short=None):
    """Posts ``start``..``stop - 1`` in review: even ones by Wren (tag ``even``), odd by Ada;
    ``short`` maps a post's number to how many of its verdicts are cut short (a warning each)."""
    for i in range(start, stop):
        author = db.session.merge(people["writer"] if i % 2 == 0 else people["ada"])

        def edit(content, i=i):
            content.update(
                slug=f"post-{i:03d}",
                title=f"Post {i:03d}",
                tags=["python", "even" if i % 2 == 0 else "odd"],
            )
            for entry in content["entries"][: (short or {}).get(i, 0)]:
                entry["verdict"] = "Solid and polished."

        post = draft(author, FRAMEWORKS, edit=edit)
        posts.submit_for_review(post, author)
        db.session.commit()


def _titles(page):
    return [row["title"] for row in queue_rows(page)]


def _get(rob, query=""):
    db.session.remove()  # each request starts from an empty session, as it does in production
    response = rob.get("/review/" + query)
    assert response.status_code == 200
    return response.text


def test_the_queue_runs_the_same_queries_for_5_or_60_posts_and_pages_them(desk, people):
    _in_review(people, 0, 5)
    first = db.session.scalar(sa.select(Post).filter_by(slug="post-000"))
    review.claim(first, db.session.merge(people["rhea"]), 30)
    db.session.commit()
    rob = desk("rob")
    _get(rob)  # anything a first request does once
    with statements() as few:
        page = _get(rob)
    assert _titles(page) == [f"Post {i:03d}" for i in range(5)]
    assert queue_rows(page)[0]["Reviewer"].startswith("Rhea Reviewer until")
    assert 'aria-label="Pages"' not in page

    _in_review(people, 5, 60)
    for i in range(1, 30, 3):  # more claims on the page, by more reviewers
        post = db.session.scalar(sa.select(Post).filter_by(slug=f"post-{i:03d}"))
        review.claim(post, db.session.merge(people["adam" if i % 2 else "rhea"]), 30)
    db.session.commit()
    with statements() as many:
        page = _get(rob)
    assert len(many) == len(few), "\n".join(many)
    assert _titles(page) == [f"Post {i:03d}" for i in range(QUEUE_PAGE_SIZE)]
    assert "60 posts in review" in page
    assert '<nav aria-label="Pages"' in page
    assert 'href="/review/?page=2"' in page

    with statements() as second:
        page = _get(rob, "?page=2")
    assert len(second) <= len(few)  # no claim on this page: no claimant's roles to load
    assert _titles(page) == [f"Post {i:03d}" for i in range(QUEUE_PAGE_SIZE, 60)]
    assert _titles(_get(rob, "?page=3")) == []
    _get(rob, "?page=99999999999999999999999")  # past 64 bits: an answer, not a 500


def test_the_queue_filters_by_author_and_tag_across_pages(desk, people):
    _in_review(people, 0, 60)
    rob = desk("rob")
    ada = people["ada"].id

    page = _get(rob, f"?author={ada}")
    assert _titles(page) == [f"Post {i:03d}" for i in range(1, 60, 2)]
    assert "30 posts in review match" in page
    assert _titles(_get(rob, "?tag=EVEN")) == [f"Post {i:03d}" for i in range(0, 60, 2)]
    assert _titles(_get(rob, f"?author={ada}&tag=even")) == []
    assert _titles(_get(rob, "?tag=eve")) == []  # a tag is matched whole, not as a substring
    assert len(_titles(_get(rob, "?tag=python"))) == QUEUE_PAGE_SIZE
    page = _get(rob, "?tag=python&page=2")
    assert _titles(page) == [f"Post {i:03d}" for i in range(QUEUE_PAGE_SIZE, 60)]
    assert 'href="/review/?page=1&amp;tag=python"' in page  # the filter kept with the page

    # the filter's choices come from the posts in review, not only from the page shown
    tags = re.search(r'<select id="tag-filter".*?</select>', page, re.S).group(0)
    assert re.findall(r"<option[^>]*>([^<]+)</option>", tags) == [
        "Any tag",
        "even",
        "odd",
        "python",
    ]
    authors = re.search(r'<select id="author-filter".*?</select>', page, re.S).group(0)
    assert re.findall(r"<option[^>]*>([^<]+)</option>", authors) == [
        "Everyone",
        "Ada Author",
        "Wren Writer",
    ]


def _tag_choices(page):
    tags = re.search(r'<select id="tag-filter".*?</select>', page, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]+)</option>", tags)[1:]


def test_the_tag_filter_follows_the_queue_as_posts_come_and_go(desk, people):
    # Each app remembers the tags of the revisions it has seen in review: a post that leaves
    # the queue takes its tags along, and a new revision brings its own.
    _in_review(people, 0, 2)
    rob = desk("rob")
    assert _tag_choices(_get(rob)) == ["even", "odd", "python"]

    ada = db.session.merge(people["ada"])
    odd = db.session.scalar(sa.select(Post).filter_by(slug="post-001"))
    posts.withdraw(odd, ada)
    db.session.commit()
    assert _tag_choices(_get(rob)) == ["even", "python"]

    odd = db.session.scalar(sa.select(Post).filter_by(slug="post-001"))
    revise_and_resubmit(odd, lambda content: content.update(tags=["Rust"]))
    assert _tag_choices(_get(rob)) == ["even", "python", "Rust"]


def _query(href):
    from urllib.parse import parse_qs, urlsplit

    return {k: v[0] for k, v in parse_qs(urlsplit(html.unescape(href)).query).items()}


def test_the_queue_sorts_by_waiting_time_findings_or_author_as_its_url_says(desk, people):
    _in_review(people, 0, 60, short={10: 1, 20: 2})
    rob = desk("rob")
    oldest = [f"Post {i:03d}" for i in range(60)]

    page = _get(rob)
    assert _titles(page) == oldest[:QUEUE_PAGE_SIZE]
    assert "waiting longest first" in page
    assert re.search(r'<option value="oldest"\s+selected>Waiting longest</option>', page)

    page = _get(rob, "?sort=newest")
    assert _titles(page) == oldest[::-1][:QUEUE_PAGE_SIZE]
    assert "waiting least first" in page
    assert re.search(r'<option value="newest"\s+selected>', page)

    # The most findings first (then waiting longest among equals).
    assert _titles(_get(rob, "?sort=findings"))[:3] == ["Post 020", "Post 010", "Post 000"]
    rows = queue_rows(_get(rob, "?sort=findings"))
    assert [r["Findings"] for r in rows[:3]] == ["2 warnings", "1 warning", "0 warnings"]

    # By author's name: Ada's posts (the odd ones), then Wren's, each waiting longest first.
    by_author = [t for t in oldest if int(t[-3:]) % 2] + [t for t in oldest if not int(t[-3:]) % 2]
    assert _titles(_get(rob, "?sort=author")) == by_author[:QUEUE_PAGE_SIZE]
    assert _titles(_get(rob, "?sort=author&page=2")) == by_author[QUEUE_PAGE_SIZE:]

    # An unknown order is the default one, not an error page, and the URL it makes is clean.
    page = _get(rob, "?sort=%3Cscript%3E")
    assert _titles(page) == oldest[:QUEUE_PAGE_SIZE]
    assert "<script>" not in page
    assert re.search(r'<option value="oldest"\s+selected>', page)
    assert _query(re.search(r'href="([^"]+)" rel="next"', page).group(1)) == {"page": "2"}


def test_the_queue_keeps_its_filters_and_order_in_every_link(desk, people):
    _in_review(people, 0, 60)
    rob = desk("rob")
    wren = people["writer"].id
    _get(rob)  # anything a first request does once
    with statements() as plain:
        _get(rob)
    with statements() as narrowed:
        page = _get(rob, "?sort=newest&tag=python")
    assert len(narrowed) == len(plain), "\n".join(narrowed)  # filtered and sorted in SQL
    assert _titles(page) == [f"Post {i:03d}" for i in range(59, 59 - QUEUE_PAGE_SIZE, -1)]
    assert re.search(r"<option\s+selected>python</option>", page)
    nxt = re.search(r'href="([^"]+)" rel="next"', page).group(1)
    assert _query(nxt) == {"page": "2", "tag": "python", "sort": "newest"}

    page = _get(rob, f"?author={wren}&sort=newest&page=2")
    assert "30 posts in review match" not in page  # 30 fit on one page: page 2 is past the last
    assert "There is no page 2." in page
    first = re.search(r'There is no page 2\. <a href="([^"]+)"', page).group(1)
    assert _query(first) == {"author": str(wren), "sort": "newest"}

    page = _get(rob, f"?author={wren}&tag=odd&sort=author")
    assert "Nothing in review matches." in page
    everything = re.search(r'Nothing in review matches\. <a href="([^"]+)"', page).group(1)
    assert _query(everything) == {"sort": "author"}  # the filters dropped, the order kept
