"""Signed-in sessions, one row per browser: started at sign-in, ended at sign-out. Verbs flush."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from editorial.models import User, UserSession, db, utcnow


def start(user: User) -> str:
    """A new session for ``user`` (a new id at every sign-in); returns its id."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=session_id, user_id=user.id, created_at=utcnow()))
    db.session.flush()
    user.session_id = session_id
    return session_id


def load(session_id: str, max_age: timedelta, now: datetime | None = None) -> User | None:
    """The active user of a session that has neither ended nor outlived ``max_age``, or None."""
    if not session_id or len(session_id) > 64:
        return None
    # The session, its user, the user's roles and unread count in one statement (every
    # signed-in request starts here, and every page shows them).
    user = joinedload(UserSession.user, innerjoin=True)
    row = db.session.get(
        UserSession,
        session_id,
        options=[user.joinedload(User.role_rows), user.undefer(User.unread_notifications)],
    )
    if row is None or row.ended_at is not None or not row.user.active:
        return None
    if row.created_at < (now or utcnow()) - max_age:
        return None
    row.user.session_id = session_id
    return row.user


def end(session_id: str | None) -> None:
    """End one session (signing out): its cookie no longer works, even if kept."""
    if session_id:
        _end(UserSession.id == session_id)


def end_others(user: User, keep: str | None) -> None:
    """End every session of ``user`` but ``keep`` (after a password change)."""
    _end(UserSession.user_id == user.id, UserSession.id != (keep or ""))


def end_all(user: User) -> None:
    """End every session of ``user`` (deactivation)."""
    _end(UserSession.user_id == user.id)


def _end(*where: object) -> None:
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.ended_at.is_(None), *where)
        .values(ended_at=utcnow())
    )
    db.session.flush()


def prune(max_age: timedelta, now: datetime | None = None) -> int:
    """Delete the sessions that have ended or outlived ``max_age``; how many went."""
    cutoff = (now or utcnow()) - max_age
    result = db.session.execute(
        sa.delete(UserSession).where(
            sa.or_(UserSession.ended_at.is_not(None), UserSession.created_at < cutoff)
        )
    )
    db.session.flush()
    return result.rowcount
