"""Lists of posts read as rows, a page at a time (reads only).

A list shows a few columns of many posts: read as plain rows in one statement, not as ORM
objects with their whole revisions (parsing each revision's content in Python cost more
than the rest of the page). The page's posts are picked first, filtered and sorted in SQL,
with the count of all; only those rows then read their revision's title and the rest, so the
database parses the content of a page of revisions, not of every post the filter matches.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from editorial.domain import rules
from editorial.domain.workflow import PostState
from editorial.models import (
    JobStatus,
    Post,
    PublishJob,
    Revision,
    RevisionFindings,
    WorkingCopy,
    db,
    utcnow,
)
from editorial.operations import freshness
from editorial.operations.posts import FindingCounts, counts_for


@dataclass(frozen=True)
class ListPage:
    """One page of a list, with what the pager macro reads (as Flask-SQLAlchemy's page has)."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1


@dataclass(frozen=True)
class PageQuery:
    """The two statements of a paged list: one page's rows (bind parameters ``limit`` and
    ``offset``, and the list's own), and the count of all its rows. Built once and kept: a
    statement this size takes longer to build in Python than the database takes to run it."""

    rows: sa.Select[Any]
    count: sa.Select[Any]


def page_query(
    keys: sa.Select[Any], order: Sequence[Any], rows: Callable[[sa.Subquery], sa.Select[Any]]
) -> PageQuery:
    """A list's statements from ``keys`` (a filtered select of ``Post.id``) in ``order``: the
    page's ids are picked with the count of all in a subquery, then ``rows(picked)`` reads what
    the list shows of each (joined to ``picked.c.id``), so that the database reads revisions'
    content for a page of posts only, not for every post the filter matches."""
    picked = (
        keys.add_columns(
            sa.func.row_number().over(order_by=order).label("at"),
            sa.func.count().over().label("total"),
        )
        .order_by(*order)
        .limit(sa.bindparam("limit", type_=sa.BigInteger))
        .offset(sa.bindparam("offset", type_=sa.BigInteger))
        .subquery("picked")
    )
    return PageQuery(
        rows(picked).order_by(picked.c.at),
        sa.select(sa.func.count()).select_from(keys.subquery()),
    )


def read_page(query: PageQuery, params: dict[str, Any], page: int, per_page: int) -> ListPage:
    """The ``page``-th ``per_page`` rows of ``query`` (one statement). A page past the last
    asks for the count on its own, so that it can say how many there are."""
    found = db.session.execute(
        query.rows, {**params, "limit": per_page, "offset": (page - 1) * per_page}
    ).all()
    if found:
        total = found[0].total
    elif page > 1:
        total = db.session.scalar(query.count, params)
    else:
        total = 0
    return ListPage(found, page, per_page, total)


def dialect() -> str:
    """The database's dialect name: the statements kept per kind of database."""
    return db.session.get_bind().dialect.name


def title_of(revision: Any) -> Any:
    """A revision's title, read from its content by the database."""
    return revision.content["title"].as_string()


def entry_count(revision: Any, dialect: str) -> Any:
    """How many entries a revision's content has, counted by the database."""
    if dialect == "postgresql":
        return sa.func.json_array_length(revision.content["entries"])
    return sa.func.json_array_length(revision.content, "$.entries")


def finding_columns() -> tuple[Any, list[Any]]:
    """The stored finding counts of a revision: the table to outer-join on its
    ``revision_id``, and its columns (``findings_version``, ``errors``, ``warnings``)."""
    stored = aliased(RevisionFindings, name="stored_findings")
    return stored, [
        stored.rules_version.label("findings_version"),
        stored.errors.label("errors"),
        stored.warnings.label("warnings"),
    ]


def counts_of(row: Any) -> FindingCounts:
    """A listed revision's finding counts: the stored ones, unless the rules have changed since
    (or none were stored), in which case they are computed again and stored, as everywhere."""
    if row.findings_version == rules.RULES_VERSION:
        return FindingCounts(row.errors, row.warnings)
    return counts_for(db.session.get(Revision, row.revision_id))


@dataclass(frozen=True)
class Numbered:
    number: int


@dataclass(frozen=True)
class JobRow:
    """A post's latest publishing job, as publishing/_publishing.html reads it."""

    id: int
    status: JobStatus
    action: str
    attempts: int
    last_error: str | None
    not_before: datetime


@dataclass(frozen=True)
class PostRow:
    """What the desk home shows of one post; the names are Post's, so that the publishing
    status partial reads a row as it reads a post."""

    id: int
    slug: str
    state: PostState
    author_id: int
    updated_at: datetime
    title: str
    revision: int  # the current revision's number
    errors: int
    warnings: int
    published_revision_id: int | None
    public_slug: str | None
    published_revision: Numbered | None
    autosaved_at: datetime | None
    job: JobRow | None
    review_due_at: datetime | None  # a live post's review-by date
    due: bool  # that date has passed: due for re-review


def _desk_columns(picked: sa.Subquery) -> sa.Select[Any]:
    current, live = aliased(Revision, name="current"), aliased(Revision, name="live")
    stored, counts = finding_columns()
    newer = aliased(PublishJob, name="newer")
    latest_job = sa.select(sa.func.max(newer.id)).where(newer.post_id == Post.id).scalar_subquery()
    return (
        sa.select(
            picked.c.total,
            Post.id,
            Post.slug,
            Post.state,
            Post.author_id,
            Post.updated_at,
            Post.published_revision_id,
            Post.public_slug,
            Post.review_due_at,
            current.id.label("revision_id"),
            current.number.label("revision"),
            title_of(current).label("title"),
            *counts,
            live.number.label("live_number"),
            WorkingCopy.saved_at.label("autosaved_at"),
            PublishJob.id.label("job_id"),
            PublishJob.status.label("job_status"),
            PublishJob.action.label("job_action"),
            PublishJob.attempts.label("job_attempts"),
            PublishJob.last_error.label("job_error"),
            PublishJob.not_before.label("job_not_before"),
        )  # fmt: skip
        .join(Post, Post.id == picked.c.id)
        .join(current, current.id == Post.current_revision_id)
        .outerjoin(stored, stored.revision_id == Post.current_revision_id)
        .outerjoin(live, live.id == Post.published_revision_id)
        .outerjoin(
            WorkingCopy,
            sa.and_(
                WorkingCopy.post_id == Post.id,
                # A discarded copy keeps its row with JSON null (sa.JSON stores None so).
                WorkingCopy.form_data.is_not(None),
                sa.cast(WorkingCopy.form_data, sa.Text) != "null",
            ),
        )
        .outerjoin(PublishJob, PublishJob.id == latest_job)
    )


def _post_row(row: Any, now: datetime) -> PostRow:
    errors, warnings = counts_of(row)
    live = row.published_revision_id is not None and row.state != PostState.RETRACTED
    review_due_at = row.review_due_at if live else None
    job = None
    if row.job_id is not None:
        job = JobRow(
            row.job_id, row.job_status, row.job_action, row.job_attempts, row.job_error,
            row.job_not_before,
        )  # fmt: skip
    return PostRow(
        id=row.id, slug=row.slug, state=row.state, author_id=row.author_id,
        updated_at=row.updated_at, title=row.title, revision=row.revision, errors=errors,
        warnings=warnings, published_revision_id=row.published_revision_id,
        public_slug=row.public_slug,
        published_revision=Numbered(row.live_number) if row.live_number is not None else None,
        autosaved_at=row.autosaved_at, job=job, review_due_at=review_due_at,
        due=review_due_at is not None and review_due_at <= now,
    )  # fmt: skip


# The desk home's orders, by the name its URL gives them; the first is the default.
DESK_SORTS = {
    "recent": "Last edited",
    "oldest": "Untouched longest",
}


@functools.cache
def _desk_query(by_state: bool, one_post: bool, sort: str, dialect: str, due: bool) -> PageQuery:
    keys = sa.select(Post.id).where(Post.author_id == sa.bindparam("author_id"))
    if by_state:
        keys = keys.where(Post.state == sa.bindparam("state", type_=Post.state.type))
    if due:
        keys = keys.where(freshness.is_due(sa.bindparam("now", type_=Post.review_due_at.type)))
    if one_post:
        keys = keys.where(Post.id == sa.bindparam("post_id"))
    if sort == "oldest":
        order: tuple[Any, ...] = (Post.updated_at, Post.id)
    else:
        order = (Post.updated_at.desc(), Post.id.desc())
    return page_query(keys, order, _desk_columns)


def authors_posts(
    author_id: int,
    page: int,
    per_page: int,
    state: PostState | None = None,
    post_id: int | None = None,
    sort: str = "recent",
    due: bool = False,
    now: datetime | None = None,
) -> ListPage:
    """A writer's posts, last edited first (or, with ``sort="oldest"``, untouched longest
    first), a page of ``PostRow`` (one statement): each with its state, findings, autosaved
    edits, latest publishing job and review-by date, read together so that they always agree.
    ``state``, ``due`` (live posts due for re-review) and ``post_id`` narrow the list
    (``post_id``: one row)."""
    sort = sort if sort in DESK_SORTS else "recent"
    now = now or utcnow()
    query = _desk_query(state is not None, post_id is not None, sort, dialect(), due)
    params = {"author_id": author_id, "state": state, "post_id": post_id, "now": now}
    found = read_page(query, params, page, per_page)
    return ListPage([_post_row(row, now) for row in found.items], page, per_page, found.total)
