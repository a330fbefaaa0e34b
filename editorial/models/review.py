"""Review: claims on posts in review, checklist sign-offs, and comments."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.models.accounts import User
from editorial.models.base import UTCDateTime, db, utcnow
from editorial.models.posts import Revision


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
