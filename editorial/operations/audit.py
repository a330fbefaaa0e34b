"""The audit log: append-only records of who did what, when, to which post and revision;
written with ``record``, read a page at a time with ``events_query``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from editorial.models import AuditEvent, Revision, User, db, utcnow

if TYPE_CHECKING:
    from editorial.models import Post


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


# How each action reads on the desk: the history page, and the audit log's action filter
# (whose choices are these, in this order).
ACTION_LABELS = {
    "post.created": "Created",
    "post.revised": "Saved a revision",
    "post.restored": "Restored an earlier revision",
    "post.changes_discarded": "Discarded unsaved changes",
    "post.submit": "Submitted for review",
    "post.withdraw": "Withdrew from review",
    "post.claimed": "Claimed for review",
    "post.released": "Released the review claim",
    "post.approve": "Approved",
    "post.request_changes": "Requested changes",
    "post.publish": "Published",
    "post.rereview": "Reviewed again as it is",
    "post.due": "Due for re-review",
    "post.retract_requested": "Asked to retract",
    "post.retract": "Retracted",
    "job.retried": "Retried publishing",
    "comment.added": "Commented",
    "comment.resolved": "Resolved a comment",
    "user.created": "Created an account",
    "user.invited": "Invited someone",
    "user.roles_changed": "Changed roles",
    "user.activated": "Reactivated an account",
    "user.deactivated": "Deactivated an account",
    "user.password_changed": "Changed their password",
    "token.created": "Made an API token",
    "token.revoked": "Revoked an API token",
    "preview.created": "Shared a preview",
    "preview.revoked": "Revoked a shared preview",
    "preview.viewed": "Shared preview viewed",
    "subscriber.removed": "Removed a subscriber",
}


def action_label(action: str) -> str:
    """How ``action`` reads on the desk (an action without a label reads as itself)."""
    return ACTION_LABELS.get(action, action)


def events_query(
    action: str = "", actor_email: str = "", post_id: int | None = None
) -> sa.Select[tuple[AuditEvent]]:
    """Audit events, newest first: of one action, by the person with one e-mail address,
    about one post, when given. Each event's actor and revision (its number) load for a whole
    page in one query each."""
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_email:
        by = sa.select(User.id).where(User.email == actor_email.strip().lower())
        query = query.where(AuditEvent.actor_id.in_(by))
    if post_id is not None:
        query = query.where(AuditEvent.post_id == post_id)
    return query.options(
        selectinload(AuditEvent.actor),
        selectinload(AuditEvent.revision).load_only(Revision.id, Revision.number),
    )
