"""A post's history at size: hundreds of revisions and over a thousand audit events, each list a
page at a time with a page number of its own, in the same number of SQL statements."""

from __future__ import annotations

import copy
import re

import pytest
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.models import Revision, db
from editorial.operations import posts
from editorial.operations.audit import record
from editorial.web.history import EVENTS_PAGE_SIZE, REVISIONS_PAGE_SIZE
from tests.helpers.queries import fresh_get, statements
from tests.helpers.review import draft

pytestmark = pytest.mark.csrf  # the desk signs in through its form

ACTORS = ["writer", "rhea", "rob", "adam", None]  # None: the system


def _revise(post, start, stop):
    """Revisions ``start``..``stop - 1`` of ``post``, each with its own title."""
    for number in range(start, stop):
        content = copy.deepcopy(post.current_revision.content)
        content["title"] = f"Title {number}"
        posts.save_revision(post, parse_post(content), post.author, base_revision=number - 1)
        db.session.commit()


def _events(people, post, start, stop, actors=ACTORS):
    """Events ``start``..``stop - 1`` about ``post``: by each of ``actors`` in turn, each
    naming a revision in turn, the comment saying which event it is."""
    revisions = db.session.scalars(
        sa.select(Revision).where(Revision.post_id == post.id).order_by(Revision.number)
    ).all()
    for i in range(start, stop):
        who = actors[i % len(actors)]
        record(
            "post.request_changes" if i % 2 else "comment.added",
            actor=db.session.merge(people[who]) if who else None,
            post=post,
            revision=revisions[i % len(revisions)],
            details={"comment": f"Event {i:04d}"},
        )
    db.session.commit()


def _revisions(page):
    return [int(n) for n in re.findall(r">Revision (\d+)</a>", page)]


def _audit(page):
    """The audit table's rows: (comment, who, what, revision number)."""
    rows = re.findall(
        r'<td data-label="Who">([^<]*)</td>\s*<td data-label="What">([^<]*)(?:<small>.*?</small>)?'
        r'</td>\s*<td data-label="Revision">(\d*)</td>\s*<td data-label="Comment">([^<]*)</td>',
        page.split('id="audit-heading"')[1],
    )
    return [(comment, who, what.strip(), number) for who, what, number, comment in rows]


def _comments(page):
    return [row[0] for row in _audit(page) if row[0]]


def _newest_first(numbers):
    return [f"Event {i:04d}" for i in sorted(numbers, reverse=True)]


def test_history_runs_the_same_queries_for_a_few_or_many_revisions_and_events(desk, people):
    post = draft(db.session.merge(people["writer"]))
    _revise(post, 2, 3)
    _events(people, post, 0, 5, actors=["writer", None])  # more people act later
    post_id, url = post.id, f"/posts/{post.id}/history"
    wren = desk("writer")
    fresh_get(wren, url)  # anything a first request does once
    with statements() as few:
        page = fresh_get(wren, url)
    assert _revisions(page) == [2, 1]
    assert _comments(page) == _newest_first(range(5))
    assert 'aria-label="Pages' not in page

    post = db.session.merge(post)
    _revise(post, 3, 61)
    _events(people, post, 5, 1105)
    with statements() as many:
        page = fresh_get(wren, url)
    assert len(many) == len(few), "\n".join(many)
    assert _revisions(page) == list(range(60, 60 - REVISIONS_PAGE_SIZE, -1))
    assert _comments(page) == _newest_first(range(1105))[:EVENTS_PAGE_SIZE]
    # Each event reads with its actor, its label and the number of the revision it names.
    assert _audit(page)[:3] == [
        ("Event 1104", "The system", "Commented", "25"),
        ("Event 1103", "Adam Admin", "Requested changes", "24"),
        ("Event 1102", "Rob Reviewer", "Commented", "23"),
    ]
    assert 'value="60" selected' in page and 'value="59" selected' in page  # compare 59 with 60
    assert "60 revisions; page 1 of 2" in page
    assert "1165 events; page 1 of 24" in page  # 1105, the post made and 59 revisions saved
    assert f'href="/posts/{post_id}/history?rev_page=2#revisions-heading" rel="next"' in page
    assert f'href="/posts/{post_id}/history?events_page=2#audit-heading" rel="next"' in page

    # Each list turns its own pages, and its links keep the other's.
    with statements() as later:
        page = fresh_get(wren, f"{url}?rev_page=2&events_page=3")
    assert len(later) == len(few)
    assert _revisions(page) == list(range(60 - REVISIONS_PAGE_SIZE, 0, -1))
    assert (
        _comments(page) == _newest_first(range(1105))[2 * EVENTS_PAGE_SIZE : 3 * EVENTS_PAGE_SIZE]
    )
    assert f'href="/posts/{post_id}/history?rev_page=1&amp;events_page=3#revisions-heading"' in page
    assert f'href="/posts/{post_id}/history?events_page=4&amp;rev_page=2#audit-heading"' in page
    assert f'href="/posts/{post_id}/history?events_page=2&amp;rev_page=2#audit-heading"' in page

    # The last page of events ends with the oldest: the post made, then its revision 2.
    page = fresh_get(wren, f"{url}?events_page=24")
    assert len(_audit(page)) == 1165 - 23 * EVENTS_PAGE_SIZE
    assert _audit(page)[-2:] == [
        ("", "Wren Writer", "Saved a revision", "2"),
        ("", "Wren Writer", "Created", "1"),
    ]
    assert _revisions(fresh_get(wren, f"{url}?rev_page=3")) == []
