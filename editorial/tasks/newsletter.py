"""The newsletter's Celery tasks, thin over ``operations.newsletter`` and
``operations.subscriptions``: ids in, the database re-read, the commits here.

Each newsletter carries a manage link and RFC 8058 one-click unsubscribe (``List-Unsubscribe``
and ``List-Unsubscribe-Post``). A delivery is marked sent, and committed, as soon as SMTP has
taken it; its Message-ID is fixed by the delivery, so the one message that a worker killed
between SMTP's answer and that commit sends again is the same message to the mail system.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from celery import shared_task
from flask import current_app

from editorial.models import Mailing, MailingKind, Revision, Subscriber, db
from editorial.operations import newsletter, subscriptions
from editorial.tasks.mail import connection, message_to

RETRY = {
    "ignore_result": True,
    "autoretry_for": (OSError, smtplib.SMTPException),
    "retry_backoff": True,
    "max_retries": 8,
}


def desk_link(path: str) -> str:
    return current_app.config["DESK_URL"].rstrip("/") + path


def _footer(token: str) -> str:
    return (
        "\n\n-- \nYou get this because you subscribed at "
        f"{current_app.config['SITE_URL']}\n"
        f"Change what you receive: {desk_link(f'/subscription/{token}')}\n"
        f"Unsubscribe: {desk_link(f'/subscription/{token}/unsubscribe')}\n"
    )


@shared_task(name="editorial.newsletter.send_subscription_email", **RETRY)
def send_subscription_email(subscriber_id: int, kind: str, token: str | None) -> None:
    """The confirmation e-mail (``confirm``), or the note to a confirmed subscriber who asked
    again (``already``); nothing if the subscriber has gone or moved on since."""
    config = current_app.config
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is None or not config.get("MAIL_SERVER"):
        return
    site = config["SITE_TITLE"]
    if kind == "confirm":
        if subscriber.confirm_token_hash is None:
            return  # confirmed or unsubscribed since
        body = (
            f"Someone, probably you, asked to receive new rankings from {site} at this "
            "address. To confirm, open this link (it works once, for two days):\n\n"
            f"{desk_link(f'/subscribe/confirm/{token}')}\n\n"
            "If it was not you, ignore this e-mail: you will receive nothing more.\n"
        )
        subject = "Confirm your subscription"
    else:
        body = (
            f"Someone, probably you, asked to subscribe this address to {site}. It is "
            "subscribed already; nothing has changed.\n\n"
            f"Change what you receive, or unsubscribe: "
            f"{desk_link(f'/subscription/{subscriptions.manage_token(subscriber)}')}\n"
        )
        subject = "You are subscribed already"
    db.session.commit()  # a manage token's hash renewed after a change of SECRET_KEY
    with connection(config) as smtp:
        smtp.send_message(message_to(config, subscriber.address, subject, body))


def _post_url(mailing: Mailing) -> str:
    return f"{current_app.config['SITE_URL']}posts/{mailing.post.public_slug}/"


def text_of(mailing: Mailing, content: dict[str, Any]) -> tuple[str, str]:
    """The mailing's subject and body, the same for every subscriber."""
    title = content.get("title", "")
    if mailing.kind == MailingKind.NEW:
        body = f"{title}\n\n{content.get('summary', '')}\n\nRead it: {_post_url(mailing)}"
        return f"New: {title}", body
    if mailing.kind == MailingKind.CORRECTION:
        note = content.get("correction") or ""  # as the writer wrote it (Markdown reads as text)
        body = (
            f"A ranking you were sent has been corrected: {title}\n\n{note}\n\n"
            f"Read it: {_post_url(mailing)}"
        )
        return f"Correction: {title}", body
    body = f"A ranking you were sent has been retracted and is no longer on the site: {title}"
    return f"Retracted: {title}", body


def compose(
    text: tuple[str, str], mailing_id: int, delivery_id: int, address: str, token: str
) -> EmailMessage:
    """One newsletter for one subscriber, with its manage link and unsubscribe headers."""
    config = current_app.config
    subject, body = text
    message = message_to(config, address, subject, body + _footer(token))
    domain = config["MAIL_FROM"].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<newsletter.{mailing_id}.{delivery_id}@{domain}>"
    message["List-Unsubscribe"] = f"<{desk_link(f'/subscription/{token}/unsubscribe')}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    return message


def send_batches(mailing_id: int) -> int:
    """Plan the mailing's deliveries once, then send them a claimed batch at a time; how many
    this run sent. Running it again, or on two workers at once, sends nobody twice."""
    config = current_app.config
    mailing = db.session.get(Mailing, mailing_id, with_for_update=True)  # one planner at a time
    if mailing is None or mailing.finished_at is not None or not config.get("MAIL_SERVER"):
        db.session.rollback()
        return 0
    newsletter.plan_deliveries(mailing)
    db.session.commit()  # the recipients are fixed before anyone is sent anything
    text = text_of(mailing, db.session.get(Revision, mailing.publication.revision_id).content)
    sent = 0
    while batch := newsletter.claim_batch(mailing):
        recipients = [
            (d.id, d.subscriber.address, subscriptions.manage_token(d.subscriber)) for d in batch
        ]
        db.session.commit()  # the claim holds while we send
        with connection(config) as smtp:
            for delivery_id, address, token in recipients:
                smtp.send_message(compose(text, mailing_id, delivery_id, address, token))
                newsletter.mark_sent(delivery_id)
                db.session.commit()  # at once: a worker that dies now sends this one again
                sent += 1
    newsletter.finish_if_sent(mailing)
    db.session.commit()
    return sent


@shared_task(name="editorial.newsletter.send_mailing", acks_late=True, **RETRY)
def send_mailing(mailing_id: int) -> None:
    """Send one mailing to its recipients (see ``send_batches``)."""
    try:
        send_batches(mailing_id)
    except BaseException:
        db.session.rollback()
        raise


@shared_task(name="editorial.newsletter.sweep", ignore_result=True)
def sweep() -> int:
    """Send again the mailings left unfinished with no worker at them (the outbox's net)."""
    ids = newsletter.unfinished()
    db.session.rollback()
    newsletter.send(ids)
    return len(ids)
