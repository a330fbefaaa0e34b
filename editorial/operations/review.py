"""Review operations: claims, the checklist, comments and the two decisions. Verbs flush.

Each decision (approve, request changes, save the checklist, claim, release, bulk approval) is
one public verb here that runs its guards once: the desk, the API and the command line call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from editorial.domain import checklist
from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied, Refusal
from editorial.domain.workflow import Action, PostState
from editorial.models import (
    AuditEvent,
    Post,
    ReviewClaim,
    Revision,
    Role,
    Signoff,
    User,
    db,
    utcnow,
)
from editorial.operations import comments, outbox, posts
from editorial.operations.audit import record
from editorial.operations.notifications import notify

# --- guards -----------------------------------------------------------------------------------


def _refuse_unless_reviewer(post: Post, user: User) -> None:
    if not posts.can_review(post, user):
        if post.author_id == user.id:
            raise PermissionDenied("Nobody reviews their own post; another reviewer must decide.")
        raise PermissionDenied("Only reviewers can decide on posts.")


def _refuse_unseen(post: Post, revision_number: int | None) -> None:
    # A reviewer decides on the revision they read; a newer one needs reading first. Every
    # decision names that revision: without it nothing says the reviewer saw what goes live.
    if revision_number is None:
        raise InvalidInput.single(
            "revision", "Name the revision you reviewed; a decision is made on one revision."
        )
    posts.lock_unchanged(
        post,
        revision_number,
        "The post changed while you were reviewing it: revision {current} is now current, "
        "you reviewed revision {seen}.",
    )


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
    _refuse_unless_reviewer(post, reviewer)
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
    if held.reviewer_id != user.id and not user.has_role(Role.ADMIN):
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


def checklist_keys(post: Post) -> set[str]:
    """Every checklist item's key on the current revision: the whole checklist, ticked."""
    return {item.key for item in checklist.items(post.current_revision.content)}


def sign_off(
    post: Post, reviewer: User, ticked: set[str], revision_number: int | None
) -> list[CheckItem]:
    """Save the checklist: which items are ticked now on ``revision_number`` (the one the
    reviewer has in front of them, refused if no longer current); the others are unticked."""
    _refuse_unless_reviewer(post, reviewer)
    _refuse_unseen(post, revision_number)
    return _tick(post, reviewer, ticked)


def _tick(post: Post, reviewer: User, ticked: set[str]) -> list[CheckItem]:
    # A tick carried over from an earlier revision (its content unchanged) is confirmed on this
    # one: the row then names the revision the reviewer had in front of them.
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
    # After the reviewer guard: the revision read is current, the post waits for a decision,
    # nobody else holds it; then the ticks are stored with the decision.
    _refuse_unseen(post, revision_number)
    if post.state in (PostState.APPROVED, PostState.CHANGES_REQUESTED):
        raise Conflict(
            f"This post is already {post.state.label.lower()}; someone decided on it first."
        )
    if post.state != PostState.IN_REVIEW:
        raise Conflict(f"This post is {post.state.label.lower()}, not in review.")
    _refuse_claimed_by_other(post, reviewer, utcnow())
    return _tick(post, reviewer, ticked)


def _add_entry_comments(post: Post, reviewer: User, notes: Sequence[tuple[str, str]]) -> None:
    """Comments on entries that come with a decision, as (entry name, comment) pairs."""
    for i, (entry, note) in enumerate(notes):
        try:
            comments.add_comment(post, reviewer, note, entry_name=entry)
        except InvalidInput as exc:  # name the field as the caller sent it
            fields = {"entry": "entry", "body": "comment"}
            raise InvalidInput(
                [(f"entry_comments[{i}].{fields.get(f, f)}", m) for f, m in exc.problems]
            ) from None


def approve(
    post: Post,
    reviewer: User,
    ticked: set[str],
    comment: str = "",
    revision_number: int | None = None,
    publish_at: datetime | None = None,
    entry_comments: Sequence[tuple[str, str]] = (),
) -> None:
    """Approve the revision the reviewer read (``revision_number``, required) once every
    checklist item is signed off on it and no error finding is left; the revision is pinned
    and its publish job written in the same transaction (the outbox), to run now or at
    ``publish_at``."""
    _refuse_unless_reviewer(post, reviewer)
    _add_entry_comments(post, reviewer, entry_comments)
    _approve(post, reviewer, ticked, comment, revision_number, publish_at)


def approve_signed_off(post: Post, reviewer: User) -> None:
    """Approve from the queue: only a post whose every item this reviewer signed off on its
    current revision (on the review page), so an approval never covers a revision unread."""
    _refuse_unless_reviewer(post, reviewer)
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
    _approve(post, reviewer, {i.key for i in items}, "", revision.number)


@dataclass
class Outcome:
    """What a bulk action did: the posts it changed, and the refused ones with the reason."""

    done: list[Post]
    refused: list[tuple[Post, Refusal]]


BULK_ACTIONS = ("claim", "release", "approve")


def act_on_many(action: str, post_ids: Sequence[int], reviewer: User, minutes: int) -> Outcome:
    """Claim, release or approve (what was signed off) several posts, each through the same
    verb as one post, each in its own savepoint: a refusal undoes that post only."""
    if action not in BULK_ACTIONS:
        raise InvalidInput.single("action", f"Choose one of: {', '.join(BULK_ACTIONS)}.")
    outcome = Outcome([], [])
    for post_id in post_ids:
        post = db.session.get(Post, post_id)
        if post is None or not posts.can_view(post, reviewer):
            continue
        try:
            with db.session.begin_nested():
                if action == "claim":
                    claim(post, reviewer, minutes)
                elif action == "release":
                    release(post, reviewer)
                else:
                    approve_signed_off(post, reviewer)
        except Refusal as refusal:  # the savepoint is rolled back; the others go on
            outcome.refused.append((post, refusal))
        else:
            outcome.done.append(post)
    return outcome


def _approve(
    post: Post,
    reviewer: User,
    ticked: set[str],
    comment: str,
    revision_number: int | None,
    publish_at: datetime | None = None,
) -> None:
    # Everything after the reviewer guard, shared by the two ways to approve.
    items = _start_decision(post, reviewer, ticked, revision_number)
    missing = [i for i in items if not i.ticked]
    if missing:
        raise InvalidInput.single(
            "checklist",
            f"Tick every checklist item before approving; {len(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not ticked.",
        )
    posts.refuse_errors(post, "approving")
    if publish_at is not None and (problem := outbox.schedule_problem(publish_at)):
        raise InvalidInput.single("publish_at", problem)
    post.approved_revision = post.current_revision
    db.session.flush()  # the pin must be stored before the state that requires it
    details: dict[str, Any] = {"comment": comment.strip()}
    if publish_at is not None:
        details["publish_at"] = publish_at.isoformat()
    posts.transition(post, Action.APPROVE, reviewer, **details)
    outbox.enqueue(post, "publish", reviewer, post.approved_revision, not_before=publish_at)
    _finish_decision(post)
    notify(
        post.author,
        "approved",
        f"{reviewer.display_name} approved “{post.title}” "
        f"(revision {post.approved_revision.number}).",
        post,
    )


def request_changes(
    post: Post,
    reviewer: User,
    ticked: set[str],
    comment: str,
    revision_number: int | None = None,
    entry_comments: Sequence[tuple[str, str]] = (),
) -> None:
    """Send the post back from the revision the reviewer read (``revision_number``, required);
    needs a comment (here, on an entry, or left earlier on the post or an entry)."""
    _refuse_unless_reviewer(post, reviewer)
    _add_entry_comments(post, reviewer, entry_comments)
    _start_decision(post, reviewer, ticked, revision_number)
    comment = comment.strip()
    if comment:
        comments.add_comment(post, reviewer, comment)
    open_comments = comments.open_comments_by(post, reviewer)
    if not open_comments:
        raise InvalidInput.single(
            "comment", "Say what should change: comment on the post or on an entry."
        )
    summary = comment or f"{len(open_comments)} comment(s) on the post and its entries."
    posts.transition(post, Action.REQUEST_CHANGES, reviewer, comment=summary)
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
