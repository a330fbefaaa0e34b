"""Working copies: autosaved edits that are not a revision yet. Verbs flush, never commit.

One working copy per post. Each autosave overwrites it and bumps its ``version``; an editor
tab sends the version it last saw, so a second tab (or a second person) cannot overwrite
edits it never saw. An explicit save turns the edits into a revision and drops the copy.
"""

from __future__ import annotations

from editorial.domain.errors import Conflict, PermissionDenied
from editorial.models import Post, User, WorkingCopy, db, utcnow
from editorial.operations.audit import record
from editorial.operations.posts import can_edit, start_edit


def working_copy(post: Post) -> WorkingCopy | None:
    """The post's autosaved edits, if any."""
    copy = db.session.get(WorkingCopy, post.id)
    return copy if copy is not None and copy.form_data is not None else None


def check_working_version(post: Post, seen: int) -> None:
    """Raise Conflict when the post has autosaved edits newer than the ``seen`` version."""
    copy = working_copy(post)
    if copy is not None and copy.version != seen:
        when = copy.saved_at.strftime("%H:%M UTC")
        raise Conflict(
            f"Newer changes to this post were autosaved at {when} by {copy.saved_by.display_name}"
            " from another window, after you opened it.",
            current_revision=post.current_revision.number,
        )


def autosave(
    post: Post,
    form_data: list[list[str]],
    actor: User,
    base_revision: int,
    working_version: int,
) -> WorkingCopy:
    """Store the editor's fields as the post's working copy; stale tabs get a Conflict."""
    start_edit(post, actor, base_revision)
    check_working_version(post, working_version)
    copy = db.session.get(WorkingCopy, post.id)  # also an emptied one: its version goes on
    if copy is None:
        copy = WorkingCopy(post=post, version=0)
        db.session.add(copy)
    copy.base_revision = base_revision
    copy.version += 1
    copy.form_data = form_data
    copy.saved_by = actor
    copy.saved_at = utcnow()
    db.session.flush()
    return copy


def discard_working_copy(post: Post, actor: User, *, audit: bool = True) -> None:
    """Drop the post's autosaved edits (after a save made them a revision, or on request)."""
    if not can_edit(post, actor):
        raise PermissionDenied("Only the post's author can discard its changes.")
    copy = working_copy(post)
    if copy is not None:
        copy.form_data = None  # the row and its version stay (see WorkingCopy)
        db.session.flush()
        if audit:
            record("post.changes_discarded", actor=actor, post=post, details={})
