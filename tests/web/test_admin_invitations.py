"""The first run and invitations through the test client: the first admin is made once, at
/setup or from the command line; an invitation makes one account, once, within seven days."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from editorial.domain.errors import Conflict
from editorial.models import Invitation, Role, db, utcnow
from editorial.operations import accounts, invitations
from tests.conftest import PASSWORD
from tests.helpers.accounts import (
    NEW_PASSWORD,
    add_admin,
    add_user,
    csrf_of,
    sign_in_as,
    sign_in_with_csrf,
)


def _link_token(page):
    """The invitation token from the one-time link shown on the people page."""
    match = re.search(r'id="invite-link" type="text" readonly value="([^"]+)"', page)
    assert match, "the people page shows no invitation link"
    return match.group(1).rsplit("/invite/", 1)[1]


# ---- first run ---------------------------------------------------------------------------------


def test_with_no_accounts_sign_in_leads_to_setup(client):
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/setup"
    page = client.get("/setup").get_data(as_text=True)
    assert "create the first admin" in page


def test_setup_makes_the_first_admin_once(csrf_app, csrf_client):
    form = {
        "email": "First@Example.com",
        "name": "Fiona First",
        "password": PASSWORD,
        "csrf_token": csrf_of(csrf_client, "/setup"),
    }
    response = csrf_client.post("/setup", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/people"
    page = csrf_client.get("/admin/people")
    assert page.status_code == 200
    assert "first@example.com" in page.get_data(as_text=True)
    with csrf_app.app_context():
        user = accounts.find_user("first@example.com")
        assert user.display_name == "Fiona First"
        assert user.roles == {Role.ADMIN, Role.WRITER, Role.REVIEWER}
    # The page is gone, for everyone, and the sign-in page is an ordinary one again.
    assert csrf_client.get("/setup").status_code == 404
    other = csrf_app.test_client()
    assert other.get("/setup").status_code == 404
    login_page = other.get("/login")
    assert login_page.status_code == 200
    form = form | {"email": "second@example.com", "csrf_token": csrf_of(other, "/login")}
    assert other.post("/setup", data=form).status_code == 404
    with csrf_app.app_context():
        assert accounts.find_user("second@example.com") is None
        with pytest.raises(Conflict):
            accounts.create_first_admin("third@example.com", "Third", PASSWORD)


def test_setup_refuses_a_bad_password_and_keeps_what_was_typed(csrf_app, csrf_client):
    response = csrf_client.post(
        "/setup",
        data={
            "email": "first@example.com",
            "name": "Fiona First",
            "password": "password123",
            "csrf_token": csrf_of(csrf_client, "/setup"),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "one of the most common passwords" in page
    assert 'value="first@example.com"' in page
    assert 'value="Fiona First"' in page
    with csrf_app.app_context():
        assert not accounts.has_users()
    assert csrf_client.get("/setup").status_code == 200


def test_setup_without_csrf_token_makes_nobody(csrf_app, csrf_client):
    response = csrf_client.post(
        "/setup", data={"email": "first@example.com", "name": "Fiona", "password": PASSWORD}
    )
    assert response.status_code == 400
    with csrf_app.app_context():
        assert not accounts.has_users()


def test_the_command_line_still_makes_the_first_admin(client, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "cli@example.com",
            "--name",
            "Cli Admin",
            "--role",
            "admin",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created cli@example.com" in result.output
    assert client.get("/setup").status_code == 404
    assert client.get("/login").status_code == 200
    sign_in_as(client, "cli@example.com")
    assert client.get("/admin/people").status_code == 200


# ---- invitations -------------------------------------------------------------------------------


def test_an_invitation_makes_an_account_once(csrf_app, csrf_client):
    with csrf_app.app_context():
        add_admin()
    sign_in_with_csrf(csrf_client, "admin@example.com")
    response = csrf_client.post(
        "/admin/people/invite",
        data={
            "email": "Newbie@Example.com",
            "role": ["writer", "reviewer"],
            "csrf_token": csrf_of(csrf_client, "/admin/people"),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Invitation for newbie@example.com" in page
    token = _link_token(page)

    invited = csrf_app.test_client()
    opened = invited.get(f"/invite/{token}")
    assert opened.status_code == 200
    assert "newbie@example.com" in opened.get_data(as_text=True)
    accepted = invited.post(
        f"/invite/{token}",
        data={
            "name": "Nina Newbie",
            "password": NEW_PASSWORD,
            "csrf_token": csrf_of(invited, f"/invite/{token}"),
        },
    )
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == "/"
    assert invited.get("/").status_code == 200  # signed in
    assert "newbie@example.com" in invited.get("/account/").get_data(as_text=True)
    with csrf_app.app_context():
        user = accounts.find_user("newbie@example.com")
        assert user.display_name == "Nina Newbie"
        assert user.roles == {Role.WRITER, Role.REVIEWER}
        assert accounts.authenticate("newbie@example.com", NEW_PASSWORD) is not None

    again = csrf_app.test_client()
    second = again.get(f"/invite/{token}")
    assert second.status_code == 410
    assert "used already" in second.get_data(as_text=True)
    resent = again.post(
        f"/invite/{token}",
        data={"name": "Mallory", "password": NEW_PASSWORD, "csrf_token": csrf_of(again, "/login")},
    )
    assert resent.status_code == 410
    assert "used already" in resent.get_data(as_text=True)
    with csrf_app.app_context():
        assert accounts.find_user("newbie@example.com").display_name == "Nina Newbie"


def test_accepting_twice_through_the_function_is_refused(app):
    admin = add_admin()
    _, token = invitations.invite("twice@example.com", [Role.WRITER], admin)
    invitations.accept(token, "Once", PASSWORD)
    db.session.commit()
    with pytest.raises(Conflict, match="used already"):
        invitations.accept(token, "Twice", PASSWORD)


def test_an_expired_invitation_is_refused(client):
    admin = add_admin()
    _, token = invitations.invite(
        "late@example.com", [Role.WRITER], admin, now=utcnow() - timedelta(days=8)
    )
    db.session.commit()
    response = client.get(f"/invite/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    response = client.post(f"/invite/{token}", data={"name": "Late", "password": PASSWORD})
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert accounts.find_user("late@example.com") is None


def test_an_invitation_lasts_seven_days(app):
    admin = add_admin()
    _, token = invitations.invite("soon@example.com", [Role.WRITER], admin)
    db.session.commit()
    with pytest.raises(Conflict, match="expired"):
        invitations.accept(token, "Soon", PASSWORD, now=utcnow() + timedelta(days=7, minutes=1))
    assert invitations.accept(token, "Soon", PASSWORD, now=utcnow() + timedelta(days=6)).active


def test_an_unknown_invitation_is_not_valid(client):
    add_admin()
    for token in ("nonsense", "x" * 43):
        response = client.get(f"/invite/{token}")
        assert response.status_code == 410
        assert "not valid" in response.get_data(as_text=True)


def test_inviting_an_existing_email_is_refused_next_to_the_field(client):
    add_admin()
    add_user("taken@example.com")
    sign_in_as(client, "admin@example.com")
    response = client.post(
        "/admin/people/invite", data={"email": "Taken@Example.com", "role": ["writer"]}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    match = re.search(r'<p class="error" id="invite-email-error">([^<]*)</p>', page)
    assert match and "already has an account" in match.group(1)
    assert 'value="Taken@Example.com"' in page
    assert 'id="invite-link"' not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_an_invitation_needs_a_role_and_a_valid_email(client):
    add_admin()
    sign_in_as(client, "admin@example.com")
    no_role = client.post("/admin/people/invite", data={"email": "a@example.com"})
    assert no_role.status_code == 422
    assert "at least one role" in no_role.get_data(as_text=True)
    bad = client.post("/admin/people/invite", data={"email": "not-an-email", "role": ["writer"]})
    assert bad.status_code == 422
    assert 'id="invite-email-error"' in bad.get_data(as_text=True)


def test_accepting_with_a_bad_password_keeps_the_name(client):
    admin = add_admin()
    _, token = invitations.invite("weak@example.com", [Role.WRITER], admin)
    db.session.commit()
    response = client.post(f"/invite/{token}", data={"name": "Wes Weak", "password": "short"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "at least 8 characters" in page
    assert 'value="Wes Weak"' in page
    assert accounts.find_user("weak@example.com") is None
    assert client.get(f"/invite/{token}").status_code == 200  # still usable


def test_an_invitation_for_an_email_that_got_an_account_meanwhile(client):
    admin = add_admin()
    _, token = invitations.invite("twice@example.com", [Role.WRITER], admin)
    db.session.commit()
    add_user("twice@example.com", name="Got In First")
    response = client.post(f"/invite/{token}", data={"name": "Late", "password": PASSWORD})
    assert response.status_code == 422
    assert "already has an account" in response.get_data(as_text=True)
    assert accounts.find_user("twice@example.com").display_name == "Got In First"


def test_accepting_needs_a_name(client):
    admin = add_admin()
    _, token = invitations.invite("nameless@example.com", [Role.WRITER], admin)
    db.session.commit()
    response = client.post(f"/invite/{token}", data={"name": "  ", "password": PASSWORD})
    assert response.status_code == 422
    assert "A display name is required" in response.get_data(as_text=True)
    assert accounts.find_user("nameless@example.com") is None
