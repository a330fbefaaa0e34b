"""Shared previews: links that show one revision of a post, read-only, to someone without an
account (a domain expert checking a claim, a vendor's right of reply). Verbs flush.

Who may read a post (its author, reviewers, admins) may make a link to any of its revisions
and revoke any of its links. A link's token is ``prv_`` and 32 random bytes (URL-safe
base64); only its SHA-256 is stored, as for API tokens, and it is shown once, when made.
Every view is an audit event of its own.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from editorial.domain.errors import InvalidInput, PermissionDenied
from editorial.models import Post, PreviewLink, Revision, User, db, utcnow
from editorial.operations.audit import record
from editorial.operations.posts import can_view

PREFIX = "prv_"
DAYS = (1, 7, 30)  # how long a link may last, in days: the choices offered
DEFAULT_DAYS = 7
LINK_LIMIT = 50  # live links per post


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refuse_unless_reader(post: Post, user: User) -> None:
    if not can_view(post, user):
        raise PermissionDenied("Only the post's author, reviewers and admins can share it.")


def live_links_query(post: Post, now: datetime | None = None) -> sa.Select[tuple[PreviewLink]]:
    """The post's links that still show their revision, newest first, each with its maker and
    its revision's number (a page of them in one query each)."""
    now = now or utcnow()
    return (
        sa.select(PreviewLink)
        .where(
            PreviewLink.post_id == post.id,
            PreviewLink.revoked_at.is_(None),
            PreviewLink.expires_at > now,
        )
        .order_by(PreviewLink.created_at.desc(), PreviewLink.id.desc())
        .options(
            selectinload(PreviewLink.created_by),
            selectinload(PreviewLink.revision).load_only(Revision.id, Revision.number),
        )
    )


def create_link(
    post: Post, number: int, actor: User, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> tuple[PreviewLink, str]:
    """Make a link to revision ``number`` of ``post`` that lasts ``days``; returns the row and
    the token (shown only now)."""
    _refuse_unless_reader(post, actor)
    now = now or utcnow()
    problems = []
    revision = post.revisions.filter_by(number=number).first()
    if revision is None:
        problems.append(("revision", f"This post has no revision {number}."))
    if days not in DAYS:
        choices = ", ".join(str(d) for d in DAYS[:-1]) + f" or {DAYS[-1]}"
        problems.append(("days", f"A link lasts {choices} days."))
    if problems:
        raise InvalidInput(problems)
    live = db.session.scalar(
        sa.select(sa.func.count()).select_from(live_links_query(post, now).subquery())
    )
    if live >= LINK_LIMIT:
        raise InvalidInput.single(
            "revision", f"This post has {LINK_LIMIT} live links already; revoke one first."
        )
    token = PREFIX + secrets.token_urlsafe(32)
    link = PreviewLink(
        post_id=post.id,
        revision_id=revision.id,
        token_hash=_digest(token),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(link)
    db.session.flush()
    record(
        "preview.created",
        actor=actor,
        post=post,
        revision=revision,
        details={"link": link.id, "days": days, "expires_at": link.expires_at.isoformat()},
    )
    return link, token


def revoke_link(link: PreviewLink, actor: User, now: datetime | None = None) -> None:
    """Revoke a link: from now on it answers "gone". Revoking twice changes nothing."""
    _refuse_unless_reader(link.post, actor)
    if link.revoked_at is not None:
        return
    link.revoked_at = now or utcnow()
    link.revoked_by_id = actor.id
    db.session.flush()
    record(
        "preview.revoked",
        actor=actor,
        post=link.post,
        revision=link.revision,
        details={"link": link.id},
    )


def find_link(token: str) -> PreviewLink | None:
    """The link a presented token belongs to, live or not; None for a token never made."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    return db.session.scalar(
        sa.select(PreviewLink)
        .where(PreviewLink.token_hash == _digest(token))
        .options(selectinload(PreviewLink.created_by))
    )


def record_view(link: PreviewLink, now: datetime | None = None) -> None:
    """Count one view of a live link, and append it to the audit log with its time."""
    now = now or utcnow()
    # Counted in SQL: two views at once both count.
    db.session.execute(
        sa.update(PreviewLink)
        .where(PreviewLink.id == link.id)
        .values(view_count=PreviewLink.view_count + 1, last_viewed_at=now)
        .execution_options(synchronize_session=False)
    )
    event = record(
        "preview.viewed", post=link.post, revision=link.revision, details={"link": link.id}
    )
    event.at = now
    db.session.flush()
