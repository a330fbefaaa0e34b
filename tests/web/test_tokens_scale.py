"""The API tokens page at size: a page at a time, the same number of SQL statements whatever
the number of tokens (at most TOKEN_LIMIT live ones a person)."""

from __future__ import annotations

import re

import pytest

from editorial.domain.errors import InvalidInput
from editorial.models import db
from editorial.operations import tokens
from editorial.operations.tokens import TOKEN_LIMIT
from editorial.web.accounts import TOKENS_PAGE_SIZE
from tests.helpers.queries import fresh_get, statements

pytestmark = pytest.mark.csrf  # the desk signs in through its form


def _make(people, start, stop):
    """Ada's tokens ``start``..``stop - 1``, made one after another; Rob's one as well."""
    ada = db.session.merge(people["ada"])
    for i in range(start, stop):
        tokens.create_token(ada, f"agent {i:03d}")
    tokens.create_token(db.session.merge(people["rob"]), f"rob's agent {start}")
    db.session.commit()


def _names(page):
    return re.findall(r"<td>(agent \d+)</td>", page)


def _newest_first(numbers):
    return [f"agent {i:03d}" for i in sorted(numbers, reverse=True)]


def test_the_tokens_page_runs_the_same_queries_for_3_or_45_tokens_and_pages_them(desk, people):
    assert 45 <= TOKEN_LIMIT
    _make(people, 0, 3)
    ada = desk("ada")
    fresh_get(ada, "/account/tokens")  # anything a first request does once
    with statements() as few:
        page = fresh_get(ada, "/account/tokens")
    assert _names(page) == _newest_first(range(3))
    assert 'aria-label="Pages"' not in page

    _make(people, 3, 45)
    with statements() as many:
        page = fresh_get(ada, "/account/tokens")
    assert len(many) == len(few), "\n".join(many)
    assert _names(page) == _newest_first(range(45))[:TOKENS_PAGE_SIZE]
    assert "45 tokens; page 1 of 3" in page
    assert 'href="/account/tokens?page=2" rel="next"' in page

    with statements() as second:
        page = fresh_get(ada, "/account/tokens?page=2")
    assert len(second) == len(few)
    assert _names(page) == _newest_first(range(45))[TOKENS_PAGE_SIZE : 2 * TOKENS_PAGE_SIZE]
    assert 'href="/account/tokens?page=1" rel="prev"' in page
    assert _names(fresh_get(ada, "/account/tokens?page=3")) == _newest_first(range(5))
    assert "There is no page 4" in fresh_get(ada, "/account/tokens?page=4")


def test_a_new_token_is_shown_on_the_first_page_and_revoked_ones_leave_the_list(desk, people):
    _make(people, 0, 25)
    ada = desk("ada")
    response = ada.post("/account/tokens", {"name": "agent 099"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="new-token"' in page
    assert _names(page) == _newest_first([*range(6, 25), 99])

    revoke = re.search(r'action="(/account/tokens/\d+/revoke)"', page).group(1)
    assert ada.post(revoke).status_code == 302
    assert _names(fresh_get(ada, "/account/tokens")) == _newest_first(range(5, 25))
    assert "25 tokens; page 1 of 2" in fresh_get(ada, "/account/tokens")


def test_the_limit_counts_only_live_tokens(app, people):
    ada = db.session.merge(people["ada"])
    made = [tokens.create_token(ada, f"agent {i:03d}")[0] for i in range(TOKEN_LIMIT)]
    with pytest.raises(InvalidInput, match="revoke one"):
        tokens.create_token(ada, "one too many")
    tokens.revoke_token(made[0], ada)
    tokens.create_token(ada, "now there is room")
    assert len(tokens.list_tokens(ada)) == TOKEN_LIMIT
