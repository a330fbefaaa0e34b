"""The API's lists a page at a time, keyset-paged: ``?limit=`` rows after the opaque
``?after=`` cursor of the last row seen. A row that changes while a client pages moves
instead of shifting every later page, as offsets would."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import abort, request, url_for

from editorial.api.problems import problem
from editorial.models import Post, Revision, db

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def post_page(query: sa.Select[Any], newest_first: bool) -> tuple[list[dict[str, Any]], Any]:
    """One page of ``query``'s posts (ordered by when they last changed, then id) as API
    summaries, and the cursor after its last row (None on the last page). Each row's title and
    revision number come with it: one statement, whatever the page's size."""
    limit, after = _limit(), _after()
    order = (Post.updated_at.desc(), Post.id.desc()) if newest_first else (Post.updated_at, Post.id)
    if after is not None:
        at, post_id = after
        later = (Post.updated_at < at) if newest_first else (Post.updated_at > at)
        beyond = (Post.id < post_id) if newest_first else (Post.id > post_id)
        query = query.where(sa.or_(later, sa.and_(Post.updated_at == at, beyond)))
    title = Revision.content["title"].as_string()
    rows = db.session.execute(
        query.add_columns(Revision.number, title)
        .outerjoin(Revision, Revision.id == Post.current_revision_id)
        .order_by(*order)
        .limit(limit + 1)
    ).all()
    summaries = [
        {
            "id": post.id,
            "slug": post.slug,
            "title": title or post.slug,
            "state": post.state.value,
            "revision": number,
            "updated_at": post.updated_at.isoformat(),
        }
        for post, number, title in rows[:limit]
    ]
    last = rows[limit - 1][0] if len(rows) > limit else None
    return summaries, _cursor(last) if last is not None else None


def next_link(endpoint: str, cursor: str | None) -> str | None:
    """The URL of the page after this one, keeping its limit."""
    if cursor is None:
        return None
    return url_for(endpoint, limit=request.args.get("limit"), after=cursor, _external=True)


def _cursor(post: Post) -> str:
    raw = f"{post.updated_at.isoformat()}|{post.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _limit() -> int:
    text = request.args.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        abort(problem(422, "The page size is not valid.", [("limit", _LIMIT_RULE)]))
    return int(text)


_LIMIT_RULE = f"A whole number from 1 to {MAX_LIMIT}; {DEFAULT_LIMIT} when left out."


def _after() -> tuple[datetime, int] | None:
    text = request.args.get("after")
    if text is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        at, _, post_id = raw.partition("|")
        when = datetime.fromisoformat(at)
        number = int(post_id)
        if when.tzinfo is None or not 0 < number < 2**63:
            raise ValueError(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        abort(
            problem(
                422,
                "The cursor is not valid.",
                [("after", "Pass the cursor from the previous page's `next` link unchanged.")],
            )
        )
    return when.astimezone(UTC), number
