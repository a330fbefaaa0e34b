"""The audit log: one immutable row for each thing that happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.models.accounts import User
from editorial.models.base import UTCDateTime, db, utcnow
from editorial.models.posts import Post, Revision


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
    # Read-only, for lists that load a page's posts and revisions in one query each: events
    # are written by id (operations.audit.record), and never changed.
    post: Mapped[Post | None] = relationship(viewonly=True)
    revision: Mapped[Revision | None] = relationship(viewonly=True)


@sa.event.listens_for(Revision, "before_update")
@sa.event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: Any) -> None:
    raise ValueError(f"{type(target).__name__} rows are immutable")
