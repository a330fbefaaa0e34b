"""Shared previews: links that show one revision of a post to someone without an account."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.models.accounts import User
from editorial.models.base import UTCDateTime, db, utcnow
from editorial.models.posts import Post, Revision


class PreviewLink(db.Model):
    """A link to one revision of a post, read-only, for anyone who holds it until it expires
    or is revoked.

    Only a SHA-256 hash of the link's token is stored; the token is shown once, when made.
    The link is pinned to a revision: later revisions of the post are never shown through it.
    """

    __tablename__ = "preview_link"
    __table_args__ = (
        # The pinned revision must belong to this very post.
        sa.ForeignKeyConstraint(
            ["post_id", "revision_id"],
            ["revision.post_id", "revision.id"],
            name="fk_preview_link_revision",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        sa.CheckConstraint("view_count >= 0", name="view_count_not_negative"),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by_id IS NULL)", name="revoked_with_who"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column()
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # Every view is also an audit event; the count is here so that lists need not count those.
    view_count: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    last_viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship()
    revision: Mapped[Revision] = relationship(
        foreign_keys=[revision_id], primaryjoin="Revision.id == PreviewLink.revision_id"
    )
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def is_live(self, now: datetime) -> bool:
        """Whether the link shows its revision at ``now``: not revoked, not expired, and its
        maker still has an active account."""
        return self.revoked_at is None and now < self.expires_at and self.created_by.active
