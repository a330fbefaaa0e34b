"""The review page at size: the same SQL statements however many comment threads, replies
and entries the post has."""

from __future__ import annotations

import pytest

from editorial.models import Post, db
from editorial.operations import comments
from tests.helpers.queries import fresh_get, statements
from tests.helpers.review import submitted

pytestmark = pytest.mark.csrf  # the desk signs in through its form

ENTRIES = ["Django", "FastAPI", "Flask", "Litestar"]


def _threads(post_id, people, entries):
    """A comment on each of ``entries`` by Rhea, each answered by the writer."""
    post = db.session.get(Post, post_id)
    rhea, writer = db.session.merge(people["rhea"]), db.session.merge(people["writer"])
    for name in entries:
        thread = comments.add_comment(post, rhea, f"A source for {name}, please.", name)
        comments.add_comment(post, writer, f"Added one for {name}.", parent=thread)
    db.session.commit()


def test_the_review_page_runs_the_same_queries_for_one_or_four_threads(desk, people):
    post_id = submitted(people["writer"]).id
    _threads(post_id, people, ENTRIES[:1])
    rob = desk("rob")
    fresh_get(rob, f"/review/{post_id}")  # anything a first request does once
    with statements() as few:
        page = fresh_get(rob, f"/review/{post_id}")
    assert page.count("Added one for") == 1

    _threads(post_id, people, ENTRIES[1:])
    with statements() as many:
        page = fresh_get(rob, f"/review/{post_id}")
    assert page.count("Added one for") == 4
    assert len(many) == len(few), "\n".join(many)
