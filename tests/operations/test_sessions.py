"""Sessions: one per signed-in browser, new at every sign-in, ended by signing out."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from editorial.models import Role, User, UserSession, db, utcnow
from editorial.operations import accounts, sessions
from editorial.tasks import housekeeping
from tests.conftest import PASSWORD
from tests.helpers.accounts import csrf_of
from tests.helpers.queries import statements


@pytest.fixture
def web(web):
    """``web`` (tests/conftest.py: CSRF off, no app context held open, so that nothing cached
    in flask.g carries from one request to the next), with a writer's account."""
    with web.app_context():
        accounts.create_user("writer@example.com", "Wren Writer", PASSWORD, [Role.WRITER])
        db.session.commit()
    return web


def _sign_in(client):
    response = client.post("/login", data={"email": "writer@example.com", "password": PASSWORD})
    assert response.status_code == 302
    return client.get_cookie("session").value


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_a_kept_cookie_no_longer_works_after_signing_out(web):
    browser = web.test_client()
    cookie = _sign_in(browser)
    assert _signed_in(browser)
    assert browser.post("/logout").status_code == 302
    assert not _signed_in(browser)
    # Someone who copied the cookie before the sign-out cannot use it afterwards.
    thief = web.test_client()
    thief.set_cookie("session", cookie)
    assert not _signed_in(thief)


def test_each_sign_in_gets_a_new_session_id(web):
    first, second = web.test_client(), web.test_client()
    _sign_in(first)
    _sign_in(second)
    with web.app_context():
        ids = db.session.scalars(sa.select(UserSession.id)).all()
    assert len(set(ids)) == 2
    # Signing out one browser leaves the other signed in.
    first.post("/logout")
    assert not _signed_in(first)
    assert _signed_in(second)


def test_a_session_id_from_before_sign_in_is_worth_nothing(web):
    browser = web.test_client()
    _sign_in(browser)
    with web.app_context():
        (before,) = db.session.scalars(sa.select(UserSession.id)).all()
    browser.post("/logout")
    _sign_in(browser)
    with web.app_context():
        rows = db.session.scalars(sa.select(UserSession)).all()
        live = [r.id for r in rows if r.ended_at is None]
    assert before not in live and len(live) == 1


def test_deactivation_ends_every_session(web):
    browser = web.test_client()
    _sign_in(browser)
    with web.app_context():
        accounts.set_active(accounts.find_user("writer@example.com"), False)
        db.session.commit()
        assert all(r.ended_at for r in db.session.scalars(sa.select(UserSession)))
    assert not _signed_in(browser)


def _age(app, days: int, *where: object) -> None:
    """Move the sign-in of every session (or those ``where`` says) ``days`` into the past."""
    with app.app_context():
        db.session.execute(
            sa.update(UserSession).where(*where).values(created_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()


@pytest.mark.parametrize("remember", [False, True], ids=["session", "keep-me-signed-in"])
def test_a_sign_in_lasts_session_days_at_most(make_app, remember):
    app = make_app(WTF_CSRF_ENABLED=False, SESSION_DAYS=7)
    with app.app_context():
        accounts.create_user("writer@example.com", "Wren Writer", PASSWORD, [Role.WRITER])
        db.session.commit()
    browser = app.test_client()
    data = {"email": "writer@example.com", "password": PASSWORD}
    response = browser.post("/login", data=data | ({"remember": "y"} if remember else {}))
    assert response.status_code == 302

    def restart_browser_if_remembered() -> None:
        # Closing the browser drops the session cookie; "keep me signed in" signs in again.
        if remember:
            browser.delete_cookie("session")

    _age(app, 6)
    restart_browser_if_remembered()
    assert _signed_in(browser)
    _age(app, 8)
    restart_browser_if_remembered()
    response = browser.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_daily_sweep_deletes_ended_and_expired_sessions(web):
    ended, expired, live = web.test_client(), web.test_client(), web.test_client()
    _sign_in(ended)
    ended.post("/logout")  # ended today: deleted for having ended, not for its age
    _sign_in(expired)
    _age(web, 31, UserSession.ended_at.is_(None))
    _sign_in(live)
    with web.app_context():
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 3
        assert housekeeping.prune_sessions.run() == 2
        (kept,) = db.session.scalars(sa.select(UserSession)).all()
        assert kept.ended_at is None
    assert _signed_in(live) and not _signed_in(expired)
    schedule = web.config["CELERY"]["beat_schedule"].values()
    assert "editorial.housekeeping.prune_sessions" in {entry["task"] for entry in schedule}


def test_a_csrf_token_from_before_sign_in_is_worthless_after(make_app):
    app = make_app()  # CSRF on
    with app.app_context():
        accounts.create_user("writer@example.com", "Wren Writer", PASSWORD, [Role.WRITER])
        db.session.commit()
    browser = app.test_client()
    before = csrf_of(browser, "/login")
    data = {"email": "writer@example.com", "password": PASSWORD, "csrf_token": before}
    assert browser.post("/login", data=data).status_code == 302
    stale = browser.post("/account/name", data={"display_name": "X", "csrf_token": before})
    assert stale.status_code == 400
    fresh = csrf_of(browser, "/account/")
    assert fresh != before
    renamed = browser.post("/account/name", data={"display_name": "Wren", "csrf_token": fresh})
    assert renamed.status_code == 302


def test_a_signed_in_request_finds_its_session_user_roles_and_unread_count_in_one_statement(
    web,
):
    """Every signed-in page pays for this first: the session with its user, the user's roles
    and the header's unread count, all read fresh (a role taken away counts at once)."""
    with web.app_context():
        user = db.session.scalar(sa.select(User).filter_by(email="writer@example.com"))
        session_id = sessions.start(user)
        db.session.commit()
        db.session.remove()
        with statements() as seen:
            found = sessions.load(session_id, timedelta(days=1))
            assert found.email == "writer@example.com" and found.has_role(Role.WRITER)
            assert found.unread_notifications == 0
        reads = [sql for sql in seen if sql.lstrip().startswith("SELECT")]
        assert len(reads) == 1, "\n".join(reads)
