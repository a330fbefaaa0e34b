"""Review operations: claims, the checklist, comments and the two decisions. Verbs flush.

The decisions wrap ``operations.approve`` and ``operations.request_changes`` (which hold the
four-eyes rule, the stale-revision check and the state change) with what only a reviewer in
the desk does: sign off every checklist item, leave feedback, tell the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from editorial.domain import checklist
from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied
from editorial.domain.workflow import PostState
from editorial.models import (
    AuditEvent,
    Comment,
    Post,
    ReviewClaim,
    Revision,
    Signoff,
    User,
    db,
    utcnow,
)
from editorial.operations import posts
from editorial.operations.audit import record
from editorial.operations.notifications import notify

COMMENT_LIMIT = 5_000


# --- claims -----------------------------------------------------------------------------------


def active_claim(post: Post, now: datetime | None = None) -> ReviewClaim | None:
    """The claim on ``post`` that has not lapsed, if any."""
    claim = db.session.get(ReviewClaim, post.id)
    if claim is None or claim.expires_at <= (now or utcnow()):
        return None
    return claim


def claim(post: Post, reviewer: User, minutes: int, now: datetime | None = None) -> ReviewClaim:
    """Take a post in review for ``minutes``; refused while another reviewer holds it."""
    now = now or utcnow()
    if not posts.can_review(post, reviewer):
        raise PermissionDenied(posts._why_not_reviewer(post, reviewer))
    posts.lock_post(post)
    if post.state != PostState.IN_REVIEW:
        raise Conflict(f"This post is {post.state.label.lower()}, not in review.")
    _refuse_claimed_by_other(post, reviewer, now)
    held = db.session.get(ReviewClaim, post.id)
    if held is None:
        held = ReviewClaim(post_id=post.id)
        db.session.add(held)
    held.reviewer_id, held.claimed_at = reviewer.id, now
    held.expires_at = now + timedelta(minutes=minutes)
    db.session.flush()
    record(
        "post.claimed", actor=reviewer, post=post, details={"until": held.expires_at.isoformat()}
    )
    return held


def release(post: Post, user: User) -> None:
    """Give a claim back: its reviewer or an admin may."""
    held = db.session.get(ReviewClaim, post.id)
    if held is None:
        return
    if held.reviewer_id != user.id and not user.has_role(posts.Role.ADMIN):
        raise PermissionDenied(
            "Only the reviewer who claimed this post (or an admin) can release it."
        )
    db.session.delete(held)
    db.session.flush()
    record("post.released", actor=user, post=post, details={"reviewer": held.reviewer_id})


def _refuse_claimed_by_other(post: Post, reviewer: User, now: datetime) -> None:
    held = active_claim(post, now)
    if held is not None and held.reviewer_id != reviewer.id:
        raise Conflict(
            f"{held.reviewer.display_name} is reviewing this post "
            f"(claimed until {held.expires_at:%H:%M} UTC)."
        )


# --- the checklist ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    item: checklist.Item
    ticked: bool  # signed off on exactly this content
    changed: bool  # signed off earlier, but the content changed since: check it again


def checklist_for(post: Post, reviewer: User) -> list[CheckItem]:
    """The checklist of the current revision, with this reviewer's earlier sign-offs."""
    signed = {
        s.item: s.fingerprint
        for s in db.session.scalars(
            sa.select(Signoff).where(Signoff.post_id == post.id, Signoff.reviewer_id == reviewer.id)
        )
    }
    out = []
    for item in checklist.items(post.current_revision.content):
        seen = signed.get(item.key)
        out.append(CheckItem(item, seen == item.fingerprint, seen not in (None, item.fingerprint)))
    return out


def sign_off(post: Post, reviewer: User, ticked: set[str]) -> list[CheckItem]:
    """Record which items are ticked now, on the current revision (the others are unticked).

    A tick carried over from an earlier revision (its content unchanged) is confirmed on this
    one: the row then names the revision the reviewer had in front of them.
    """
    revision = post.current_revision
    for item in checklist.items(revision.content):
        row = db.session.get(Signoff, (post.id, reviewer.id, item.key))
        if item.key in ticked:
            if row is None:
                row = Signoff(post_id=post.id, reviewer_id=reviewer.id, item=item.key)
                db.session.add(row)
            if row.fingerprint != item.fingerprint or row.revision_id != revision.id:
                row.fingerprint, row.revision_id, row.signed_at = (
                    item.fingerprint,
                    revision.id,
                    utcnow(),
                )
        elif row is not None and row.fingerprint == item.fingerprint:
            db.session.delete(row)
    db.session.flush()
    return checklist_for(post, reviewer)


# --- decisions --------------------------------------------------------------------------------


def _start_decision(
    post: Post, reviewer: User, ticked: set[str], revision_number: int | None
) -> list[CheckItem]:
    if not posts.can_review(post, reviewer):
        raise PermissionDenied(posts._why_not_reviewer(post, reviewer))
    posts._refuse_unseen(post, revision_number)
    if post.state in (PostState.APPROVED, PostState.CHANGES_REQUESTED):
        raise Conflict(
            f"This post is already {post.state.label.lower()}; someone decided on it first."
        )
    if post.state != PostState.IN_REVIEW:
        raise Conflict(f"This post is {post.state.label.lower()}, not in review.")
    _refuse_claimed_by_other(post, reviewer, utcnow())
    return sign_off(post, reviewer, ticked)


def approve_post(
    post: Post,
    reviewer: User,
    ticked: set[str],
    comment: str,
    revision_number: int | None,
    publish_at: datetime | None = None,
) -> None:
    """Approve the revision the reviewer read (``revision_number``, required) once every
    checklist item is signed off on it and no error finding is left."""
    items = _start_decision(post, reviewer, ticked, revision_number)
    missing = [i for i in items if not i.ticked]
    if missing:
        raise InvalidInput.single(
            "checklist",
            f"Tick every checklist item before approving; {len(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not ticked.",
        )
    posts.approve(post, reviewer, comment.strip(), revision_number, publish_at)
    _finish_decision(post)
    notify(
        post.author,
        "approved",
        f"{reviewer.display_name} approved “{post.title}” "
        f"(revision {post.approved_revision.number}).",
        post,
    )


def approve_signed_off(post: Post, reviewer: User) -> None:
    """Approve from the queue: only a post whose every item this reviewer signed off on its
    current revision (on the review page), so an approval never covers a revision unread."""
    if not posts.can_review(post, reviewer):
        raise PermissionDenied(posts._why_not_reviewer(post, reviewer))
    revision = post.current_revision
    signed = {
        s.item: s
        for s in db.session.scalars(
            sa.select(Signoff).where(Signoff.post_id == post.id, Signoff.reviewer_id == reviewer.id)
        )
    }
    items = checklist.items(revision.content)
    unseen = [
        item
        for item in items
        if (row := signed.get(item.key)) is None
        or row.fingerprint != item.fingerprint
        or row.revision_id != revision.id
    ]
    if unseen:
        raise Conflict(
            f"revision {revision.number} needs a look: {len(unseen)} of {len(items)} checklist "
            f"items {'is' if len(unseen) == 1 else 'are'} not signed off on it. "
            "Open its review page."
        )
    approve_post(post, reviewer, {i.key for i in items}, "", revision.number)


def request_changes_post(
    post: Post,
    reviewer: User,
    ticked: set[str],
    comment: str,
    revision_number: int | None,
) -> None:
    """Send the post back from the revision the reviewer read (``revision_number``, required);
    needs a comment (here, or left earlier on the post or an entry)."""
    _start_decision(post, reviewer, ticked, revision_number)
    comment = comment.strip()
    if comment:
        add_comment(post, reviewer, comment)
    open_comments = open_comments_by(post, reviewer)
    if not open_comments:
        raise InvalidInput.single(
            "comment", "Say what should change: comment on the post or on an entry."
        )
    summary = comment or f"{len(open_comments)} comment(s) on the post and its entries."
    posts.request_changes(post, reviewer, summary, revision_number)
    _finish_decision(post)
    notify(
        post.author,
        "changes_requested",
        f"{reviewer.display_name} asked for changes to “{post.title}”: {summary}",
        post,
    )


def _finish_decision(post: Post) -> None:
    held = db.session.get(ReviewClaim, post.id)
    if held is not None:
        db.session.delete(held)
        db.session.flush()


def last_reviewed_revision(post: Post) -> Revision | None:
    """The revision of the latest decision (approve or request changes) on this post."""
    revision_id = db.session.scalar(
        sa.select(AuditEvent.revision_id)
        .where(
            AuditEvent.post_id == post.id,
            AuditEvent.action.in_(("post.approve", "post.request_changes")),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return db.session.get(Revision, revision_id) if revision_id else None


# --- comments ---------------------------------------------------------------------------------


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
