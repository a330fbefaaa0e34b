"""The People page at size: a page at a time, the same number of SQL statements whatever the
number of people, searched and filtered by role in SQL, and its forms coming back to the
same list."""

from __future__ import annotations

import html
import re

import pytest

from editorial.models import Role, db
from editorial.operations import accounts
from editorial.web.admin import PEOPLE_PAGE_SIZE
from tests.conftest import PASSWORD
from tests.helpers.queries import fresh_get, statements

pytestmark = pytest.mark.csrf  # the desk signs in through its form

# The desk's people (tests/helpers/review.py), by name.
STAFF = ["Ada Author", "Adam Admin", "Rhea Reviewer", "Rob Reviewer", "Wren Writer"]


def _add(start, stop):
    """People ``start``..``stop - 1``: ``Person 000`` <p000@example.com>, all writers, the
    even ones reviewers too."""
    for i in range(start, stop):
        roles = [Role.WRITER, Role.REVIEWER] if i % 2 == 0 else [Role.WRITER]
        accounts.create_user(f"p{i:03d}@example.com", f"Person {i:03d}", PASSWORD, roles)
    db.session.commit()


def _persons(numbers):
    return [f"Person {i:03d}" for i in numbers]


def _names(page):
    return re.findall(r"<td>([^<]+)<br><small>[^<]+@example\.com</small>", page)


def _action(page, name):
    """Where the roles form of ``name``'s row posts."""
    pattern = r'action="([^"]+/roles[^"]*)" class="inline" aria-label="Roles of ' + name + '"'
    return html.unescape(re.search(pattern, page).group(1))


def test_the_people_page_runs_the_same_queries_for_5_or_75_people_and_pages_them(desk, people):
    adam = desk("adam")
    fresh_get(adam, "/admin/people")  # anything a first request does once
    with statements() as few:
        page = fresh_get(adam, "/admin/people")
    assert _names(page) == STAFF
    assert 'aria-label="Pages"' not in page

    _add(0, 70)
    with statements() as many:
        page = fresh_get(adam, "/admin/people")
    assert len(many) == len(few), "\n".join(many)
    everyone = STAFF[:2] + _persons(range(70)) + STAFF[2:]
    assert _names(page) == everyone[:PEOPLE_PAGE_SIZE]
    assert "75 people; page 1 of 2" in page
    assert 'href="/admin/people?page=2" rel="next"' in page

    with statements() as second:
        page = fresh_get(adam, "/admin/people?page=2")
    assert len(second) == len(few)
    assert _names(page) == everyone[PEOPLE_PAGE_SIZE:]
    assert "There is no page 3" in fresh_get(adam, "/admin/people?page=3")


def test_people_are_searched_by_name_or_email_and_filtered_by_role_in_the_links(desk, people):
    _add(0, 70)
    adam = desk("adam")
    assert _names(fresh_get(adam, "/admin/people?q=person+01")) == _persons(range(10, 20))
    page = fresh_get(adam, "/admin/people?q=P05")  # the e-mail p050@…, any case
    assert _names(page) == _persons(range(50, 60))
    assert "10 people match." in page
    assert _names(fresh_get(adam, "/admin/people?q=%25")) == []  # a % is a %, not a wildcard
    assert _names(fresh_get(adam, "/admin/people?q=rhea@EXAMPLE.com")) == ["Rhea Reviewer"]

    reviewers = ["Ada Author", "Adam Admin", *_persons(range(0, 70, 2))]
    reviewers += ["Rhea Reviewer", "Rob Reviewer"]
    assert _names(fresh_get(adam, "/admin/people?role=reviewer")) == reviewers
    assert _names(fresh_get(adam, "/admin/people?role=nobody"))[:2] == STAFF[:2]  # everyone

    writers = ["Ada Author", "Adam Admin", *_persons(range(70)), "Wren Writer"]
    page = fresh_get(adam, "/admin/people?role=writer")
    assert _names(page) == writers[:PEOPLE_PAGE_SIZE]
    assert 'href="/admin/people?page=2&amp;role=writer" rel="next"' in page
    page = fresh_get(adam, "/admin/people?role=writer&page=2")
    assert _names(page) == writers[PEOPLE_PAGE_SIZE:]
    assert 'href="/admin/people?page=1&amp;role=writer" rel="prev"' in page
    page = fresh_get(adam, "/admin/people?q=person&role=reviewer&page=1")
    assert _names(page) == _persons(range(0, 70, 2))


def test_the_forms_on_a_page_come_back_to_the_same_list(desk, people):
    _add(0, 70)
    adam = desk("adam")
    page = fresh_get(adam, "/admin/people?role=writer&page=2")
    action = _action(page, "Person 060")
    assert action.endswith("/roles?role=writer&page=2")
    response = adam.post(action, {"role": ["writer", "admin"]})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/people?role=writer&page=2"
    db.session.remove()
    person = accounts.find_user("p060@example.com")
    assert person.roles == {Role.WRITER, Role.ADMIN}

    # A refused invitation shows the page again, with the list it was sent from.
    db.session.remove()
    response = adam.post("/admin/people/invite?q=person+00", {"email": "not an address"})
    assert response.status_code == 422
    assert _names(response.get_data(as_text=True)) == _persons(range(10))
