"""The site-wide audit log: admins only; a page at a time, newest first, in the same number of
SQL statements whatever the number of events; filtered in SQL by action, person and post, the
filters kept in the page links."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from editorial.models import Post, db
from editorial.operations.audit import record
from editorial.web.audit import PAGE_SIZE
from tests.helpers.queries import fresh_get, statements
from tests.helpers.review import draft

pytestmark = pytest.mark.csrf  # the desk signs in through its form

AUTHORS = ["writer", "ada", "adam"]


@pytest.mark.parametrize(
    "who,status", [(None, 302), ("writer", 403), ("rhea", 403), ("ada", 403), ("adam", 200)]
)
def test_only_admins_read_the_audit_log(desk, who, status):
    browser = desk(who)
    response = browser.get("/admin/audit")
    assert response.status_code == status
    if who is None:
        assert response.headers["Location"].startswith("/login")
        return
    # The desk's navigation links to it for admins only.
    assert ('href="/admin/audit"' in browser.get("/").get_data(as_text=True)) == (status == 200)


def _posts(people, start, stop):
    """Posts ``start``..``stop - 1``, ``Post 000`` and on, by each of AUTHORS in turn (only
    the writer's below 3)."""
    for i in range(start, stop):
        author = db.session.merge(people[AUTHORS[i % 3] if i >= 3 else "writer"])
        draft(author, edit=lambda c, i=i: c.update(slug=f"post-{i:03d}", title=f"Post {i:03d}"))


def _comments(people, count):
    """``count`` comments by Ada, about posts 3 and on in turn."""
    found = db.session.scalars(sa.select(Post).where(Post.slug >= "post-003").order_by(Post.slug))
    about = found.all()
    ada = db.session.merge(people["ada"])
    for i in range(count):
        post = about[i % len(about)]
        record("comment.added", actor=ada, post=post, revision=post.current_revision)
    db.session.commit()


ROW = re.compile(
    r'<td data-label="Who">([^<]*)</td>\s*<td data-label="What">([^<]*)(?:<small>[^<]*</small>)?'
    r'</td>\s*<td data-label="Post">(?:<a href="/posts/\d+/history">([^<]*)</a>)?</td>\s*'
    r'<td data-label="Revision">(\d*)</td>'
)


def _rows(page):
    """(who, what, post title, revision number) of each row."""
    return [(who, what.strip(), title, number) for who, what, title, number in ROW.findall(page)]


def _created(numbers):
    """The rows of ``Post NNN`` being created, newest first."""
    return [
        (
            {"writer": "Wren Writer", "ada": "Ada Author", "adam": "Adam Admin"}[
                AUTHORS[i % 3] if i >= 3 else "writer"
            ],
            "Created",
            f"Post {i:03d}",
            "1",
        )
        for i in sorted(numbers, reverse=True)
    ]


ACCOUNTS = [("The system", "Created an account", "", "")] * 5  # the desk's people


def test_the_audit_log_runs_the_same_queries_for_8_or_188_events_and_pages_them(desk, people):
    _posts(people, 0, 3)
    adam = desk("adam")
    fresh_get(adam, "/admin/audit")  # anything a first request does once
    with statements() as few:
        page = fresh_get(adam, "/admin/audit")
    assert _rows(page) == _created(range(3)) + ACCOUNTS
    assert "8 events." in page
    assert '<time datetime="' in page
    assert 'aria-label="Pages"' not in page

    _posts(people, 3, 63)
    _comments(people, 120)
    with statements() as many:
        page = fresh_get(adam, "/admin/audit")
    assert len(many) == len(few), "\n".join(many)
    comments = [("Ada Author", "Commented", f"Post {3 + i % 60:03d}", "1") for i in range(120)]
    everything = comments[::-1] + _created(range(63)) + ACCOUNTS
    assert _rows(page) == everything[:PAGE_SIZE]
    assert "188 events; page 1 of 4" in page
    assert 'href="/admin/audit?page=2" rel="next"' in page

    with statements() as later:
        page = fresh_get(adam, "/admin/audit?page=4")
    assert len(later) == len(few)
    assert _rows(page) == everything[3 * PAGE_SIZE :]
    assert 'href="/admin/audit?page=3" rel="prev"' in page
    assert "There is no page 5" in fresh_get(adam, "/admin/audit?page=5")
    fresh_get(adam, "/admin/audit?page=99999999999999999999999")  # an answer, not a 500


def test_the_audit_log_filters_by_action_person_and_post_in_its_links(desk, people):
    _posts(people, 0, 63)
    _comments(people, 120)
    adam = desk("adam")

    page = fresh_get(adam, "/admin/audit?action=post.created")
    assert _rows(page) == _created(range(63))[:PAGE_SIZE]
    assert "63 events match; page 1 of 2" in page
    assert '<option value="post.created" selected>Created</option>' in page
    assert 'href="/admin/audit?page=2&amp;action=post.created" rel="next"' in page
    page = fresh_get(adam, "/admin/audit?page=2&action=post.created")
    assert _rows(page) == _created(range(63))[PAGE_SIZE:]

    page = fresh_get(adam, "/admin/audit?actor=ADA@example.com&action=post.created")
    assert _rows(page) == _created(range(4, 63, 3))
    page = fresh_get(adam, "/admin/audit?actor=ada%40example.com")
    assert "140 events match; page 1 of 3" in page
    assert 'href="/admin/audit?page=2&amp;actor=ada@example.com" rel="next"' in page
    assert "No event matches" in fresh_get(adam, "/admin/audit?actor=nobody@example.com")

    post = db.session.scalar(sa.select(Post).where(Post.slug == "post-004"))
    page = fresh_get(adam, f"/admin/audit?post={post.id}&actor=ada@example.com")
    assert _rows(page) == [("Ada Author", "Commented", "Post 004", "1")] * 2 + _created([4])
    assert f'value="{post.id}"' in page

    # An unknown action or a post number that is no number shows everything.
    assert "188 events; page 1" in fresh_get(adam, "/admin/audit?action=post.nonsense&post=x")
    assert "No event matches" in fresh_get(adam, "/admin/audit?post=99999999999999999999999")
