"""Posts changed directly through the operations: a post's content with a few fields changed,
and what the audit log recorded about it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from editorial.domain.interchange import RankingPost, parse_post
from editorial.models import AuditEvent, Post, db


def edited(post: Post, **changes: Any) -> RankingPost:
    """The post's current content with ``changes``, ready for ``posts.save_revision``."""
    data = {**post.current_revision.content, **changes}
    return parse_post(data)


def audit_actions(post: Post) -> list[str]:
    """The actions the audit log recorded on the post, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.post_id == post.id)
            .order_by(AuditEvent.id)
        )
    )
