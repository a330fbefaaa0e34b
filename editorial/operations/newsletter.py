"""The newsletter: a mailing for each publication worth an e-mail, its deliveries, and who has
been sent what. Verbs flush, never commit: ``tasks.newsletter`` commits.

The publish job plans a mailing (one row) in its own transaction, so a publication and its
mailing are committed together (the outbox); the mailing is sent to the worker after the
commit, and a periodic sweep re-sends any mailing left unfinished. The worker then writes one
delivery row per recipient (unique per mailing and subscriber) before it sends anything, and
sends in batches that it claims for ``CLAIM`` at a time: a second run of the task, or a
second worker, finds each delivery either sent or claimed, and a worker that dies mid-batch
leaves a claim that runs out, after which the rest of its batch goes out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, aliased, selectinload

from editorial.celery_app import queue_task
from editorial.domain.tags import tag_slug
from editorial.models import (
    Delivery,
    Mailing,
    MailingKind,
    Post,
    Publication,
    PublishJob,
    Revision,
    Subscriber,
    SubscriberStatus,
    SubscriberTag,
    db,
    utcnow,
)
from editorial.operations.outbox import this_worker, worker_ended

SEND_MAILING = "editorial.newsletter.send_mailing"
CLAIM = timedelta(minutes=5)  # a batch's claim: far longer than sending a batch takes
BATCH = 100  # e-mails a claim, sent over one SMTP connection
_TO_SEND = "editorial.mailings_to_send"


def plan_for_job(job_id: int) -> Mailing | None:
    """After a publish job applied its decision (in its transaction, holding the site lock):
    the mailing it calls for, if any. A first publication is news to subscribers whose choice
    matches; a later one with a correction note, and a retraction, go to those who were sent
    the original. None when mail is off or the job changed nothing worth an e-mail.

    The job's mailing is unique per post, publication and kind, and the caller holds the site
    lock: a job run twice, or two jobs retracting the same version, plan it once."""
    config = current_app.config
    if not (config.get("MAIL_SERVER") and config.get("DESK_URL")):
        return None  # no mail, or no desk to link to for unsubscribing
    job = db.session.get(PublishJob, job_id)
    post = db.session.get(Post, job.post_id)
    if job.action == "publish":
        publication = db.session.scalar(sa.select(Publication).where(Publication.job_id == job.id))
        if publication is None:
            return None  # already live, or superseded
        earlier = db.session.scalar(
            sa.select(Publication)
            .where(Publication.post_id == post.id, Publication.id < publication.id)
            .order_by(Publication.id.desc())
            .limit(1)
        )
        if earlier is None:
            kind = MailingKind.NEW
        elif publication.correction and publication.correction != earlier.correction:
            kind = MailingKind.CORRECTION
        else:
            return None  # an update with no new correction note: no e-mail
    else:
        if post.published_revision_id is not None:
            return None  # published again since
        publication = db.session.scalar(
            sa.select(Publication)
            .where(Publication.post_id == post.id)
            .order_by(Publication.id.desc())
            .limit(1)
        )
        if publication is None:
            return None
        kind = MailingKind.RETRACTION
    existing = db.session.scalar(
        sa.select(Mailing).filter_by(post_id=post.id, publication_id=publication.id, kind=kind)
    )
    if existing is not None:
        return None  # this retraction was mailed already
    mailing = Mailing(post_id=post.id, publication_id=publication.id, kind=kind, job_id=job.id)
    db.session.add(mailing)
    db.session.flush()
    db.session.info.setdefault(_TO_SEND, []).append(mailing.id)
    return mailing


def _tags_of(mailing: Mailing) -> list[str]:
    content = db.session.get(Revision, mailing.publication.revision_id).content
    return sorted({s for t in content.get("tags", []) if (s := tag_slug(t))})


def plan_deliveries(mailing: Mailing, now: datetime | None = None) -> int:
    """Write a delivery row for every recipient of the mailing, once; how many (0 when it was
    planned before)."""
    if mailing.planned_at is not None:
        return 0
    confirmed = Subscriber.status == SubscriberStatus.CONFIRMED
    if mailing.kind == MailingKind.NEW:
        tags = _tags_of(mailing)
        wants = sa.or_(
            Subscriber.all_posts.is_(True),
            sa.exists().where(
                SubscriberTag.subscriber_id == Subscriber.id, SubscriberTag.slug.in_(tags)
            ),
        )
        recipients = sa.select(sa.literal(mailing.id), Subscriber.id).where(confirmed, wants)
    else:
        originals = sa.select(Mailing.id).where(
            Mailing.post_id == mailing.post_id, Mailing.kind == MailingKind.NEW
        )
        recipients = (
            sa.select(sa.literal(mailing.id), Subscriber.id)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(
                confirmed,
                Delivery.mailing_id.in_(originals),
                Delivery.sent_at.is_not(None),
            )
            .distinct()
        )
    mine = aliased(Delivery)
    already = sa.select(mine.id).where(
        mine.mailing_id == mailing.id, mine.subscriber_id == Subscriber.id
    )
    db.session.execute(
        sa.insert(Delivery).from_select(
            ["mailing_id", "subscriber_id"], recipients.where(~sa.exists(already))
        )
    )
    # Counted, not the insert's rowcount: psycopg reports -1 for INSERT ... SELECT here.
    added = db.session.scalar(sa.select(sa.func.count()).where(Delivery.mailing_id == mailing.id))
    mailing.planned_at = now or utcnow()
    db.session.flush()
    return added


def claim_batch(
    mailing: Mailing, now: datetime | None = None, size: int | None = None
) -> list[Delivery]:
    """Claim up to ``size`` unsent deliveries of the mailing for this worker: unclaimed, claimed
    by a worker whose claim ran out or whose process on this host has ended, or by this worker
    before (a retry). Deliveries to anyone who has unsubscribed since are dropped, not sent."""
    now, size = now or utcnow(), size or BATCH
    worker = this_worker()
    db.session.execute(
        sa.delete(Delivery).where(
            Delivery.mailing_id == mailing.id,
            Delivery.sent_at.is_(None),
            Delivery.subscriber_id.in_(
                sa.select(Subscriber.id).where(Subscriber.status != SubscriberStatus.CONFIRMED)
            ),
        )
    )
    free = sa.or_(
        Delivery.claimed_until.is_(None),
        Delivery.claimed_until <= now,
        Delivery.worker.in_([worker, *_ended_workers(mailing.id, now)]),
    )
    candidates = sa.select(Delivery.id).where(
        Delivery.mailing_id == mailing.id, Delivery.sent_at.is_(None), free
    )
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(candidates.order_by(Delivery.id).limit(size)))
    if not ids:
        return []
    # Only what is still free: another worker may have claimed some since we looked.
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.sent_at.is_(None), free)
        .values(worker=worker, claimed_until=now + CLAIM)
        .execution_options(synchronize_session=False)
    )
    return list(
        db.session.scalars(
            sa.select(Delivery)
            .options(selectinload(Delivery.subscriber))
            .where(
                Delivery.id.in_(ids),
                Delivery.worker == worker,
                Delivery.claimed_until == now + CLAIM,
            )
            .order_by(Delivery.id)
            .execution_options(populate_existing=True)
        )
    )


def _ended_workers(mailing_id: int, now: datetime) -> list[str]:
    """Workers holding live claims on the mailing whose process on this host has ended: their
    batches are free at once, without waiting for the claims to run out."""
    holders = db.session.scalars(
        sa.select(Delivery.worker)
        .where(
            Delivery.mailing_id == mailing_id,
            Delivery.sent_at.is_(None),
            Delivery.claimed_until > now,
        )
        .distinct()
    )
    return [w for w in holders if w and worker_ended(w)]


def mark_sent(delivery_id: int, now: datetime | None = None) -> None:
    """Note that SMTP has taken the delivery (one UPDATE: nothing else is loaded)."""
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(sent_at=now or utcnow(), claimed_until=None)
        .execution_options(synchronize_session=False)
    )


def finish_if_sent(mailing: Mailing, now: datetime | None = None) -> bool:
    """Mark the mailing finished once every delivery is sent; True if it is."""
    unsent = db.session.scalar(
        sa.select(sa.func.count()).where(
            Delivery.mailing_id == mailing.id, Delivery.sent_at.is_(None)
        )
    )
    if mailing.planned_at is not None and not unsent:
        mailing.finished_at = mailing.finished_at or now or utcnow()
        db.session.flush()
        return True
    return False


def unfinished(now: datetime | None = None) -> list[int]:
    """Mailings for the sweep: not finished, and with no delivery under a live claim (those
    are a worker's, still at it)."""
    now = now or utcnow()
    busy = sa.select(Delivery.id).where(
        Delivery.mailing_id == Mailing.id,
        Delivery.sent_at.is_(None),
        Delivery.claimed_until > now,
    )
    return list(
        db.session.scalars(
            sa.select(Mailing.id)
            .where(Mailing.finished_at.is_(None), ~sa.exists(busy))
            .order_by(Mailing.id)
        )
    )


def received(subscriber: Subscriber) -> list[Delivery]:
    """What was sent to a subscriber, newest first."""
    return list(
        db.session.scalars(
            sa.select(Delivery)
            .where(Delivery.subscriber_id == subscriber.id, Delivery.sent_at.is_not(None))
            .order_by(Delivery.id.desc())
        )
    )


def send(mailing_ids: list[int]) -> None:
    """Hand mailings to the worker; a broker outage is logged and left to the sweep."""
    for mailing_id in mailing_ids:
        try:
            queue_task(SEND_MAILING, mailing_id)
        except Exception:  # noqa: BLE001 - the sweep sends it again
            current_app.logger.warning("Could not send mailing %s; the sweep will.", mailing_id)


@sa.event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    ids = session.info.pop(_TO_SEND, None)
    if ids and current_app:
        send(ids)


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_TO_SEND, None)
