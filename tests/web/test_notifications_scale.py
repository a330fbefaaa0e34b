"""Notifications at size: a page at a time, the same number of SQL statements whatever the
number of notifications, and the header's unread count in one query."""

from __future__ import annotations

import re

import pytest

from editorial.models import db
from editorial.operations.notifications import notify
from editorial.web.notifications import PAGE_SIZE
from tests.helpers.queries import fresh_get, statements
from tests.helpers.review import draft

pytestmark = pytest.mark.csrf  # the desk signs in through its form


def _notify(people, start, stop):
    """Notes ``start``..``stop - 1`` to Ada, newer each: every third about no post, the others
    about a post of Ada's own or of Wren's (a post each, so each row has its own)."""
    ada = db.session.merge(people["ada"])
    for i in range(start, stop):
        post = None
        if i % 3:
            author = ada if i % 3 == 1 else db.session.merge(people["writer"])
            post = draft(author, edit=lambda c, i=i: c.update(slug=f"post-{i:03d}"))
        notify(ada, "queue" if i % 3 == 2 else "decision", f"Note {i:03d}", post)
        db.session.commit()


def _messages(page):
    return re.findall(r"(Note \d+)", page)


def _newest_first(numbers):
    return [f"Note {i:03d}" for i in sorted(numbers, reverse=True)]


def _unread_counts(seen):
    return [s for s in seen if "read_at IS NULL" in s and "count(" in s.lower()]


def test_notifications_run_the_same_queries_for_5_or_80_and_page_them(desk, people):
    _notify(people, 0, 5)
    ada = desk("ada")
    fresh_get(ada, "/notifications/")  # anything a first request does once
    with statements() as few:
        page = fresh_get(ada, "/notifications/")
    assert _messages(page) == _newest_first(range(5))
    assert 'aria-label="Pages"' not in page
    assert len(_unread_counts(few)) == 1, "\n".join(few)

    _notify(people, 5, 80)
    with statements() as many:
        page = fresh_get(ada, "/notifications/")
    assert len(many) == len(few), "\n".join(many)
    assert len(_unread_counts(many)) == 1
    assert _messages(page) == _newest_first(range(80))[:PAGE_SIZE]
    assert "80 notifications; page 1 of 2" in page
    assert 'aria-label="80 unread"' in page
    assert 'href="/notifications/?page=2" rel="next"' in page

    with statements() as second:
        page = fresh_get(ada, "/notifications/?page=2")
    assert len(second) == len(few)
    assert _messages(page) == _newest_first(range(80))[PAGE_SIZE:]
    assert 'href="/notifications/?page=1" rel="prev"' in page
    assert "There is no page 3" in fresh_get(ada, "/notifications/?page=3")
    fresh_get(ada, "/notifications/?page=99999999999999999999999")  # an answer, not a 500


def test_each_note_links_where_its_kind_and_post_say(desk, people):
    _notify(people, 0, 3)
    page = fresh_get(desk("ada"), "/notifications/")
    links = dict(
        (message, href) for href, message in re.findall(r'<a href="([^"]+)">(Note \d+)</a>', page)
    )
    assert "Note 000" not in links  # about no post: no link
    assert re.fullmatch(r"/posts/\d+/edit", links["Note 001"])  # Ada's own post: the editor
    assert re.fullmatch(r"/review/\d+", links["Note 002"])  # a post in the queue: its review
