"""E-mail for notifications, sent by the Celery worker (only when MAIL_SERVER is set)."""

from __future__ import annotations

import smtplib
import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from celery import shared_task
from flask import current_app

from editorial.models import Invitation, Notification, db, utcnow

SUBJECT_WIDTH = 120  # characters of the message in a subject line, before "[Site title] "


@contextmanager
def connection(config: Mapping[str, Any]) -> Iterator[smtplib.SMTP]:
    """An SMTP connection to MAIL_SERVER, with TLS and login as configured."""
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        yield smtp


def message_to(config: Mapping[str, Any], to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text e-mail from MAIL_FROM, its subject after the site's title."""
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = f"[{config['SITE_TITLE']}] {subject}"
    message.set_content(body)
    return message


def _send(config: dict, to: str, subject: str, body: str) -> None:
    with connection(config) as smtp:
        smtp.send_message(message_to(config, to, subject, body))


@shared_task(
    name="editorial.mail.send_invitation",
    ignore_result=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=6,
)
def send_invitation(invitation_id: int, link: str) -> None:
    """E-mail an invitation link; nothing once the invitation is used or expired."""
    config = current_app.config
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.used_at is not None or not config.get("MAIL_SERVER"):
        return
    if invitation.expires_at <= utcnow():
        return
    body = (
        f"You are invited to {config['SITE_TITLE']} ({', '.join(invitation.roles)}).\n\n"
        f"Choose your name and password here (the link works once, until "
        f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n\n{link}\n"
    )
    _send(config, invitation.email, "Your invitation", body)


def subject_of(message: str, width: int = SUBJECT_WIDTH) -> str:
    """A notification's message as a subject line: whole words, "…" where it was cut."""
    return textwrap.shorten(message, width=width, placeholder=" …")


@shared_task(
    name="editorial.mail.send_notification",
    ignore_result=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=6,
)
def send_notification(notification_id: int) -> None:
    """E-mail one notification to its user; a second run of the same task sends nothing."""
    config = current_app.config
    note = db.session.get(Notification, notification_id)
    if note is None or note.emailed_at is not None or not config.get("MAIL_SERVER"):
        return
    recipient = note.user
    if not recipient.active:
        return
    body = note.message
    if note.post_id is not None and config.get("DESK_URL"):
        body += f"\n\n{config['DESK_URL'].rstrip('/')}/notifications"
    _send(config, recipient.email, subject_of(note.message), body + "\n")
    note.emailed_at = utcnow()
    db.session.commit()
