"""The review queue, a page at a time: which posts are in review, filtered and sorted in SQL,
and what each row shows, loaded for a whole page in one query each (reads only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import load_only

from editorial.domain.workflow import PostState
from editorial.models import AuditEvent, Post, ReviewClaim, Revision, User, db, utcnow

_TAGS = "editorial.queue_tags"  # app.extensions: the tags of each revision in review, by id


def _tag_values(revision: Any) -> Any:
    """The tags of ``revision``'s content as rows (one column, ``value``): a table-valued
    JSON function, which SQLite and PostgreSQL spell differently."""
    if db.session.get_bind().dialect.name == "postgresql":
        rows = sa.func.json_array_elements_text(revision.content["tags"])
        return rows.table_valued("value").render_derived()
    return sa.func.json_each(revision.content, "$.tags").table_valued("value")


def queue_query(author_id: int | None = None, tag: str = "") -> sa.Select[tuple[Post]]:
    """Posts in review, oldest first, filtered in SQL by author and by a tag (an exact tag,
    case-insensitively) of their current revision."""
    query = (
        sa.select(Post).where(Post.state == PostState.IN_REVIEW).order_by(Post.updated_at, Post.id)
    )
    if author_id:
        query = query.where(Post.author_id == author_id)
    if tag:  # only then the revision: the join costs more than the rest of the query
        query = query.join(Revision, Revision.id == Post.current_revision_id)
        tags = _tag_values(Revision)
        wanted = sa.func.lower(tags.c.value) == tag.lower()
        query = query.where(sa.select(1).select_from(tags).where(wanted).exists())
    return query


def queue_authors() -> list[User]:
    """Everyone with a post in review, by name: the queue's author filter."""
    users = db.session.scalars(
        sa.select(User).where(
            User.id.in_(sa.select(Post.author_id).where(Post.state == PostState.IN_REVIEW))
        )
    ).all()
    return sorted(users, key=lambda u: u.display_name.casefold())


def queue_tags() -> list[str]:
    """The distinct tags of the posts in review: the queue's tag filter.

    A revision never changes, so neither do its tags: each app keeps the tags of the revisions
    in review and reads only those of revisions it has not seen. Reading them all costs
    PostgreSQL a parse of every revision's whole content (60 ms for 1,000 posts in review).
    """
    known: dict[int, list[str]] = current_app.extensions.setdefault(_TAGS, {})
    in_review = db.session.scalars(
        sa.select(Post.current_revision_id).where(Post.state == PostState.IN_REVIEW)
    ).all()
    missing = [rid for rid in in_review if rid not in known]
    # Always asked, even for no revision: the page runs the same statements every time.
    new = dict(
        db.session.execute(
            sa.select(Revision.id, Revision.content["tags"]).where(Revision.id.in_(missing))
        ).all()
    )
    tags = {rid: known.get(rid) or new.get(rid) or [] for rid in in_review}
    current_app.extensions[_TAGS] = tags  # only the queue's: it never grows past the queue
    return sorted({tag for names in tags.values() for tag in names}, key=str.casefold)


def active_claims(page: Sequence[Post], now: datetime | None = None) -> dict[int, ReviewClaim]:
    """The claims that have not lapsed on these posts, by post id (one query)."""
    if not page:
        return {}
    claims = db.session.scalars(
        sa.select(ReviewClaim).where(
            ReviewClaim.post_id.in_([p.id for p in page]),
            ReviewClaim.expires_at > (now or utcnow()),
        )
    ).unique()
    return {c.post_id: c for c in claims}


def last_reviewed(page: Sequence[Post]) -> dict[int, Revision]:
    """For each of these posts that had a decision, the revision of the latest (one query)."""
    if not page:
        return {}
    rows = db.session.execute(
        sa.select(AuditEvent.post_id, Revision)
        .join(Revision, Revision.id == AuditEvent.revision_id)
        .options(load_only(Revision.id, Revision.post_id, Revision.number))  # the row shows it
        .where(
            AuditEvent.post_id.in_([p.id for p in page]),
            AuditEvent.action.in_(("post.approve", "post.request_changes")),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    found: dict[int, Revision] = {}
    for post_id, revision in rows:
        found.setdefault(post_id, revision)
    return found
