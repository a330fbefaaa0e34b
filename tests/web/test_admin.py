"""The People pages through the test client: who may use the admin and account pages, the
roles and deactivation guards, and a deactivated user locked out with their work kept."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from editorial.domain.errors import InvalidInput
from editorial.domain.interchange import parse_post
from editorial.models import AuditEvent, Invitation, Post, Role, User, db
from editorial.operations import accounts, posts, tokens
from tests.conftest import PASSWORD, sample
from tests.helpers.accounts import NEW_PASSWORD, add_admin, add_user, sign_in_as


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


def _as(app, client, who):
    """Sign ``client`` in as ``who`` (a key of WHO); make a target account to act on."""
    with app.app_context():
        target = add_user("target@example.com", Role.WRITER, name="Tess Target").id
        if WHO[who] is not None:
            add_user(f"{who}@example.com", *WHO[who])
    if WHO[who] is not None:
        sign_in_as(client, f"{who}@example.com")
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


# ---- roles and deactivation guards -------------------------------------------------------------


def _flashes(response):
    return re.findall(
        r'<p class="flash[^"]*" role="status">([^<]*)</p>', response.get_data(as_text=True)
    )


def test_an_admin_cannot_remove_their_own_admin_role(client):
    admin = add_admin()
    sign_in_as(client, "admin@example.com")
    response = client.post(
        f"/admin/people/{admin.id}/roles", data={"role": ["writer"]}, follow_redirects=True
    )
    assert any("cannot remove your own admin role" in m for m in _flashes(response))
    assert _fresh(admin).has_role(Role.ADMIN)


def test_the_last_admin_cannot_be_deactivated_nor_deactivate_themselves(client):
    admin = add_admin()
    sign_in_as(client, "admin@example.com")
    response = client.post(
        f"/admin/people/{admin.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert any("cannot deactivate your own account" in m for m in _flashes(response))
    assert _fresh(admin).active
    assert client.get("/admin/people").status_code == 200


def test_the_last_admin_guard_in_the_functions(app):
    admin = add_admin()
    other = add_user("other@example.com", Role.ADMIN)
    # other, the only other admin, deactivates admin: fine; then admin is not counted.
    accounts.set_active(admin, False, other)
    db.session.commit()
    with pytest.raises(InvalidInput, match="yourself|own"):
        accounts.set_active(other, False, other)
    with pytest.raises(InvalidInput, match="own admin role"):
        accounts.set_roles(other, [Role.WRITER], other)
    assert other.active and other.has_role(Role.ADMIN)


def test_with_two_admins_one_demotes_the_other(client):
    admin = add_admin()
    other = add_user("other@example.com", Role.ADMIN, Role.WRITER, name="Otto Other")
    sign_in_as(client, "admin@example.com")
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
    add_admin()
    other = add_user("other@example.com", Role.ADMIN, name="Otto Other")
    sign_in_as(client, "admin@example.com")
    response = client.post(
        f"/admin/people/{other.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert any("Otto Other deactivated" in m for m in _flashes(response))
    assert not _fresh(other).active
    assert "deactivated" in client.get("/admin/people").get_data(as_text=True)
    client.post(f"/admin/people/{other.id}/active", data={"active": "1"})
    assert _fresh(other).active


def test_an_unknown_person_is_404(client):
    add_admin()
    sign_in_as(client, "admin@example.com")
    assert client.post("/admin/people/9999/roles", data={"role": ["writer"]}).status_code == 404
    assert client.post("/admin/people/9999/active", data={"active": "0"}).status_code == 404


def test_the_people_page_lists_roles_and_last_sign_in(client):
    add_admin()
    add_user("never@example.com", Role.REVIEWER, name="Nev Never")
    sign_in_as(client, "admin@example.com")
    page = client.get("/admin/people").get_data(as_text=True)
    assert "Nev Never" in page and "never@example.com" in page
    assert "Never" in page  # Nev has not signed in
    assert "UTC" in page  # the admin just did


# ---- deactivated users -------------------------------------------------------------------------


def _history(user_id):
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.actor_id == user_id)
    )


def test_a_deactivated_user_is_locked_out_but_their_work_stays(web):
    with web.app_context():
        admin = add_admin().id
        writer = add_user("writer@example.com", Role.WRITER)
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
    sign_in_as(client, "writer@example.com")
    assert client.get("/").status_code == 200

    with web.app_context():
        accounts.set_active(db.session.get(User, writer), False, db.session.get(User, admin))
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
        accounts.set_active(db.session.get(User, writer), True, db.session.get(User, admin))
        db.session.commit()
    assert client.get("/").status_code == 302
    sign_in_as(web.test_client(), "writer@example.com")
