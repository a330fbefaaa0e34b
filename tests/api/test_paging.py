"""The API's lists a page at a time: ``limit`` and the ``after`` cursor of the ``next`` link,
in a fixed number of statements, with bad paging parameters answered as problems naming them."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from editorial.models import Role, db
from tests.api.test_views import call
from tests.conftest import sample
from tests.helpers.accounts import add_user_with_token
from tests.helpers.queries import statements


@pytest.fixture
def tokens(api):
    writer = add_user_with_token("writer@example.com", Role.WRITER)[1]
    reviewer = add_user_with_token("reviewer@example.com", Role.REVIEWER)[1]
    return writer, reviewer


def _draft(api, token, number, submit=False):
    content = sample()
    content.update(slug=f"post-{number}", title=f"Post {number}")
    created = call(api, "POST", "/posts", token, json=content)
    assert created.status_code == 201, created.json
    if submit:
        assert call(api, "POST", f"/posts/{created.json['id']}/submit", token).status_code == 200
    return created.json["id"]


def _pages(api, token, path):
    """Every page of a list, following ``next`` until there is none."""
    pages = []
    while path:
        db.session.remove()
        response = call(api, "GET", path, token)
        assert response.status_code == 200, response.json
        pages.append(response.json["posts"])
        link = response.json["next"]
        assert response.headers.get("Link") == (f'<{link}>; rel="next"' if link else None)
        path = link and link.split("/api/v1", 1)[1]
    return pages


def test_my_posts_come_newest_first_a_page_at_a_time(api, tokens):
    writer, _ = tokens
    ids = [_draft(api, writer, i) for i in range(7)]
    pages = _pages(api, writer, "/posts?limit=3")
    assert [[p["id"] for p in page] for page in pages] == [
        ids[6:3:-1],
        ids[3:0:-1],
        ids[0:1],
    ]
    assert pages[0][0]["title"] == "Post 6" and pages[0][0]["revision"] == 1
    whole = call(api, "GET", "/posts", writer).json
    assert [p["id"] for p in whole["posts"]] == ids[::-1] and whole["next"] is None


def test_the_queue_comes_waiting_longest_first_a_page_at_a_time(api, tokens):
    writer, reviewer = tokens
    ids = [_draft(api, writer, i, submit=True) for i in range(5)]
    _draft(api, writer, 99)  # a draft is not in the queue
    pages = _pages(api, reviewer, "/review/queue?limit=2")
    assert [[p["id"] for p in page] for page in pages] == [ids[0:2], ids[2:4], ids[4:5]]


def test_a_post_that_changes_while_a_client_pages_is_not_listed_twice(api, tokens):
    writer, _ = tokens
    ids = [_draft(api, writer, i) for i in range(4)]
    first = call(api, "GET", "/posts?limit=2", writer).json
    assert [p["id"] for p in first["posts"]] == [ids[3], ids[2]]
    changed = sample() | {"slug": "post-3", "title": "Post 3, again"}
    saved = call(
        api, "PUT", f"/posts/{ids[3]}", writer, json={"base_revision": 1, "content": changed}
    )
    assert saved.status_code == 200, saved.json
    rest = call(api, "GET", first["next"].split("/api/v1", 1)[1], writer).json
    assert [p["id"] for p in rest["posts"]] == [ids[1], ids[0]]


def test_a_page_costs_the_same_statements_for_2_or_12_posts(api, tokens):
    writer, _ = tokens
    for i in range(2):
        _draft(api, writer, i)
    call(api, "GET", "/posts", writer)  # the token's last use is recorded once
    db.session.remove()
    with statements() as few:
        assert len(call(api, "GET", "/posts", writer).json["posts"]) == 2
    for i in range(2, 12):
        _draft(api, writer, i)
    db.session.remove()
    with statements() as many:
        assert len(call(api, "GET", "/posts", writer).json["posts"]) == 12
    assert len(many) == len(few), "\n".join(many)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("after=not-a-cursor", "after"),
        ("after=MjAyNi0xMS0zMHwx", "after"),  # a time without a zone
        ("after=%F0%9F%98%80", "after"),
    ],
)
def test_bad_paging_is_a_problem_naming_the_parameter(api, tokens, query, field):
    writer, reviewer = tokens
    for token, path in ((writer, "/posts"), (reviewer, "/review/queue")):
        response = call(api, "GET", f"{path}?{query}", token)
        assert response.status_code == 422, response.json
        assert response.mimetype == "application/problem+json"
        assert [e["field"] for e in response.json["errors"]] == [field]


def test_the_next_link_keeps_the_limit(api, tokens):
    writer, _ = tokens
    for i in range(3):
        _draft(api, writer, i)
    link = call(api, "GET", "/posts?limit=1", writer).json["next"]
    assert "limit=1" in urlsplit(link).query and "after=" in urlsplit(link).query
