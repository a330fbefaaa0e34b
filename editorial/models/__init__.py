"""Database models: users, posts, immutable revisions and the audit log."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from editorial.domain.workflow import PostState

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime; use an aware UTC datetime")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None:
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


class Role(StrEnum):
    WRITER = "writer"
    REVIEWER = "reviewer"
    ADMIN = "admin"


def _enum(enum_cls: type[StrEnum], name: str) -> sa.Enum:
    # Stored as text with a CHECK constraint: portable, and new values need no ALTER TYPE.
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint("length(display_name) > 0", name="display_name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.text("true"))
    # Sessions carry this token, not the id: rotating it signs the user out everywhere.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        # The signed-in browser's session (operations.sessions), set when it was started or loaded.
        return getattr(self, "session_id", None) or ""

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class Post(db.Model):
    __tablename__ = "post"
    __table_args__ = (
        sa.CheckConstraint(
            "state NOT IN ('approved') OR approved_revision_id IS NOT NULL",
            name="approved_has_revision",
        ),
        sa.CheckConstraint(
            "state NOT IN ('published') OR published_revision_id IS NOT NULL",
            name="published_has_revision",
        ),
        sa.CheckConstraint("length(slug) > 0", name="slug_not_empty"),
        # The post's place in the site's order (a unique index: SQLite can add one in place).
        sa.Index("ix_post_site_seq", "site_seq", unique=True),
        sa.Index("ix_post_public_slug", "public_slug", unique=True),
        # Each pinned revision must belong to this very post.
        sa.ForeignKeyConstraint(
            ["id", "current_revision_id"],
            ["revision.post_id", "revision.id"],
            use_alter=True,
            name="fk_post_current_revision",
        ),
        sa.ForeignKeyConstraint(
            ["id", "approved_revision_id"],
            ["revision.post_id", "revision.id"],
            use_alter=True,
            name="fk_post_approved_revision",
        ),
        sa.ForeignKeyConstraint(
            ["id", "published_revision_id"],
            ["revision.post_id", "revision.id"],
            use_alter=True,
            name="fk_post_published_revision",
        ),
    )

    # Explicit: the composite foreign keys below would otherwise switch autoincrement off.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    state: Mapped[PostState] = mapped_column(
        _enum(PostState, "post_state"), default=PostState.DRAFT, index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    current_revision_id: Mapped[int | None] = mapped_column()
    approved_revision_id: Mapped[int | None] = mapped_column()
    published_revision_id: Mapped[int | None] = mapped_column()
    # Set when first published, never changed after: the site's order and the feed's dates.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    site_seq: Mapped[int | None] = mapped_column()
    # When the live version last changed (a corrected republish).
    live_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fixed at first publication: the page's address and the feed entry's id stay forever,
    # whatever later revisions do to the slug.
    public_slug: Mapped[str | None] = mapped_column(sa.String(100))
    feed_id: Mapped[str | None] = mapped_column(sa.String(64))

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    current_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[current_revision_id],
        primaryjoin="Revision.id == Post.current_revision_id",
        post_update=True,
        viewonly=False,
    )
    approved_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[approved_revision_id],
        primaryjoin="Revision.id == Post.approved_revision_id",
        post_update=True,
    )
    published_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[published_revision_id],
        primaryjoin="Revision.id == Post.published_revision_id",
        post_update=True,
    )
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="post",
        foreign_keys="Revision.post_id",
        order_by="Revision.number",
        lazy="dynamic",
    )

    @property
    def title(self) -> str:
        return self.current_revision.content["title"] if self.current_revision else self.slug

    def __repr__(self) -> str:
        return f"<Post {self.slug} {self.state}>"


class Revision(db.Model):
    """An immutable snapshot of a post's whole content, with its rendered Markdown."""

    __tablename__ = "revision"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "number"),
        sa.UniqueConstraint("post_id", "id"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # Markdown rendered and sanitised once, when the revision is made.
    rendered: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship(back_populates="revisions", foreign_keys=[post_id])
    created_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Revision {self.post_id}#{self.number}>"


class AuditEvent(db.Model):
    """One thing that happened: who did what, when, to which post and revision."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.CheckConstraint("length(action) > 0", name="action_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(sa.String(64))
    post_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("post.id", ondelete="SET NULL"), index=True
    )
    revision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("revision.id", ondelete="SET NULL")
    )
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship()


@sa.event.listens_for(Revision, "before_update")
@sa.event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: Any) -> None:
    raise ValueError(f"{type(target).__name__} rows are immutable")


class WorkingCopy(db.Model):
    """A post's unsaved edits: the editor's raw fields, autosaved and overwritten in place.

    Kept apart from the immutable revisions so that autosaving every few seconds does not
    flood the history; an explicit save turns it into a revision and deletes it.
    """

    __tablename__ = "working_copy"
    __table_args__ = (
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("base_revision >= 1", name="base_revision_positive"),
    )

    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    # The revision number the edits started from, and a counter that tells two tabs apart.
    base_revision: Mapped[int] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)
    # The form's fields as [name, value] pairs, exactly as typed (even if they are invalid);
    # None once saved or discarded. The row stays so that ``version`` never repeats: a tab
    # that saw an earlier copy cannot mistake a later one for it.
    form_data: Mapped[list[list[str]] | None] = mapped_column(sa.JSON)
    saved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()
    saved_by: Mapped[User] = relationship()


class ReviewClaim(db.Model):
    """A reviewer working on a post in review, so that two reviewers do not duplicate work."""

    __tablename__ = "review_claim"
    __table_args__ = (sa.CheckConstraint("expires_at > claimed_at", name="expires_after_claim"),)

    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    reviewer: Mapped[User] = relationship(lazy="joined")


class Signoff(db.Model):
    """One ticked checklist item: who vouched for which content (by its fingerprint), when."""

    __tablename__ = "signoff"

    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), primary_key=True)
    item: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("revision.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(db.Model):
    """Review feedback on a whole post or on one entry, and the replies to it."""

    __tablename__ = "comment"
    __table_args__ = (
        sa.CheckConstraint("length(body) > 0", name="body_not_empty"),
        sa.CheckConstraint(
            "(resolved_at IS NULL) = (resolved_by_id IS NULL)", name="resolved_with_who"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("revision.id"))
    # The entry it is about, by name as in checklist.entry_key; NULL for the whole post.
    entry_key: Mapped[str | None] = mapped_column(sa.String(250))
    entry_name: Mapped[str | None] = mapped_column(sa.String(250))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    revision: Mapped[Revision] = relationship()
    replies: Mapped[list[Comment]] = relationship(order_by="Comment.id", lazy="selectin")


class Notification(db.Model):
    """Something a user should know about, shown in the desk (and e-mailed when configured)."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.CheckConstraint("length(message) > 0", name="message_not_empty"),
        sa.Index("ix_notification_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    post: Mapped[Post | None] = relationship()


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
        _enum(JobStatus, "job_status"), default=JobStatus.PENDING
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
    __table_args__ = (sa.Index("ix_post_tag_slug_site_seq", "slug", "site_seq"),)

    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # The post's place in the site's order, copied here so that a tag's newest posts come
    # straight off an index, however many posts the tag has.
    site_seq: Mapped[int] = mapped_column()


class ApiToken(db.Model):
    """A named token a user (or their agent) sends as ``Authorization: Bearer …``.

    Only a SHA-256 hash of the token is stored; the token itself is shown once, when made.
    The token acts with its user's roles (and loses them with the user), never more.
    """

    __tablename__ = "api_token"
    __table_args__ = (sa.CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters, to tell tokens apart in lists without revealing them.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Invitation(db.Model):
    """An admin's invitation: a link that makes one account, once, before it expires."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    roles: Mapped[list[str]] = mapped_column(sa.JSON)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class UserSession(db.Model):
    """One signed-in browser: its id is what the session cookie carries.

    Signing out ends just this row; a password change ends the user's other rows; a new id is
    made at every sign-in, so a session id planted before sign-in is worth nothing after it.
    """

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
