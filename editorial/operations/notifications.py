"""Notifications: rows in the desk, and an e-mail each when mail is configured.

``notify`` only adds rows (it flushes, never commits, like every operation). The e-mails are
queued by an ``after_commit`` hook, so the worker never looks for a row that is not there yet,
and a rolled-back change sends nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from editorial.celery_app import queue_task
from editorial.models import Invitation, Notification, Post, Role, User, UserRole, db, utcnow

_PENDING = "editorial.notifications_to_mail"
# The tasks in tasks.mail, by their pinned names.
SEND_NOTIFICATION = "editorial.mail.send_notification"
SEND_INVITATION = "editorial.mail.send_invitation"


def notify(user: User, kind: str, message: str, post: Post | None = None) -> Notification:
    """Tell ``user`` something in the desk (and by e-mail after commit, when configured)."""
    return _notify_all([user], kind, message, post)[0]


def _notify_all(
    users: list[User], kind: str, message: str, post: Post | None
) -> list[Notification]:
    # One flush for all of them (each would otherwise be a round trip of its own).
    now = utcnow()
    notes = [
        Notification(user_id=user.id, post=post, kind=kind, message=message[:500], created_at=now)
        for user in users
    ]
    db.session.add_all(notes)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).extend(note.id for note in notes)
    return notes


def notify_reviewers(post: Post, message: str, kind: str = "queue") -> None:
    """Tell every active reviewer but the post's author (who cannot review it); ``kind`` says
    where the notification leads ("queue": the post's review page; "due": the due list)."""
    reviewers = db.session.scalars(
        sa.select(User)
        .join(UserRole)
        .where(UserRole.role == Role.REVIEWER, User.active, User.id != post.author_id)
    ).all()
    if reviewers:
        _notify_all(list(reviewers), kind, message, post)


def mark_all_read(user: User) -> None:
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


def email_invitation(invitation: Invitation, link: str) -> None:
    """Queue the e-mail that carries an invitation's link; call it once the invitation is
    committed. Raises when the broker cannot take it (the caller then shows the link)."""
    queue_task(SEND_INVITATION, invitation.id, link)


@sa.event.listens_for(Session, "after_commit")
def _mail_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (bulk actions): the real commit is still to come
    ids = session.info.pop(_PENDING, None)
    if not ids or not current_app or not current_app.config.get("MAIL_SERVER"):
        return
    for note_id in ids:
        try:
            queue_task(SEND_NOTIFICATION, note_id)
        except Exception:  # noqa: BLE001 - the broker being down must not undo the commit
            current_app.logger.exception("Could not queue the e-mail for notification %s", note_id)


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    # A savepoint rolled back keeps what the rest of the transaction owes; a row of its own
    # that stays queued is harmless: the task finds no notification and does nothing.
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)
