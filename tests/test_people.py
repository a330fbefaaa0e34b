"""Accounts and administration: first run, invitations, roles, own account, deactivation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from editorial.domain.errors import Conflict, InvalidInput
from editorial.domain.interchange import parse_post
from editorial.models import AuditEvent, Invitation, Post, Role, User, db, utcnow
from editorial.operations import accounts, people, posts, tokens
from tests.conftest import PASSWORD, sample

NEW_PASSWORD = "purple elephants juggle quietly"


def _csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _user(email, *roles, name=None, password=PASSWORD):
    user = accounts.create_user(
        email, name or email.split("@")[0].title(), password, roles or (Role.WRITER,)
    )
    db.session.commit()
    return user


def _login(client, email, password=PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _admin(email="admin@example.com", name="Ada Admin"):
    return _user(email, Role.ADMIN, Role.WRITER, name=name)


def _link_token(page):
    """The invitation token from the one-time link shown on the people page."""
    match = re.search(r'id="invite-link" type="text" readonly value="([^"]+)"', page)
    assert match, "the people page shows no invitation link"
    return match.group(1).rsplit("/invite/", 1)[1]


def _fresh(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


# ---- the permission table ----------------------------------------------------------------------

ADMIN_ACTIONS = [
    ("GET", "/admin/people", {}),
    ("POST", "/admin/people/invite", {"email": "new@example.com", "role": ["writer"]}),
    ("POST", "/admin/people/{target}/roles", {"role": ["writer", "reviewer"]}),
    ("POST", "/admin/people/{target}/active", {"active": "0"}),
]
ACCOUNT_ACTIONS = [
    ("GET", "/account/", {}),
    ("POST", "/account/name", {"display_name": "A New Name"}),
    ("POST", "/account/password", {"current_password": PASSWORD, "password": NEW_PASSWORD}),
    ("GET", "/account/tokens", {}),
    ("POST", "/account/tokens", {"name": "my agent"}),
]
WHO = {
    "anonymous": None,
    "writer": (Role.WRITER,),
    "reviewer": (Role.REVIEWER,),
    "admin": (Role.ADMIN,),
}


@pytest.fixture
def web(make_app):
    """CSRF off, and no app context held open: each request gets its own, as in production.

    (The ``app`` fixture keeps one pushed, which the test client's requests then share, and
    with it ``flask.g``: Flask-Login's cached user and Flask-WTF's CSRF token would leak from
    one request or client to the next and hide sign-outs.)
    """
    return make_app(WTF_CSRF_ENABLED=False)


def _as(app, client, who):
    """Sign ``client`` in as ``who`` (a key of WHO); make a target account to act on."""
    with app.app_context():
        target = _user("target@example.com", Role.WRITER, name="Tess Target").id
        if WHO[who] is not None:
            _user(f"{who}@example.com", *WHO[who])
    if WHO[who] is not None:
        _login(client, f"{who}@example.com")
    return target


def _call(client, method, path, data, target):
    return client.open(path.format(target=target), method=method, data=data)


def _target_untouched(app, target):
    with app.app_context():
        user = db.session.get(User, target)
        assert user.active and user.roles == {Role.WRITER}
        assert user.display_name == "Tess Target"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


@pytest.mark.parametrize("method,path,data", ADMIN_ACTIONS + ACCOUNT_ACTIONS)
def test_anonymous_is_sent_to_sign_in(web, method, path, data):
    client = web.test_client()
    target = _as(web, client, "anonymous")
    response = _call(client, method, path, data, target)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    _target_untouched(web, target)


@pytest.mark.parametrize("who", ["writer", "reviewer"])
@pytest.mark.parametrize("method,path,data", ADMIN_ACTIONS)
def test_non_admins_are_refused_the_admin_pages(web, who, method, path, data):
    client = web.test_client()
    target = _as(web, client, who)
    response = _call(client, method, path, data, target)
    assert response.status_code == 403
    _target_untouched(web, target)


ADMIN_EXPECTED = {
    "/admin/people": (200, None),
    "/admin/people/invite": (200, None),
    "/admin/people/{target}/roles": (302, "/admin/people"),
    "/admin/people/{target}/active": (302, "/admin/people"),
}


@pytest.mark.parametrize("method,path,data", ADMIN_ACTIONS)
def test_admins_use_the_admin_pages(web, method, path, data):
    client = web.test_client()
    target = _as(web, client, "admin")
    response = _call(client, method, path, data, target)
    status, location = ADMIN_EXPECTED[path]
    assert response.status_code == status, response.get_data(as_text=True)
    if location:
        assert response.headers["Location"] == location
    with web.app_context():
        user = db.session.get(User, target)
        if path.endswith("/roles"):
            assert user.roles == {Role.WRITER, Role.REVIEWER}
        if path.endswith("/active"):
            assert not user.active
        if path.endswith("/invite"):
            assert "new@example.com" in response.get_data(as_text=True)
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 1


ACCOUNT_EXPECTED = {
    "/account/": (200, None),
    "/account/name": (302, "/account/"),
    "/account/password": (302, "/account/"),
    "/account/tokens": (200, None),
}


@pytest.mark.parametrize("who", ["writer", "reviewer", "admin"])
@pytest.mark.parametrize("method,path,data", ACCOUNT_ACTIONS)
def test_everyone_signed_in_uses_their_account(web, who, method, path, data):
    client = web.test_client()
    target = _as(web, client, who)
    response = _call(client, method, path, data, target)
    status, location = ACCOUNT_EXPECTED[path]
    assert response.status_code == status, response.get_data(as_text=True)
    if location:
        assert response.headers["Location"] == location
    with web.app_context():
        me = accounts.find_user(f"{who}@example.com")
        if path.endswith("/name"):
            assert me.display_name == "A New Name"
        if path.endswith("/password"):
            assert accounts.authenticate(me.email, NEW_PASSWORD) is not None
    # Still signed in afterwards, and nothing happened to anyone else.
    assert client.get("/account/").status_code == 200
    _target_untouched(web, target)


# ---- first run ---------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(make_app):
    """CSRF on, as in production, and no app context held open (see ``web``)."""
    return make_app()


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()


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
        "csrf_token": _csrf(csrf_client, "/setup"),
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
    form = form | {"email": "second@example.com", "csrf_token": _csrf(other, "/login")}
    assert other.post("/setup", data=form).status_code == 404
    with csrf_app.app_context():
        assert accounts.find_user("second@example.com") is None
        with pytest.raises(Conflict):
            people.create_first_admin("third@example.com", "Third", PASSWORD)


def test_setup_refuses_a_bad_password_and_keeps_what_was_typed(csrf_app, csrf_client):
    response = csrf_client.post(
        "/setup",
        data={
            "email": "first@example.com",
            "name": "Fiona First",
            "password": "password123",
            "csrf_token": _csrf(csrf_client, "/setup"),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "one of the most common passwords" in page
    assert 'value="first@example.com"' in page
    assert 'value="Fiona First"' in page
    with csrf_app.app_context():
        assert not people.has_users()
    assert csrf_client.get("/setup").status_code == 200


def test_setup_without_csrf_token_makes_nobody(csrf_app, csrf_client):
    response = csrf_client.post(
        "/setup", data={"email": "first@example.com", "name": "Fiona", "password": PASSWORD}
    )
    assert response.status_code == 400
    with csrf_app.app_context():
        assert not people.has_users()


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
    _login(client, "cli@example.com")
    assert client.get("/admin/people").status_code == 200


# ---- invitations -------------------------------------------------------------------------------


def _csrf_login(client, email, password=PASSWORD):
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": _csrf(client, "/login")},
    )
    assert response.status_code == 302
    return response


def test_an_invitation_makes_an_account_once(csrf_app, csrf_client):
    with csrf_app.app_context():
        _admin()
    _csrf_login(csrf_client, "admin@example.com")
    response = csrf_client.post(
        "/admin/people/invite",
        data={
            "email": "Newbie@Example.com",
            "role": ["writer", "reviewer"],
            "csrf_token": _csrf(csrf_client, "/admin/people"),
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
            "csrf_token": _csrf(invited, f"/invite/{token}"),
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
        data={"name": "Mallory", "password": NEW_PASSWORD, "csrf_token": _csrf(again, "/login")},
    )
    assert resent.status_code == 410
    assert "used already" in resent.get_data(as_text=True)
    with csrf_app.app_context():
        assert accounts.find_user("newbie@example.com").display_name == "Nina Newbie"


def test_accepting_twice_through_the_function_is_refused(app):
    admin = _admin()
    _, token = people.invite("twice@example.com", [Role.WRITER], admin)
    people.accept(token, "Once", PASSWORD)
    db.session.commit()
    with pytest.raises(Conflict, match="used already"):
        people.accept(token, "Twice", PASSWORD)


def test_an_expired_invitation_is_refused(client):
    admin = _admin()
    _, token = people.invite(
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
    admin = _admin()
    _, token = people.invite("soon@example.com", [Role.WRITER], admin)
    db.session.commit()
    with pytest.raises(Conflict, match="expired"):
        people.accept(token, "Soon", PASSWORD, now=utcnow() + timedelta(days=7, minutes=1))
    assert people.accept(token, "Soon", PASSWORD, now=utcnow() + timedelta(days=6)).active


def test_an_unknown_invitation_is_not_valid(client):
    _admin()
    for token in ("nonsense", "x" * 43):
        response = client.get(f"/invite/{token}")
        assert response.status_code == 410
        assert "not valid" in response.get_data(as_text=True)


def test_inviting_an_existing_email_is_refused_next_to_the_field(client):
    _admin()
    _user("taken@example.com")
    _login(client, "admin@example.com")
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
    _admin()
    _login(client, "admin@example.com")
    no_role = client.post("/admin/people/invite", data={"email": "a@example.com"})
    assert no_role.status_code == 422
    assert "at least one role" in no_role.get_data(as_text=True)
    bad = client.post("/admin/people/invite", data={"email": "not-an-email", "role": ["writer"]})
    assert bad.status_code == 422
    assert 'id="invite-email-error"' in bad.get_data(as_text=True)


def test_accepting_with_a_bad_password_keeps_the_name(client):
    admin = _admin()
    _, token = people.invite("weak@example.com", [Role.WRITER], admin)
    db.session.commit()
    response = client.post(f"/invite/{token}", data={"name": "Wes Weak", "password": "short"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "at least 8 characters" in page
    assert 'value="Wes Weak"' in page
    assert accounts.find_user("weak@example.com") is None
    assert client.get(f"/invite/{token}").status_code == 200  # still usable


def test_an_invitation_for_an_email_that_got_an_account_meanwhile(client):
    admin = _admin()
    _, token = people.invite("twice@example.com", [Role.WRITER], admin)
    db.session.commit()
    _user("twice@example.com", name="Got In First")
    response = client.post(f"/invite/{token}", data={"name": "Late", "password": PASSWORD})
    assert response.status_code == 422
    assert "already has an account" in response.get_data(as_text=True)
    assert accounts.find_user("twice@example.com").display_name == "Got In First"


def test_accepting_needs_a_name(client):
    admin = _admin()
    _, token = people.invite("nameless@example.com", [Role.WRITER], admin)
    db.session.commit()
    response = client.post(f"/invite/{token}", data={"name": "  ", "password": PASSWORD})
    assert response.status_code == 422
    assert "A display name is required" in response.get_data(as_text=True)
    assert accounts.find_user("nameless@example.com") is None


# ---- roles and deactivation guards -------------------------------------------------------------


def _flashes(response):
    return re.findall(
        r'<p class="flash[^"]*" role="status">([^<]*)</p>', response.get_data(as_text=True)
    )


def test_an_admin_cannot_remove_their_own_admin_role(client):
    admin = _admin()
    _login(client, "admin@example.com")
    response = client.post(
        f"/admin/people/{admin.id}/roles", data={"role": ["writer"]}, follow_redirects=True
    )
    assert any("cannot remove your own admin role" in m for m in _flashes(response))
    assert _fresh(admin).has_role(Role.ADMIN)


def test_the_last_admin_cannot_be_deactivated_nor_deactivate_themselves(client):
    admin = _admin()
    _login(client, "admin@example.com")
    response = client.post(
        f"/admin/people/{admin.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert any("cannot deactivate your own account" in m for m in _flashes(response))
    assert _fresh(admin).active
    assert client.get("/admin/people").status_code == 200


def test_the_last_admin_guard_in_the_functions(app):
    admin = _admin()
    other = _user("other@example.com", Role.ADMIN)
    # other, the only other admin, deactivates admin: fine; then admin is not counted.
    people.change_active(admin, False, other)
    db.session.commit()
    with pytest.raises(InvalidInput, match="yourself|own"):
        people.change_active(other, False, other)
    with pytest.raises(InvalidInput, match="own admin role"):
        people.change_roles(other, [Role.WRITER], other)
    assert other.active and other.has_role(Role.ADMIN)


def test_with_two_admins_one_demotes_the_other(client):
    admin = _admin()
    other = _user("other@example.com", Role.ADMIN, Role.WRITER, name="Otto Other")
    _login(client, "admin@example.com")
    response = client.post(
        f"/admin/people/{other.id}/roles", data={"role": ["writer"]}, follow_redirects=True
    )
    assert any("Roles of Otto Other saved" in m for m in _flashes(response))
    assert _fresh(other).roles == {Role.WRITER}
    # Now admin is the last one: still cannot lose the role or be deactivated.
    response = client.post(
        f"/admin/people/{admin.id}/roles", data={"role": ["writer"]}, follow_redirects=True
    )
    assert any("Roles not changed" in m for m in _flashes(response))
    assert _fresh(admin).has_role(Role.ADMIN)


def test_an_admin_deactivates_and_reactivates_another_admin(client):
    _admin()
    other = _user("other@example.com", Role.ADMIN, name="Otto Other")
    _login(client, "admin@example.com")
    response = client.post(
        f"/admin/people/{other.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert any("Otto Other deactivated" in m for m in _flashes(response))
    assert not _fresh(other).active
    assert "deactivated" in client.get("/admin/people").get_data(as_text=True)
    client.post(f"/admin/people/{other.id}/active", data={"active": "1"})
    assert _fresh(other).active


def test_an_unknown_person_is_404(client):
    _admin()
    _login(client, "admin@example.com")
    assert client.post("/admin/people/9999/roles", data={"role": ["writer"]}).status_code == 404
    assert client.post("/admin/people/9999/active", data={"active": "0"}).status_code == 404


def test_the_people_page_lists_roles_and_last_sign_in(client):
    _admin()
    _user("never@example.com", Role.REVIEWER, name="Nev Never")
    _login(client, "admin@example.com")
    page = client.get("/admin/people").get_data(as_text=True)
    assert "Nev Never" in page and "never@example.com" in page
    assert "Never" in page  # Nev has not signed in
    assert "UTC" in page  # the admin just did


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
    _user("me@example.com")
    _login(client, "me@example.com")
    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": "Sunshine1"}
    )
    assert response.status_code == 422
    assert "most common passwords" in response.get_data(as_text=True)
    assert accounts.authenticate("me@example.com", PASSWORD) is not None


def test_a_seven_character_password_is_refused_and_eight_accepted(client):
    _user("me@example.com")
    _login(client, "me@example.com")
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
    _user("me@example.com", password=long)
    _login(client, "me@example.com", long)
    assert client.get("/").status_code == 200


# ---- my account --------------------------------------------------------------------------------


def test_change_name(client):
    _user("me@example.com", name="Old Name")
    _login(client, "me@example.com")
    response = client.post(
        "/account/name", data={"display_name": "  New   Name "}, follow_redirects=True
    )
    assert "Name saved" in response.get_data(as_text=True)
    assert accounts.find_user("me@example.com").display_name == "New Name"


def test_a_blank_name_is_refused_and_the_typed_text_kept(client):
    _user("me@example.com", name="Old Name")
    _login(client, "me@example.com")
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
    _user("me@example.com")
    _login(client, "me@example.com")
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
        _user("me@example.com")
    first, second = web.test_client(), web.test_client()
    _login(first, "me@example.com")
    _login(second, "me@example.com")
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
        _user("me@example.com", name="Old Name")
    _csrf_login(csrf_client, "me@example.com")
    refused = csrf_client.post("/account/name", data={"display_name": "No Token"})
    assert refused.status_code == 400
    token = _csrf(csrf_client, "/account/")
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


# ---- deactivated users -------------------------------------------------------------------------


def _history(user_id):
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.actor_id == user_id)
    )


def test_a_deactivated_user_is_locked_out_but_their_work_stays(web):
    with web.app_context():
        admin = _admin().id
        writer = _user("writer@example.com", Role.WRITER)
        post = posts.create_post(parse_post(sample()), writer).id
        _, api_token = tokens.create_token(writer, "agent")
        db.session.commit()
        writer = writer.id
        history_before = _history(writer)
    assert history_before > 0
    api = web.test_client()
    headers = {"Authorization": f"Bearer {api_token}"}
    assert api.get("/api/v1/posts", headers=headers).status_code == 200
    client = web.test_client()
    _login(client, "writer@example.com")
    assert client.get("/").status_code == 200

    with web.app_context():
        people.change_active(db.session.get(User, writer), False, db.session.get(User, admin))
        db.session.commit()

    session = client.get("/")
    assert session.status_code == 302
    assert session.headers["Location"].startswith("/login")
    refused = web.test_client().post(
        "/login", data={"email": "writer@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 200
    assert "do not match an active account" in refused.get_data(as_text=True)
    assert api.get("/api/v1/posts", headers=headers).status_code == 401
    with web.app_context():
        assert accounts.authenticate("writer@example.com", PASSWORD) is None
        assert tokens.user_for_token(api_token) is None
        # Their posts and history remain.
        assert db.session.get(Post, post).author_id == writer
        assert _history(writer) == history_before
        assert db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "user.deactivated")
        )
        # Reactivated, they may sign in again, but the old session stays ended.
        people.change_active(db.session.get(User, writer), True, db.session.get(User, admin))
        db.session.commit()
    assert client.get("/").status_code == 302
    _login(web.test_client(), "writer@example.com")
