"""E-mail for notifications, sent by the Celery worker (only when MAIL_SERVER is set)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from celery import shared_task
from flask import current_app

from .models import Notification, db, utcnow


@shared_task(
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
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = recipient.email
    message["Subject"] = f"[{config['SITE_TITLE']}] {note.message[:120]}"
    body = note.message
    if note.post_id is not None and config.get("DESK_URL"):
        body += f"\n\n{config['DESK_URL'].rstrip('/')}/notifications"
    message.set_content(body + "\n")
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
    note.emailed_at = utcnow()
    db.session.commit()
