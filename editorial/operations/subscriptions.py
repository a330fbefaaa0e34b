"""E-mail subscriptions: subscribe, confirm, change the choice, unsubscribe, remove. Verbs flush.

Double opt-in: ``subscribe`` answers alike whether or not the address is known (the adapter
shows one page for every outcome) and says which e-mail to send, if any: a confirmation for a
new or unconfirmed address, an "already subscribed" note with the manage link for a confirmed
one, and nothing when this address was sent one within ``RESEND_AFTER``. E-mails are queued
after the commit (``editorial.newsletter.send_subscription_email``).

A confirmation token is random, stored as its SHA-256, works once and expires after
``CONFIRM_FOR``. A manage token (in every newsletter's links) is an HMAC of the subscriber's
``manage_salt`` under the app's SECRET_KEY; the database holds only its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, selectinload

from editorial.celery_app import queue_task
from editorial.domain.errors import InvalidInput
from editorial.models import (
    PostTag,
    Subscriber,
    SubscriberStatus,
    SubscriberTag,
    User,
    db,
    utcnow,
)
from editorial.operations.accounts import normalise_email
from editorial.operations.audit import record

CONFIRM_FOR = timedelta(days=2)
RESEND_AFTER = timedelta(hours=1)
MAX_TAGS = 50
SEND_EMAIL = "editorial.newsletter.send_subscription_email"
_TO_SEND = "editorial.subscription_emails"


@dataclass(frozen=True)
class Email:
    """An e-mail ``subscribe`` asks for: ``confirm`` (with its token) or ``already``."""

    subscriber_id: int
    kind: str
    token: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def manage_token(subscriber: Subscriber) -> str:
    """The subscriber's manage token (never stored); re-stores its hash if SECRET_KEY changed."""
    key = current_app.config["SECRET_KEY"].encode()
    token = hmac.new(key, b"manage:" + subscriber.manage_salt.encode(), "sha256").hexdigest()
    if subscriber.manage_token_hash != _digest(token):
        subscriber.manage_token_hash = _digest(token)
        db.session.flush()
    return token


def live_tags() -> dict[str, str]:
    """Tags with a live post, by address: what a reader may choose."""
    rows = db.session.execute(
        sa.select(PostTag.slug, sa.func.min(PostTag.name)).group_by(PostTag.slug)
    )
    return dict(sorted(rows.all(), key=lambda row: row[1].lower()))


def _choice(all_posts: bool, tags: Iterable[str], kept: Iterable[str] = ()) -> set[str]:
    chosen = {t.strip() for t in tags if t.strip()}
    if all_posts:
        return set()
    if not chosen:
        raise InvalidInput.single("tags", "Choose at least one tag, or every new ranking.")
    if len(chosen) > MAX_TAGS:
        raise InvalidInput.single("tags", f"Choose at most {MAX_TAGS} tags.")
    unknown = chosen - set(live_tags()) - set(kept)  # a tag chosen before may have gone
    if unknown:
        raise InvalidInput.single("tags", "Choose tags from the list.")
    return chosen


def _set_choice(subscriber: Subscriber, all_posts: bool, slugs: set[str]) -> None:
    subscriber.all_posts = all_posts
    subscriber.tags = [SubscriberTag(slug=s) for s in sorted(slugs)]


def _new_confirmation(subscriber: Subscriber, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    subscriber.confirm_token_hash = _digest(token)
    subscriber.confirm_expires_at = now + CONFIRM_FOR
    subscriber.confirm_sent_at = now
    return token


def find(address: str) -> Subscriber | None:
    return db.session.scalar(sa.select(Subscriber).where(Subscriber.address == address))


def subscribe(
    address: str, all_posts: bool, tags: Iterable[str] = (), now: datetime | None = None
) -> Email | None:
    """Ask for a subscription; the e-mail to send, if any (queued after the commit)."""
    now = now or utcnow()
    address = normalise_email(address)
    slugs = _choice(all_posts, tags)
    subscriber = find(address)
    if subscriber is None:
        salt = secrets.token_hex(16)
        subscriber = Subscriber(
            address=address,
            status=SubscriberStatus.PENDING,
            created_at=now,
            manage_salt=salt,
            manage_token_hash="",
        )
        _set_choice(subscriber, all_posts, slugs)
        try:
            with db.session.begin_nested():
                db.session.add(subscriber)
                db.session.flush()
        except sa.exc.IntegrityError:  # the same address, subscribed at this very moment
            return None
        manage_token(subscriber)
        return _queue(Email(subscriber.id, "confirm", _new_confirmation(subscriber, now)))
    recent = subscriber.confirm_sent_at is not None and now - subscriber.confirm_sent_at < (
        RESEND_AFTER
    )
    if subscriber.status == SubscriberStatus.CONFIRMED:
        # The choice is changed through the manage link only: the form proves nothing.
        if recent:
            return None
        subscriber.confirm_sent_at = now
        db.session.flush()
        return _queue(Email(subscriber.id, "already"))
    subscriber.status = SubscriberStatus.PENDING
    _set_choice(subscriber, all_posts, slugs)
    db.session.flush()
    if recent:
        return None
    return _queue(Email(subscriber.id, "confirm", _new_confirmation(subscriber, now)))


def _queue(email: Email) -> Email:
    db.session.flush()
    db.session.info.setdefault(_TO_SEND, []).append(email)
    return email


def confirm(token: str, now: datetime | None = None) -> Subscriber | None:
    """Confirm the subscription the token was sent for; None if the token is unknown, used,
    or expired (one answer: the page cannot tell which)."""
    now = now or utcnow()
    if not token or len(token) > 200:
        return None
    subscriber = db.session.scalar(
        sa.select(Subscriber).where(Subscriber.confirm_token_hash == _digest(token))
    )
    if subscriber is None or subscriber.confirm_expires_at <= now:
        return None
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    subscriber.confirm_token_hash = subscriber.confirm_expires_at = None
    db.session.flush()
    return subscriber


def by_manage_token(token: str) -> Subscriber | None:
    """The subscriber a manage link belongs to (any status), or None."""
    if not token or len(token) > 200:
        return None
    subscriber = db.session.scalar(
        sa.select(Subscriber).where(Subscriber.manage_token_hash == _digest(token))
    )
    if subscriber is None or not hmac.compare_digest(manage_token(subscriber), token):
        return None
    return subscriber


def change_choice(subscriber: Subscriber, all_posts: bool, tags: Iterable[str]) -> None:
    """Every new ranking, or only those with one of ``tags``."""
    _set_choice(subscriber, all_posts, _choice(all_posts, tags, subscriber.tag_slugs))
    db.session.flush()


def unsubscribe(subscriber: Subscriber, now: datetime | None = None) -> None:
    """Stop every e-mail to this address at once (deliveries not yet sent are skipped)."""
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = now or utcnow()
        subscriber.confirm_token_hash = subscriber.confirm_expires_at = None
        db.session.flush()


def remove(subscriber: Subscriber, actor: User) -> None:
    """Delete the subscriber and every record of what was sent to them (an admin's action)."""
    record("subscriber.removed", actor=actor, details={"subscriber": subscriber.id})
    db.session.delete(subscriber)
    db.session.flush()


def subscribers_query(search: str = "", status: str = "") -> sa.Select[tuple[Subscriber]]:
    """Subscribers, newest first, with their tags; filtered by part of the address, status."""
    query = sa.select(Subscriber).options(selectinload(Subscriber.tags))
    if search.strip():
        query = query.where(Subscriber.address.icontains(search.strip(), autoescape=True))
    if status in {s.value for s in SubscriberStatus}:
        query = query.where(Subscriber.status == status)
    return query.order_by(Subscriber.id.desc())


def counts() -> dict[str, int]:
    """Subscribers by status, and the confirmed ones who want every ranking (``all``)."""
    rows = db.session.execute(
        sa.select(Subscriber.status, sa.func.count()).group_by(Subscriber.status)
    ).all()
    result = {s.value: 0 for s in SubscriberStatus} | {str(k): n for k, n in rows}
    result["all"] = db.session.scalar(
        sa.select(sa.func.count()).where(
            Subscriber.status == SubscriberStatus.CONFIRMED, Subscriber.all_posts.is_(True)
        )
    )
    return result


def tag_counts() -> list[tuple[str, int]]:
    """Confirmed subscribers per chosen tag, most first."""
    rows = db.session.execute(
        sa.select(SubscriberTag.slug, sa.func.count())
        .join(Subscriber, Subscriber.id == SubscriberTag.subscriber_id)
        .where(Subscriber.status == SubscriberStatus.CONFIRMED)
        .group_by(SubscriberTag.slug)
        .order_by(sa.func.count().desc(), SubscriberTag.slug)
    )
    return [(slug, n) for slug, n in rows]


def export_rows(batch: int = 1000) -> Iterator[tuple[str, str, str, str, str]]:
    """Every subscriber as (address, status, choice, subscribed at, confirmed at), a batch of
    rows at a time; removed subscribers are gone from the table, so from the export."""
    last = 0
    while True:
        page = db.session.scalars(
            sa.select(Subscriber)
            .options(selectinload(Subscriber.tags))
            .where(Subscriber.id > last)
            .order_by(Subscriber.id)
            .limit(batch)
        ).all()
        if not page:
            return
        for s in page:
            choice = "all" if s.all_posts else " ".join(s.tag_slugs)
            confirmed = s.confirmed_at.isoformat() if s.confirmed_at else ""
            yield s.address, s.status.value, choice, s.created_at.isoformat(), confirmed
        last = page[-1].id


def send_queued(emails: list[Email]) -> None:
    for email in emails:
        try:
            queue_task(SEND_EMAIL, email.subscriber_id, email.kind, email.token)
        except Exception:  # noqa: BLE001 - the reader can ask again in an hour
            current_app.logger.warning("Could not queue a subscription e-mail.")


@sa.event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    emails = session.info.pop(_TO_SEND, None)
    if emails and current_app and current_app.config.get("MAIL_SERVER"):
        send_queued(emails)


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_TO_SEND, None)
