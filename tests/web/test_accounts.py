"""One's own account through the test client: the password rules, a new name, a new password
(which signs out one's other sessions), with CSRF on and off."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from editorial.domain.errors import InvalidInput
from editorial.models import AuditEvent, db
from editorial.operations import accounts
from tests.conftest import PASSWORD
from tests.helpers.accounts import NEW_PASSWORD, add_user, csrf_of, sign_in_as, sign_in_with_csrf

# ---- password rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password123", "qwertyuiop", "Sunshine1", " PASSWORD123 "])
def test_common_passwords_are_refused(app, password):
    with pytest.raises(InvalidInput, match="most common passwords"):
        accounts.check_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "zqxwvkjm",  # exactly 8
        "x7$kq9!m" * 25,  # 200 characters
        "correct horse battery staple",  # all lower-case words
        "ninjaturtle",  # no digits, symbols or capitals
    ],
)
def test_passwords_that_are_fine(app, password):
    accounts.check_password(password)


def test_length_limits(app):
    accounts.check_password("zqxwvkjm")
    with pytest.raises(InvalidInput, match="at least 8"):
        accounts.check_password("zqxwvkj")
    accounts.check_password("y" * 1024)
    with pytest.raises(InvalidInput, match="at most 1024"):
        accounts.check_password("y" * 1025)


def test_a_common_password_is_refused_on_the_account_page(client):
    add_user("me@example.com")
    sign_in_as(client, "me@example.com")
    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": "Sunshine1"}
    )
    assert response.status_code == 422
    assert "most common passwords" in response.get_data(as_text=True)
    assert accounts.authenticate("me@example.com", PASSWORD) is not None


def test_a_seven_character_password_is_refused_and_eight_accepted(client):
    add_user("me@example.com")
    sign_in_as(client, "me@example.com")
    short = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": "zqxwvkj"}
    )
    assert short.status_code == 422
    assert "at least 8 characters" in short.get_data(as_text=True)
    ok = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": "zqxwvkjm"}
    )
    assert ok.status_code == 302
    assert accounts.authenticate("me@example.com", "zqxwvkjm") is not None


def test_a_long_password_signs_in(client):
    long = "lowercase words only " * 10  # 210 characters, no composition rules
    add_user("me@example.com", password=long)
    sign_in_as(client, "me@example.com", long)
    assert client.get("/").status_code == 200


# ---- my account --------------------------------------------------------------------------------


def test_change_name(client):
    add_user("me@example.com", name="Old Name")
    sign_in_as(client, "me@example.com")
    response = client.post(
        "/account/name", data={"display_name": "  New   Name "}, follow_redirects=True
    )
    assert "Name saved" in response.get_data(as_text=True)
    assert accounts.find_user("me@example.com").display_name == "New Name"


def test_a_blank_name_is_refused_and_the_typed_text_kept(client):
    add_user("me@example.com", name="Old Name")
    sign_in_as(client, "me@example.com")
    response = client.post("/account/name", data={"display_name": "   "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A display name is required" in page
    assert 'value="   "' in page
    too_long = client.post("/account/name", data={"display_name": "n" * 101})
    assert too_long.status_code == 422
    assert 'value="' + "n" * 101 + '"' in too_long.get_data(as_text=True)
    db.session.expire_all()
    assert accounts.find_user("me@example.com").display_name == "Old Name"


def test_changing_the_password_needs_the_current_one(client):
    add_user("me@example.com")
    sign_in_as(client, "me@example.com")
    response = client.post(
        "/account/password", data={"current_password": "not it at all", "password": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert "not your current password" in response.get_data(as_text=True)
    db.session.expire_all()
    assert accounts.authenticate("me@example.com", PASSWORD) is not None
    assert accounts.authenticate("me@example.com", NEW_PASSWORD) is None


def test_a_password_change_signs_out_the_other_sessions(web):
    with web.app_context():
        add_user("me@example.com")
    first, second = web.test_client(), web.test_client()
    sign_in_as(first, "me@example.com")
    sign_in_as(second, "me@example.com")
    assert second.get("/").status_code == 200
    response = first.post(
        "/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert first.get("/").status_code == 200  # this session goes on
    assert first.get("/account/").status_code == 200
    elsewhere = second.get("/")
    assert elsewhere.status_code == 302
    assert elsewhere.headers["Location"].startswith("/login")
    with web.app_context():
        assert accounts.authenticate("me@example.com", NEW_PASSWORD) is not None
        assert accounts.authenticate("me@example.com", PASSWORD) is None
        assert db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "user.password_changed")
        )


def test_the_account_page_with_csrf(csrf_app, csrf_client):
    with csrf_app.app_context():
        add_user("me@example.com", name="Old Name")
    sign_in_with_csrf(csrf_client, "me@example.com")
    refused = csrf_client.post("/account/name", data={"display_name": "No Token"})
    assert refused.status_code == 400
    token = csrf_of(csrf_client, "/account/")
    response = csrf_client.post(
        "/account/name", data={"display_name": "With Token", "csrf_token": token}
    )
    assert response.status_code == 302
    password = csrf_client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "csrf_token": token},
    )
    assert password.status_code == 302
    assert csrf_client.get("/account/").status_code == 200
    with csrf_app.app_context():
        assert accounts.find_user("me@example.com").display_name == "With Token"
        assert accounts.authenticate("me@example.com", NEW_PASSWORD) is not None
