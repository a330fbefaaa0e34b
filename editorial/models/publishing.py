"""Publishing: the outbox of publish jobs, what went live, the site's lock row, live tags."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.models.accounts import User
from editorial.models.base import UTCDateTime, db, enum_type, utcnow
from editorial.models.posts import Post, Revision


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PublishJob(db.Model):
    """The outbox: one row per publish or retract, written with the decision that asks for it.

    The worker is told about it after the commit; a periodic sweep re-sends any row that stayed
    pending too long, or whose worker is gone, so a broker or worker outage delays a job but
    never loses it. A running job names its worker (``host:pid``) and is held by it until
    ``held_until``, which the worker's heartbeat keeps pushing forward.
    """

    __tablename__ = "publish_job"
    __table_args__ = (
        sa.CheckConstraint("action IN ('publish', 'retract')", name="action_known"),
        sa.CheckConstraint(
            "action = 'retract' OR revision_id IS NOT NULL", name="publish_has_revision"
        ),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint(
            "status <> 'running' OR (worker IS NOT NULL AND held_until IS NOT NULL)",
            name="running_has_worker",
        ),
        sa.Index("ix_publish_job_status_not_before", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    revision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("revision.id"))
    status: Mapped[JobStatus] = mapped_column(
        enum_type(JobStatus, "job_status"), default=JobStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who runs it ("host:pid"), and until when that worker holds it without a heartbeat.
    worker: Mapped[str | None] = mapped_column(sa.String(255))
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship()
    revision: Mapped[Revision | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class Publication(db.Model):
    """One version that went live: its revision, when, and the correction note it carried."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("revision.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publish_job.id"))
    correction: Mapped[str | None] = mapped_column(sa.Text)  # sanitised HTML


class SiteState(db.Model):
    """One row; locking it serialises every write to the site (across workers and machines)."""

    __tablename__ = "site_state"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PostTag(db.Model):
    """A tag of a post's live version, for the tag pages and feeds (kept by the publisher)."""

    __tablename__ = "post_tag"
    __table_args__ = (
        sa.Index("ix_post_tag_slug_site_seq", "slug", "site_seq"),
        # A tag's name (the first of its spellings) and the next tag, each one index lookup.
        sa.Index("ix_post_tag_slug_name", "slug", "name"),
    )

    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # The post's place in the site's order, copied here so that a tag's newest posts come
    # straight off an index, however many posts the tag has.
    site_seq: Mapped[int] = mapped_column()
