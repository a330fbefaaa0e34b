"""Notifications shown in the desk (and e-mailed when mail is configured)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from editorial.models.accounts import User
from editorial.models.base import UTCDateTime, db, utcnow
from editorial.models.posts import Post


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


# The header's unread count, as a column of the user: deferred, so that only the load that asks
# for it (the signed-in user's, with the session: operations.sessions.load) counts, in the same
# statement; anywhere else, reading it counts then, in a statement of its own.
User.unread_notifications = column_property(
    sa.select(sa.func.count())
    .where(Notification.user_id == User.id, Notification.read_at.is_(None))
    .correlate_except(Notification)
    .scalar_subquery(),
    deferred=True,
)
