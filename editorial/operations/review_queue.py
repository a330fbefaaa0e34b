"""The review queue, a page at a time: which posts are in review, filtered and sorted in SQL,
and what each row shows, read for the whole page in one statement (reads only)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from editorial.domain.workflow import PostState
from editorial.models import AuditEvent, Post, ReviewClaim, Revision, User, db, utcnow
from editorial.operations import freshness, listing

_TAGS = "editorial.queue_tags"  # app.extensions: the tags of each revision in review, by id

# The queue's orders, by the name its URL gives them; the first is the default.
SORTS = {
    "oldest": "Waiting longest",
    "newest": "Waiting least",
    "findings": "Most findings",
    "author": "Author",
}


def _tag_values(revision: Any, dialect: str) -> Any:
    """The tags of ``revision``'s content as rows (one column, ``value``): a table-valued
    JSON function, which SQLite and PostgreSQL spell differently."""
    if dialect == "postgresql":
        rows = sa.func.json_array_elements_text(revision.content["tags"])
        return rows.table_valued("value").render_derived()
    return sa.func.json_each(revision.content, "$.tags").table_valued("value")


def _order(sort: str, author: Any, stored: Any) -> tuple[Any, ...]:
    oldest = (Post.updated_at, Post.id)
    if sort == "newest":
        return (Post.updated_at.desc(), Post.id.desc())
    if sort == "findings":  # errors first, then warnings; none stored (yet) last
        return (
            sa.func.coalesce(stored.errors, -1).desc(),
            sa.func.coalesce(stored.warnings, -1).desc(),
            *oldest,
        )
    if sort == "author":
        return (sa.func.lower(author.display_name), author.id, *oldest)
    return oldest


def queue_query(
    by_author: bool, by_tag: bool, sort: str, dialect: str
) -> tuple[sa.Select[Any], tuple[Any, ...]]:
    """The ids of the posts in review, filtered in SQL by author (bind parameter
    ``author_id``) and by a tag of their current revision (``tag``, in lower case), and their
    order for ``sort`` (a key of SORTS; anything else is the default, waiting longest first)."""
    author = aliased(User, name="author")
    stored, _ = listing.finding_columns()
    query = (
        sa.select(Post.id)
        .join(author, author.id == Post.author_id)
        .outerjoin(stored, stored.revision_id == Post.current_revision_id)
        .where(Post.state == PostState.IN_REVIEW)
    )
    if by_author:
        query = query.where(Post.author_id == sa.bindparam("author_id"))
    if by_tag:  # only then the revision: the join costs more than the rest of the query
        query = query.join(Revision, Revision.id == Post.current_revision_id)
        tags = _tag_values(Revision, dialect)
        wanted = sa.func.lower(tags.c.value) == sa.bindparam("tag", type_=sa.String)
        query = query.where(sa.select(1).select_from(tags).where(wanted).exists())
    return query, _order(sort, author, stored)


@dataclass(frozen=True)
class QueueRow:
    """What the queue shows of one post in review."""

    id: int
    title: str
    author_id: int
    author_name: str
    updated_at: datetime  # waiting since
    revision: int  # the current revision's number
    entries: int
    errors: int
    warnings: int
    live_number: int | None  # the published revision's number
    reviewed_number: int | None  # the revision of the latest decision on it
    reviewer_id: int | None  # who holds a claim that has not lapsed, and until when
    reviewer_name: str | None
    claimed_until: datetime | None
    due_since: datetime | None  # a live post due for re-review: its review-by date


def _queue_columns(dialect: str) -> Any:
    def columns(picked: sa.Subquery) -> sa.Select[Any]:
        author, reviewer = aliased(User, name="author"), aliased(User, name="reviewer")
        current, live = aliased(Revision, name="current"), aliased(Revision, name="live")
        decided = aliased(Revision, name="decided")
        stored, counts = listing.finding_columns()
        # The revision of the post's latest decision (approved or sent back), if any.
        last_decision = (
            sa.select(decided.number)
            .select_from(AuditEvent)
            .join(decided, decided.id == AuditEvent.revision_id)
            .where(
                AuditEvent.post_id == Post.id,
                AuditEvent.action.in_(("post.approve", "post.request_changes")),
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        return (
            sa.select(
                picked.c.total,
                Post.id,
                Post.author_id,
                Post.updated_at,
                author.display_name.label("author_name"),
                current.id.label("revision_id"),
                current.number.label("revision"),
                listing.title_of(current).label("title"),
                listing.entry_count(current, dialect).label("entries"),
                *counts,
                live.number.label("live_number"),
                last_decision.label("reviewed_number"),
                ReviewClaim.reviewer_id,
                ReviewClaim.expires_at.label("claimed_until"),
                reviewer.display_name.label("reviewer_name"),
                Post.review_due_at,
            )  # fmt: skip
            .join(Post, Post.id == picked.c.id)
            .join(author, author.id == Post.author_id)
            .join(current, current.id == Post.current_revision_id)
            .outerjoin(stored, stored.revision_id == Post.current_revision_id)
            .outerjoin(live, live.id == Post.published_revision_id)
            # Only a claim that has not lapsed holds the post.
            .outerjoin(
                ReviewClaim,
                sa.and_(
                    ReviewClaim.post_id == Post.id,
                    ReviewClaim.expires_at > sa.bindparam("now", type_=ReviewClaim.expires_at.type),
                ),
            )
            .outerjoin(reviewer, reviewer.id == ReviewClaim.reviewer_id)
        )

    return columns


@functools.cache
def _queue_query(by_author: bool, by_tag: bool, sort: str, dialect: str) -> listing.PageQuery:
    keys, order = queue_query(by_author, by_tag, sort, dialect)
    return listing.page_query(keys, order, _queue_columns(dialect))


def queue_page(
    page: int,
    per_page: int,
    author_id: int | None = None,
    tag: str = "",
    sort: str = "oldest",
    now: datetime | None = None,
) -> listing.ListPage:
    """A page of the queue as ``QueueRow``, in one statement: the posts in review by the
    author ``author_id`` and with the tag ``tag`` (an exact tag, in any case) when given, in
    the order ``sort`` (see queue_query)."""
    now = now or utcnow()
    query = _queue_query(bool(author_id), bool(tag), sort, listing.dialect())
    params = {"author_id": author_id, "tag": tag.lower(), "now": now}
    found = listing.read_page(query, params, page, per_page)
    rows = []
    for row in found.items:
        errors, warnings = listing.counts_of(row)
        due = row.live_number is not None and row.review_due_at and row.review_due_at <= now
        rows.append(
            QueueRow(
                id=row.id,
                title=row.title,
                author_id=row.author_id,
                author_name=row.author_name,
                updated_at=row.updated_at,
                revision=row.revision,
                entries=row.entries or 0,
                errors=errors,
                warnings=warnings,
                live_number=row.live_number,
                reviewed_number=row.reviewed_number,
                reviewer_id=row.reviewer_id,
                reviewer_name=row.reviewer_name,
                claimed_until=row.claimed_until,
                due_since=row.review_due_at if due else None,
            )  # fmt: skip
        )
    return listing.ListPage(rows, page, per_page, found.total)


@dataclass(frozen=True)
class DueRow:
    """What the queue's "Due for re-review" list shows of one live post."""

    id: int
    title: str  # the live revision's
    author_name: str
    review_due_at: datetime
    state: PostState  # in review: submitted; published: waiting for its author; …
    as_it_is: bool  # its latest revision is the live one (nothing changed since)


def _due_columns(picked: sa.Subquery) -> sa.Select[Any]:
    author, live = aliased(User, name="author"), aliased(Revision, name="live")
    return (
        sa.select(
            picked.c.total,
            Post.id,
            Post.state,
            Post.review_due_at,
            (Post.current_revision_id == Post.published_revision_id).label("as_it_is"),
            author.display_name.label("author_name"),
            listing.title_of(live).label("title"),
        )
        .join(Post, Post.id == picked.c.id)
        .join(author, author.id == Post.author_id)
        .join(live, live.id == Post.published_revision_id)
    )


@functools.cache
def _due_query(dialect: str) -> listing.PageQuery:
    now = sa.bindparam("now", type_=Post.review_due_at.type)
    keys = sa.select(Post.id).where(freshness.is_due(now))
    return listing.page_query(keys, freshness.DUE_ORDER, _due_columns)


def due_page(page: int, per_page: int, now: datetime | None = None) -> listing.ListPage:
    """A page of the live posts due for re-review as ``DueRow``, the longest overdue first, in
    one statement (whether each is back in review or still waiting for its author)."""
    params = {"now": now or utcnow()}
    found = listing.read_page(_due_query(listing.dialect()), params, page, per_page)
    rows = [
        DueRow(
            id=row.id,
            title=row.title,
            author_name=row.author_name,
            review_due_at=row.review_due_at,
            state=row.state,
            as_it_is=bool(row.as_it_is),
        )
        for row in found.items
    ]
    return listing.ListPage(rows, page, per_page, found.total)


def queue_filters() -> tuple[list[tuple[int, str]], list[str]]:
    """The choices of the queue's filters: everyone with a post in review, by name (id and
    name), and the distinct tags of those posts (see queue_tags)."""
    rows = db.session.execute(
        sa.select(Post.current_revision_id, User.id, User.display_name)
        .join(User, User.id == Post.author_id)
        .where(Post.state == PostState.IN_REVIEW)
    ).all()
    authors = sorted({(uid, name) for _, uid, name in rows}, key=lambda a: (a[1].casefold(), a[0]))
    return authors, queue_tags([rid for rid, _, _ in rows if rid is not None])


def queue_tags(in_review: list[int]) -> list[str]:
    """The distinct tags of the revisions ``in_review`` (the current revisions of the posts in
    review): the queue's tag filter.

    A revision never changes, so neither do its tags: each app keeps the tags of the revisions
    in review and reads only those of revisions it has not seen. Reading them all costs
    PostgreSQL a parse of every revision's whole content (60 ms for 1,000 posts in review).
    """
    known: dict[int, list[str]] = current_app.extensions.setdefault(_TAGS, {})
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
