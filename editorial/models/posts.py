"""Posts, their immutable revisions, and the editor's unsaved working copy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.domain.workflow import PostState
from editorial.models.accounts import User
from editorial.models.base import UTCDateTime, db, enum_type, utcnow


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
        enum_type(PostState, "post_state"), default=PostState.DRAFT, index=True
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
    # Freshness: when a reviewer last approved what is live (a re-approval of the live revision
    # as it is counts), when it is due for another review, and when the desk said it was due
    # (cleared by the next approval).
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    due_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
    # Read-only from this side: writing through it would mark the revision as changed, which
    # the immutability guard refuses. operations.posts stores the row by ``revision_id``.
    stored_findings: Mapped[RevisionFindings | None] = relationship(viewonly=True)

    def __repr__(self) -> str:
        return f"<Revision {self.post_id}#{self.number}>"


class RevisionFindings(db.Model):
    """The editorial rules' findings for one revision, stored when the revision is saved.

    A cache of a pure function of the revision's content, so the lists read counts instead of
    running the rules on every row. It lives beside the revision rather than in it: revisions
    refuse every update (the ORM guard and migration 0002's trigger), while this row is
    rewritten when ``rules_version`` is older than ``rules.RULES_VERSION`` (the rules changed),
    which changes nothing the revision says.
    """

    __tablename__ = "revision_findings"
    __table_args__ = (
        sa.CheckConstraint("errors >= 0", name="errors_not_negative"),
        sa.CheckConstraint("warnings >= 0", name="warnings_not_negative"),
    )

    revision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("revision.id", ondelete="CASCADE"), primary_key=True
    )
    rules_version: Mapped[int] = mapped_column()
    errors: Mapped[int] = mapped_column()
    warnings: Mapped[int] = mapped_column()
    # Each finding as ``rules.Finding.as_dict()`` gives it, in the rules' order.
    findings: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)


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
