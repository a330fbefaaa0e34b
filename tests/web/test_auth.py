"""Signing in and out through the test client, with real CSRF on."""

from __future__ import annotations

import re

import pytest

from editorial.models import Role, db
from editorial.operations import accounts
from tests.conftest import PASSWORD
from tests.helpers.accounts import csrf_of


def _writer():
    user = accounts.create_user("writer@example.com", "Wren", PASSWORD, ["writer"])
    db.session.commit()
    return user


def test_desk_needs_a_signed_in_user(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_sign_in_and_out_with_csrf(csrf_app, csrf_client):
    with csrf_app.app_context():
        _writer()
    token = csrf_of(csrf_client)
    response = csrf_client.post(
        "/login", data={"email": "Writer@Example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "My posts" in csrf_client.get("/").get_data(as_text=True)
    desk_token = csrf_of(csrf_client, "/")
    assert csrf_client.post("/logout", data={"csrf_token": desk_token}).status_code == 302
    assert csrf_client.get("/").status_code == 302


def test_sign_in_without_csrf_token_is_refused(csrf_app, csrf_client):
    with csrf_app.app_context():
        _writer()
    response = csrf_client.post(
        "/login", data={"email": "writer@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert csrf_client.get("/").status_code == 302


def test_sign_out_without_csrf_token_does_nothing(csrf_app, csrf_client):
    with csrf_app.app_context():
        _writer()
    csrf_client.post(
        "/login",
        data={
            "email": "writer@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_of(csrf_client),
        },
    )
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/").status_code == 200


def test_sign_out_is_post_only(client, auth):
    _writer()
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_wrong_password_keeps_the_email_and_says_why(client):
    _writer()
    response = client.post("/login", data={"email": "writer@example.com", "password": "nope nope"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "do not match an active account" in page
    assert 'value="writer@example.com"' in page
    assert client.get("/").status_code == 302


def test_unknown_email_gets_the_same_message(client):
    response = client.post("/login", data={"email": "nobody@example.com", "password": PASSWORD})
    assert "do not match an active account" in response.get_data(as_text=True)


def test_sign_in_records_the_time(client, auth):
    user = _writer()
    assert user.last_login_at is None
    auth.login()
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_deactivated_user_cannot_sign_in_and_is_signed_out(client, auth):
    user = _writer()
    auth.login()
    assert client.get("/").status_code == 200
    accounts.set_active(user, False)
    db.session.commit()
    assert client.get("/").status_code == 302
    assert "do not match an active account" in auth.login().get_data(as_text=True)


SAFE = ["/", "/posts/3?tab=history", "/a/b#frag"]
OFFSITE = [
    "//evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "http://evil.example",
    "https:evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "///evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "%2F%2Fevil.example",
    "data:text/html,<script>alert(1)</script>",
]


@pytest.mark.parametrize("target", SAFE)
def test_next_on_this_site_is_followed(client, auth, target):
    _writer()
    response = auth.login(next=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", OFFSITE)
def test_next_never_leads_off_site(client, auth, target):
    _writer()
    response = auth.login(next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_from_the_query_string_survives_the_form(client):
    _writer()
    page = client.get("/login?next=/somewhere").get_data(as_text=True)
    assert 'value="/somewhere"' in page


def _attempts(app, tries):
    """POST each (email, password, client address) in ``tries``; return the status codes."""
    with app.app_context():
        client = app.test_client()
        return [
            client.post(
                "/login",
                data={"email": email, "password": password},
                environ_base={"REMOTE_ADDR": address},
            ).status_code
            for email, password, address in tries
        ]


def test_failed_sign_ins_are_throttled_per_account(make_app):
    throttled = make_app(WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="3 per minute")
    # The same account from three addresses, then the first again: a spread-out guesser is
    # still stopped (a new address gets one guess, and the person signs in: test_throttles.py).
    tries = [("a@example.com", "wrong one", f"10.0.0.{n}") for n in (0, 1, 2, 0)]
    assert _attempts(throttled, tries) == [200, 200, 200, 429]


def test_failed_sign_ins_are_throttled_per_client_address(make_app):
    throttled = make_app(WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="3 per minute")
    # Four accounts from one address: a sprayer is stopped.
    tries = [(f"user{n}@example.com", "wrong one", "10.0.0.1") for n in range(4)]
    assert _attempts(throttled, tries) == [200, 200, 200, 429]


def test_successful_sign_ins_do_not_count(make_app):
    throttled = make_app(WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="2 per minute")
    with throttled.app_context():
        _writer()
    tries = [("writer@example.com", PASSWORD, "10.0.0.1")] * 4
    assert _attempts(throttled, tries) == [302, 302, 302, 302]


def test_the_throttle_sees_the_client_behind_a_trusted_proxy(make_app):
    throttled = make_app(WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    with throttled.app_context():
        client = throttled.test_client()
        codes = [
            client.post(
                "/login",
                data={"email": f"user{n}@example.com", "password": "wrong one"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
                environ_base={"REMOTE_ADDR": "10.0.0.1"},
            ).status_code
            for n in range(4)
        ]
    assert codes == [200, 200, 200, 200]


def test_sign_in_works_while_the_throttle_storage_is_down(make_app):
    unreachable = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    app = make_app(WTF_CSRF_ENABLED=False, RATELIMIT_STORAGE_URI=unreachable)
    with app.app_context():
        _writer()
    tries = [
        ("writer@example.com", "wrong one", "10.0.0.1"),
        ("writer@example.com", PASSWORD, "10.0.0.1"),
    ]
    assert _attempts(app, tries) == [200, 302]


def test_session_cookie_flags_in_production(make_app, production_env):
    prod = make_app(WTF_CSRF_ENABLED=False)
    with prod.app_context():
        _writer()
        response = prod.test_client().post(
            "/login", data={"email": "writer@example.com", "password": PASSWORD, "remember": "y"}
        )
    cookies = response.headers.getlist("Set-Cookie")
    # The session and the "keep me signed in" cookie both.
    assert {c.split("=", 1)[0] for c in cookies} >= {"session", "remember_token"}, cookies
    for cookie in cookies:
        assert "Secure" in cookie, cookie
        assert "HttpOnly" in cookie, cookie
        assert "SameSite=Lax" in cookie, cookie


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ((Role.WRITER,), 403),
        ((Role.REVIEWER,), 200),
        ((Role.ADMIN,), 200),
        ((Role.WRITER, Role.REVIEWER), 200),
    ],
)
def test_role_required_is_checked_on_the_server(make_app, roles, expected):
    from editorial.web.permissions import role_required

    guarded = make_app(WTF_CSRF_ENABLED=False)

    @guarded.get("/reviewers-only")
    @role_required(Role.REVIEWER, Role.ADMIN)
    def reviewers_only():
        return "queue"

    with guarded.app_context():
        accounts.create_user("someone@example.com", "Someone", PASSWORD, roles)
        db.session.commit()
        client = guarded.test_client()
        assert client.get("/reviewers-only").status_code == 302  # anonymous: sign in first
        client.post("/login", data={"email": "someone@example.com", "password": PASSWORD})
        response = client.get("/reviewers-only")
    assert response.status_code == expected
    if expected == 403:
        assert "You do not have permission" in response.get_data(as_text=True)


@pytest.mark.real_password_hashing
def test_passwords_are_stored_as_argon2id_at_rfc_9106_low_memory_settings(app, create_user):
    user = create_user("w@example.com")
    # argon2-cffi's defaults: Argon2id, 64 MiB, 3 passes, 4 lanes (RFC 9106's second choice).
    assert re.fullmatch(r"\$argon2id\$v=19\$m=65536,t=3,p=4\$[^$]+\$[^$]+", user.password_hash)
    assert PASSWORD not in user.password_hash
    assert accounts.authenticate("w@example.com", PASSWORD) == user
    assert accounts.authenticate("w@example.com", PASSWORD + "!") is None
