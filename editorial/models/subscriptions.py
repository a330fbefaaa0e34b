"""E-mail subscriptions: readers who asked for new rankings, and each e-mail sent to them.

A subscriber's address is stored once, normalised. Its tokens are stored as SHA-256 hashes:
the confirmation token (random, sent once, expiring) and the manage token (derived from the
app's SECRET_KEY and ``manage_salt``, so that every newsletter can carry it without the
database ever holding it).

A mailing is one e-mail to send about one publication of a post (a new ranking, a correction,
a retraction); a delivery is that e-mail to one subscriber. The pair (mailing, subscriber) is
unique, so nobody is mailed twice for the same publication, however often the task runs.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.models.base import UTCDateTime, db, enum_type, utcnow
from editorial.models.posts import Post
from editorial.models.publishing import Publication


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class MailingKind(StrEnum):
    NEW = "new"
    CORRECTION = "correction"
    RETRACTION = "retraction"


class Subscriber(db.Model):
    """A reader's address and choice: every new ranking, or only those with chosen tags."""

    __tablename__ = "subscriber"
    __table_args__ = (
        sa.CheckConstraint(
            "status <> 'confirmed' OR confirmed_at IS NOT NULL", name="confirmed_has_time"
        ),
        sa.CheckConstraint(
            "(confirm_token_hash IS NULL) = (confirm_expires_at IS NULL)",
            name="confirm_token_expires",
        ),
        sa.Index("ix_subscriber_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(254), unique=True)
    status: Mapped[SubscriberStatus] = mapped_column(
        enum_type(SubscriberStatus, "subscriber_status"), default=SubscriberStatus.PENDING
    )
    # True: every new ranking; False: only those with one of ``tags``.
    all_posts: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirm_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    confirm_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a confirmation (or "already subscribed") e-mail last went to this address.
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manage_salt: Mapped[str] = mapped_column(sa.String(64))
    manage_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    tags: Mapped[list[SubscriberTag]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="SubscriberTag.slug"
    )

    @property
    def tag_slugs(self) -> list[str]:
        return [t.slug for t in self.tags]


class SubscriberTag(db.Model):
    """A tag a subscriber chose (by its address on the site)."""

    __tablename__ = "subscriber_tag"
    __table_args__ = (sa.Index("ix_subscriber_tag_slug", "slug", "subscriber_id"),)

    subscriber_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(sa.String(100), primary_key=True)


class Mailing(db.Model):
    """One e-mail to send about one publication of a post; planned once, then sent."""

    __tablename__ = "mailing"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "publication_id", "kind"),
        sa.Index("ix_mailing_finished_at", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"))
    publication_id: Mapped[int] = mapped_column(sa.ForeignKey("publication.id", ondelete="CASCADE"))
    kind: Mapped[MailingKind] = mapped_column(enum_type(MailingKind, "mailing_kind"))
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publish_job.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Every delivery row is written (the recipients are fixed) once this is set.
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship()
    publication: Mapped[Publication] = relationship()


class Delivery(db.Model):
    """A mailing to one subscriber: written before it is sent, marked when SMTP took it.

    A worker claims a batch (``worker``, ``claimed_until``) before sending it; a claim that
    ran out belongs to a worker that died, and the batch goes out again from where it stopped.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("mailing_id", "subscriber_id"),
        sa.Index("ix_delivery_mailing_id_sent_at", "mailing_id", "sent_at"),
        sa.Index("ix_delivery_subscriber_id", "subscriber_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(sa.ForeignKey("mailing.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscriber.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str | None] = mapped_column(sa.String(255))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mailing: Mapped[Mailing] = relationship()
    subscriber: Mapped[Subscriber] = relationship()
