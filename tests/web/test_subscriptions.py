"""Readers' subscription pages, with CSRF on as in production: the form (posted without a
token, as the static site posts it), the honeypot and the limits, the confirmation button,
the manage page and RFC 8058 one-click unsubscribe."""

from __future__ import annotations

import re
from typing import Any

import pytest

from editorial.models import Subscriber, SubscriberStatus, db
from editorial.operations import subscriptions as subs

pytestmark = pytest.mark.csrf


@pytest.fixture
def mail_on(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    app.config.update(MAIL_SERVER="127.0.0.1", DESK_URL="https://desk.example.org/")
    queued: list[tuple] = []
    monkeypatch.setattr(subs, "queue_task", lambda *args: queued.append(args))
    return queued


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


def test_the_form_answers_alike_for_new_and_known_addresses_without_a_csrf_token(client, mail_on):
    form = client.get("/subscribe")
    assert form.status_code == 200 and 'name="website"' in form.get_data(as_text=True)
    first = client.post("/subscribe", data={"email": "reader@example.org", "choice": "all"})
    assert first.status_code == 200
    again = client.post("/subscribe", data={"email": "READER@example.org", "choice": "all"})
    assert again.get_data(as_text=True) == first.get_data(as_text=True)
    assert "Check your inbox" in first.get_data(as_text=True)
    assert len(mail_on) == 1  # the second within the hour sends nothing
    assert first.headers["Cache-Control"] == "no-store"

    bad = client.post("/subscribe", data={"email": "nope", "choice": "all"})
    assert bad.status_code == 422 and "There is a problem" in bad.get_data(as_text=True)


def test_a_filled_honeypot_gets_the_same_answer_and_nothing_is_stored(client, mail_on):
    response = client.post(
        "/subscribe", data={"email": "bot@example.org", "choice": "all", "website": "http://x"}
    )
    assert response.status_code == 200 and "Check your inbox" in response.get_data(as_text=True)
    assert subs.find("bot@example.org") is None and mail_on == []


def test_the_form_is_limited_per_address_and_per_client(app, client, mail_on):
    app.config.update(SUBSCRIBE_ADDRESS_RATE_LIMIT="2 per hour")
    app.config.update(SUBSCRIBE_CLIENT_RATE_LIMIT="5 per hour")
    for _ in range(2):
        assert client.post("/subscribe", data={"email": "x@example.org"}).status_code == 200
    assert client.post("/subscribe", data={"email": "X@example.org"}).status_code == 429
    statuses = [
        client.post("/subscribe", data={"email": f"{n}@example.org"}).status_code for n in range(4)
    ]
    assert statuses[0] == 200 and statuses[-1] == 429  # this client's five are used up
    other = {"REMOTE_ADDR": "192.0.2.9"}
    response = client.post("/subscribe", data={"email": "w@example.org"}, environ_base=other)
    assert response.status_code == 200


def test_confirm_with_the_button_then_manage_and_unsubscribe_in_one_click(client, mail_on):
    client.post("/subscribe", data={"email": "reader@example.org", "choice": "all"})
    ((_, subscriber_id, kind, token),) = mail_on
    assert kind == "confirm"
    page = client.get(f"/subscribe/confirm/{token}")
    assert page.status_code == 200
    assert db.session.get(Subscriber, subscriber_id).status == SubscriberStatus.PENDING
    # Without the page's CSRF token the button does nothing.
    assert client.post(f"/subscribe/confirm/{token}").status_code == 400
    done = client.post(
        f"/subscribe/confirm/{token}", data={"csrf_token": _csrf(page.get_data(as_text=True))}
    )
    assert done.status_code == 200 and "You are subscribed" in done.get_data(as_text=True)
    manage_url = re.search(r'href="(/subscription/[^"]+)"', done.get_data(as_text=True))[1]
    again = client.post(
        f"/subscribe/confirm/{token}", data={"csrf_token": _csrf(page.get_data(as_text=True))}
    )
    assert again.status_code == 410  # once

    manage = client.get(manage_url)
    assert manage.status_code == 200 and "reader@example.org" in manage.get_data(as_text=True)
    assert manage.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/subscription/not-a-token").status_code == 404

    # RFC 8058: a mail client posts this body, with no cookie and no CSRF token.
    fresh = client.application.test_client()
    one_click = fresh.post(f"{manage_url}/unsubscribe", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    db.session.expire_all()
    assert db.session.get(Subscriber, subscriber_id).status == SubscriberStatus.UNSUBSCRIBED
    assert "is not subscribed" in client.get(manage_url).get_data(as_text=True)


def test_the_manage_page_changes_the_choice_with_csrf(client, mail_on, app, publish):
    publish(1)
    email = subs.subscribe("reader@example.org", True)
    db.session.commit()
    subscriber = subs.confirm(email.token)
    token = subs.manage_token(subscriber)
    db.session.commit()
    page = client.get(f"/subscription/{token}").get_data(as_text=True)
    assert client.post(f"/subscription/{token}", data={"choice": "tags"}).status_code == 400
    refused = client.post(
        f"/subscription/{token}", data={"choice": "tags", "csrf_token": _csrf(page)}
    )
    assert refused.status_code == 422 and "at least one tag" in refused.get_data(as_text=True)
    saved = client.post(
        f"/subscription/{token}",
        data={"choice": "tags", "tags": ["python"], "csrf_token": _csrf(page)},
    )
    assert saved.status_code == 200 and "Saved" in saved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Subscriber, subscriber.id).tag_slugs == ["python"]


def test_every_site_page_has_the_form_and_it_posts_to_the_desk_without_a_session(
    app, mail_on, publish
):
    import lxml.html

    from editorial.site import build

    publish(1)
    root = build.site_dir()
    pages = [root / "index.html", *root.glob("posts/*/index.html"), *root.glob("tags/*/index.html")]
    assert len(pages) >= 3
    for path in pages:
        forms = lxml.html.fromstring(path.read_bytes()).xpath("//form[@class='subscribe']")
        assert len(forms) == 1, path
    (form,) = forms
    assert form.get("action") == "https://desk.example.org/subscribe"
    fields = {i.get("name"): i.get("value") or "" for i in form.xpath(".//input")}
    assert set(fields) == {"email", "choice", "website"}
    fields["email"] = "from-the-site@example.org"
    response = app.test_client().post("/subscribe", data=fields)  # no cookie, no CSRF token
    assert response.status_code == 200 and "Check your inbox" in response.get_data(as_text=True)
    assert mail_on[-1][1:3] == (subs.find("from-the-site@example.org").id, "confirm")
