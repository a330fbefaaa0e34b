"""Admin's Subscribers page: counts per tag, search, remove and the CSV export, for admins
only (CSRF on, as in production)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from editorial.models import Role, db
from editorial.operations import subscriptions as subs
from tests.conftest import PASSWORD

pytestmark = pytest.mark.csrf


@pytest.fixture
def readers(app: Any, monkeypatch: pytest.MonkeyPatch, publish: Any) -> None:
    monkeypatch.setattr(subs, "queue_task", lambda *args: None)
    publish(1)
    for address, all_posts, tags in (
        ("ann@example.org", True, ()),
        ("bob@example.org", False, ("python",)),
        ("cy@example.org", False, ("python",)),
    ):
        email = subs.subscribe(address, all_posts, tags)
        db.session.commit()
        subs.confirm(email.token)
    subs.subscribe("pending@example.org", True)
    db.session.commit()


def _signed_in(app: Any, email: str) -> Any:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token[1]})
    return client


def test_admins_see_counts_search_remove_and_export(app, readers, create_user):
    create_user("admin@example.com", Role.ADMIN)
    admin = _signed_in(app, "admin@example.com")
    page = admin.get("/admin/subscribers")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "3 confirmed (1 for every ranking), 1 waiting for confirmation" in text
    assert re.search(r"<td>python</td><td>2</td>", text)
    found = admin.get("/admin/subscribers?q=BOB").get_data(as_text=True)
    assert "bob@example.org" in found and "ann@example.org" not in found

    bob = subs.find("bob@example.org")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', found)[1]
    assert admin.post("/admin/subscribers/remove", data={"subscriber": bob.id}).status_code == 400
    done = admin.post("/admin/subscribers/remove", data={"subscriber": bob.id, "csrf_token": token})
    assert done.status_code == 302
    db.session.expire_all()
    assert subs.find("bob@example.org") is None

    export = admin.get("/admin/subscribers.csv")
    assert export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0] == ["address", "status", "choice", "subscribed_at", "confirmed_at"]
    assert sorted(r[0] for r in rows[1:]) == [
        "ann@example.org",
        "cy@example.org",
        "pending@example.org",
    ]


@pytest.mark.parametrize("role", [Role.WRITER, Role.REVIEWER])
def test_nobody_else_sees_subscriber_data(app, readers, create_user, role):
    create_user("someone@example.com", role)
    client = _signed_in(app, "someone@example.com")
    for url in ("/admin/subscribers", "/admin/subscribers.csv", "/admin/subscribers?q=ann"):
        response = client.get(url)
        assert response.status_code == 403 and "ann@example.org" not in response.get_data(
            as_text=True
        )
    anonymous = app.test_client().get("/admin/subscribers.csv")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_people_page_links_to_the_subscribers_page(app, create_user):
    create_user("admin@example.com", Role.ADMIN)
    admin = _signed_in(app, "admin@example.com")
    assert 'href="/admin/subscribers"' in admin.get("/admin/people").get_data(as_text=True)
