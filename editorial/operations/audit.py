"""The audit log: append-only records of who did what, when, to which post and revision."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from editorial.models import AuditEvent, db, utcnow

if TYPE_CHECKING:
    from editorial.models import Post, Revision, User


def record(
    action: str,
    *,
    actor: User | None = None,
    post: Post | None = None,
    revision: Revision | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (flushed with the change it describes)."""
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.id if actor else None,
        action=action,
        post_id=post.id if post else None,
        revision_id=revision.id if revision else None,
        details=details or {},
    )
    db.session.add(event)
    return event
