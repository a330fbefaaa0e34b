"""Freshness: every live post is due for another review some day (the writer's ``review_by``,
or REVIEW_AFTER_MONTHS after its last approval). The worker's beat lists the posts that reach
it as due and tells their author and the reviewers; they stay live until someone retracts them.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import current_app

from editorial.domain.workflow import Action, IllegalTransition, PostState
from editorial.models import Post, User, db, utcnow
from editorial.operations.audit import record
from editorial.operations.notifications import notify, notify_reviewers
from editorial.operations.posts import submit_for_review


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` that many calendar months later (31 January + 1 month is 28 or 29 February)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def reviewed(post: Post, at: datetime) -> None:
    """A reviewer approved what is now live, at ``at``: when it is next due follows from it
    (the writer's ``review_by`` day, unless that has passed by then)."""
    post.last_reviewed_at = at
    chosen = post.published_revision.content.get("review_by") if post.published_revision else None
    day = datetime.combine(date.fromisoformat(chosen), time(0, 0), tzinfo=UTC) if chosen else None
    # A day already past would leave the post due again the moment it was reviewed.
    if day is not None and day > at:
        post.review_due_at = day
    else:
        post.review_due_at = add_months(at, current_app.config["REVIEW_AFTER_MONTHS"])
    post.due_notified_at = None


def is_due(now: Any) -> sa.ColumnElement[bool]:
    """Whether a post is live and its review due at ``now`` (a datetime, or a bind parameter
    for a statement that is kept and run again)."""
    return sa.and_(
        Post.published_revision_id.is_not(None),
        Post.state != PostState.RETRACTED,
        Post.review_due_at <= now,
    )


# The longest overdue first.
DUE_ORDER = (Post.review_due_at, Post.id)


def due_now(post: Post) -> bool:
    """Whether this post is live and its review due (``is_due``, for one loaded post)."""
    return (
        post.published_revision_id is not None
        and post.state != PostState.RETRACTED
        and post.review_due_at is not None
        and post.review_due_at <= utcnow()
    )


def due_posts_query(now: datetime | None = None) -> sa.Select[tuple[Post]]:
    """Live posts whose review is due, the longest overdue first."""
    return sa.select(Post).where(is_due(now or utcnow())).order_by(*DUE_ORDER)


def due_count(now: datetime | None = None) -> int:
    """How many live posts are due for re-review."""
    query = sa.select(sa.func.count()).select_from(Post).where(is_due(now or utcnow()))
    return db.session.scalar(query) or 0


def submit_as_it_is(post: Post, actor: User) -> None:
    """Send a live post back to review as it is (no new revision; it stays live meanwhile):
    only when what is live is also its latest revision."""
    if post.state != PostState.PUBLISHED:
        raise IllegalTransition(
            Action.SUBMIT,
            post.state,
            "Only a live post with no unpublished changes goes back to review as it is; "
            "submit its changes from the editor.",
        )
    submit_for_review(post, actor)


def flag_due(now: datetime | None = None) -> list[Post]:
    """Mark the posts that came due since the last run and tell their author and the reviewers
    (once per due date: the next approval sets a new one)."""
    now = now or utcnow()
    posts = db.session.scalars(
        due_posts_query(now).where(Post.due_notified_at.is_(None)).limit(500)
    ).all()
    for post in posts:
        post.due_notified_at = now
        due = post.review_due_at.date().isoformat()
        title = post.published_revision.content["title"]
        notify(
            post.author,
            "due",
            f"“{title}” is due for re-review (review by {due}). It stays live; submit it for "
            "review as it is or with changes.",
            post,
        )
        notify_reviewers(post, f"Due for re-review: “{title}” (review by {due}).", kind="due")
        record("post.due", post=post, details={"review_by": due})
    db.session.flush()
    return list(posts)
