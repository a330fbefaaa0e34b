"""Comments on a post or on one of its entries: reviewers leave them, the writer replies and
resolves them. Verbs flush, never commit."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from editorial.domain import checklist
from editorial.domain.errors import InvalidInput, PermissionDenied
from editorial.models import Comment, Post, User, db, utcnow
from editorial.operations import posts
from editorial.operations.audit import record
from editorial.operations.notifications import notify

COMMENT_LIMIT = 5_000


def can_comment(post: Post, user: User) -> bool:
    """The author and reviewers (other than the author) discuss a post."""
    return posts.can_edit(post, user) or posts.can_review(post, user)


def add_comment(
    post: Post,
    author: User,
    body: str,
    entry_name: str | None = None,
    parent: Comment | None = None,
) -> Comment:
    """Comment on the post, on one entry (by name), or reply to a comment."""
    if not can_comment(post, author):
        raise PermissionDenied("Only the post's author and its reviewers can comment on it.")
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput.single("body", "Write the comment first.")
    if len(body) > COMMENT_LIMIT:
        raise InvalidInput.single(
            "body", f"At most {COMMENT_LIMIT:,} characters; this has {len(body):,}."
        )
    if parent is not None:
        if parent.post_id != post.id:
            raise InvalidInput.single("parent", "That comment belongs to another post.")
        parent = parent if parent.parent_id is None else db.session.get(Comment, parent.parent_id)
        entry_name = parent.entry_name
    elif entry_name:
        names = {
            checklist.entry_key(e["name"]): e["name"]
            for e in post.current_revision.content["entries"]
        }
        if checklist.entry_key(entry_name) not in names:
            raise InvalidInput.single("entry", f"This post has no entry called “{entry_name}”.")
        entry_name = names[checklist.entry_key(entry_name)]
    comment = Comment(
        post_id=post.id,
        revision_id=post.current_revision_id,
        entry_key=checklist.entry_key(entry_name) if entry_name else None,
        entry_name=entry_name or None,
        parent_id=parent.id if parent else None,
        author_id=author.id,
        body=body,
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    record(
        "comment.added",
        actor=author,
        post=post,
        revision=post.current_revision,
        details={"comment": comment.id, "entry": entry_name, "reply_to": comment.parent_id},
    )
    if parent is not None and parent.author_id != author.id:
        notify(
            parent.author,
            "reply",
            f"{author.display_name} replied on “{post.title}”: {body[:200]}",
            post,
        )
    return comment


def resolve_comment(comment: Comment, user: User) -> None:
    """Mark a comment thread resolved (the writer, or a reviewer of the post)."""
    post = db.session.get(Post, comment.post_id)
    if not can_comment(post, user):
        raise PermissionDenied("Only the post's author and its reviewers can resolve comments.")
    if comment.parent_id is not None:
        comment = db.session.get(Comment, comment.parent_id)
    if comment.resolved_at is None:
        comment.resolved_at, comment.resolved_by_id = utcnow(), user.id
        db.session.flush()
        record("comment.resolved", actor=user, post=post, details={"comment": comment.id})


def threads(post: Post) -> list[Comment]:
    """The post's top-level comments, oldest first (replies hang off each)."""
    return list(
        db.session.scalars(
            sa.select(Comment)
            .where(Comment.post_id == post.id, Comment.parent_id.is_(None))
            .order_by(Comment.created_at, Comment.id)
            # Named here: on a relationship to its own table, ``lazy="selectin"`` alone loads
            # nothing (it needs a join_depth), and each thread would ask for its replies.
            .options(selectinload(Comment.replies))
        )
    )


def open_comments_by(post: Post, reviewer: User) -> list[Comment]:
    """Unresolved top-level comments this reviewer left on the current revision."""
    return [
        c
        for c in threads(post)
        if c.author_id == reviewer.id
        and c.resolved_at is None
        and c.revision_id == post.current_revision_id
    ]
