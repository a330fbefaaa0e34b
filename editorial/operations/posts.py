"""Post operations: verbs that change posts. They check, change, record and flush (never commit)."""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from editorial.domain import rules
from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied
from editorial.domain.interchange import RankingPost
from editorial.domain.markdown import render_content
from editorial.domain.workflow import Action, PostState, next_state
from editorial.models import Post, Revision, RevisionFindings, Role, User, db, utcnow
from editorial.operations.audit import record
from editorial.operations.notifications import notify_reviewers


class FindingCounts(NamedTuple):
    errors: int
    warnings: int


def findings_for(revision: Revision) -> list[rules.Finding]:
    """The editorial rules' findings for a stored revision: the stored ones while the rules
    have not changed since, else computed again and stored (flushed, not committed)."""
    return [rules.Finding.from_dict(f) for f in _current_findings(revision).findings]


def counts_for(revision: Revision) -> FindingCounts:
    """How many error and warning findings a stored revision has (stored, like its findings)."""
    stored = _current_findings(revision)
    return FindingCounts(stored.errors, stored.warnings)


def store_findings(revision: Revision) -> RevisionFindings:
    """Compute the revision's findings with the current rules and store them with it.

    Only this cache row is written: the revision itself stays as it was saved.
    """
    found = rules.check_post(RankingPost.model_validate(revision.content))
    errors = sum(f.severity is rules.Severity.ERROR for f in found)
    values = {
        "rules_version": rules.RULES_VERSION,
        "errors": errors,
        "warnings": len(found) - errors,
        "findings": [f.as_dict() for f in found],
    }
    try:
        # A savepoint: another request may store the same revision's findings first, and a
        # request that only reads (SQLite) may find a writer holding the database.
        with db.session.begin_nested():
            stored = db.session.get(RevisionFindings, revision.id)
            if stored is None:
                stored = RevisionFindings(revision_id=revision.id, **values)
                db.session.add(stored)
            else:
                for name, value in values.items():
                    setattr(stored, name, value)
    except IntegrityError:
        stored = db.session.get(RevisionFindings, revision.id, populate_existing=True)
        if stored is None:
            raise
    except OperationalError:
        # The database is busy with a writer: answer with the findings just computed, unsaved;
        # the next save, a later read or `editorial posts recheck` stores them.
        return RevisionFindings(revision_id=revision.id, **values)
    # Tell the revision without marking it changed (its immutability guard would refuse).
    set_committed_value(revision, "stored_findings", stored)
    return stored


def recheck_stale(limit: int = 500) -> int:
    """Store current findings for up to ``limit`` revisions whose stored ones are missing or
    older than the rules; returns how many (0 once none is left). Flushes, never commits."""
    stale = db.session.scalars(
        sa.select(Revision)
        .outerjoin(RevisionFindings, RevisionFindings.revision_id == Revision.id)
        .where(
            sa.or_(
                RevisionFindings.revision_id.is_(None),
                RevisionFindings.rules_version != rules.RULES_VERSION,
            )
        )
        .order_by(Revision.id)
        .limit(limit)
    ).all()
    for revision in stale:
        store_findings(revision)
    return len(stale)


def _current_findings(revision: Revision) -> RevisionFindings:
    stored = revision.stored_findings
    if stored is None or stored.rules_version != rules.RULES_VERSION:
        stored = store_findings(revision)
    return stored


def fill_slug(post: RankingPost) -> RankingPost:
    """``post`` with an empty slug made from its title (still empty without a title)."""
    if post.slug:
        return post
    return post.model_copy(update={"slug": slugify(post.title, max_length=100, word_boundary=True)})


def slug_taken(slug: str, post_id: int | None) -> bool:
    """Whether a post other than ``post_id`` has ``slug`` (or had it when first published)."""
    # A published post keeps its first address even after its slug changes: that is taken too.
    taken = db.session.scalar(
        sa.select(Post.id)
        .where(sa.or_(Post.slug == slug, Post.public_slug == slug), Post.id != post_id)
        .limit(1)
    )
    return taken is not None


def _claim_slug(post: RankingPost, post_id: int | None) -> RankingPost:
    """Fill an empty slug from the title; refuse a malformed or taken one."""
    slug = fill_slug(post).slug
    if not slug:
        raise InvalidInput.single("slug", "Give the post a title or a slug.")
    if problem := rules.slug_problem(slug):
        raise InvalidInput.single("slug", problem)
    if slug_taken(slug, post_id):
        raise InvalidInput.single("slug", f'The slug "{slug}" is already taken by another post.')
    return post.model_copy(update={"slug": slug})


def _new_revision(post: Post, content: RankingPost, actor: User) -> Revision:
    last = db.session.scalar(
        sa.select(sa.func.max(Revision.number)).where(Revision.post_id == post.id)
    )
    data = content.content()
    revision = Revision(
        post=post,
        number=(last or 0) + 1,
        content=data,
        rendered=render_content(data),
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    db.session.add(revision)
    db.session.flush()
    store_findings(revision)
    post.current_revision = revision
    post.slug = data["slug"]
    post.updated_at = revision.created_at
    return revision


def create_post(content: RankingPost, author: User) -> Post:
    """Create a draft post from interchange content; its first revision is made by ``author``."""
    if not (author.active and author.has_role(Role.WRITER)):
        raise PermissionDenied(f"{author.email} is not an active writer.")
    content = _claim_slug(content, None)
    now = utcnow()
    post = Post(
        slug=content.slug, author=author, state=PostState.DRAFT, created_at=now, updated_at=now
    )
    db.session.add(post)
    db.session.flush()
    revision = _new_revision(post, content, author)
    db.session.flush()
    record("post.created", actor=author, post=post, revision=revision)
    return post


def lock_post(post: Post) -> None:
    """Lock the post's row for this transaction (a no-op on SQLite) and reload its state."""
    db.session.execute(sa.select(Post.id).where(Post.id == post.id).with_for_update())
    db.session.refresh(post)


def lock_unchanged(post: Post, seen: int | None, message: str) -> None:
    """Lock the post; raise Conflict (``message`` filled in) if ``seen`` is no longer current."""
    lock_post(post)
    current = post.current_revision
    if seen is not None and current is not None and current.number != seen:
        raise Conflict(
            message.format(current=current.number, seen=seen), current_revision=current.number
        )


def start_edit(post: Post, actor: User, base_revision: int | None) -> None:
    """Check that ``actor`` may edit ``post`` and that nobody saved since ``base_revision``."""
    if not can_edit(post, actor):
        raise PermissionDenied("Only the post's author can edit it.")
    lock_unchanged(
        post,
        base_revision,
        "This post was saved again (now revision {current}) after revision {seen}, "
        "which your changes started from.",
    )
    next_state(Action.EDIT, post.state)  # a post in review takes no edits


def save_revision(
    post: Post, content: RankingPost, actor: User, base_revision: int | None = None
) -> Revision:
    """Save new content as the post's next revision; a stale ``base_revision`` is a Conflict."""
    start_edit(post, actor, base_revision)
    new_state = next_state(Action.EDIT, post.state)
    content = _claim_slug(content, post.id)
    revision = _new_revision(post, content, actor)
    details: dict[str, Any] = {"number": revision.number}
    if new_state != post.state:
        details["state"] = {"from": post.state.value, "to": new_state.value}
        if post.state == PostState.APPROVED:
            post.approved_revision = None
        post.state = new_state
    db.session.flush()
    record("post.revised", actor=actor, post=post, revision=revision, details=details)
    return revision


def can_edit(post: Post, user: User) -> bool:
    return user.active and post.author_id == user.id and user.has_role(Role.WRITER)


def can_view(post: Post, user: User) -> bool:
    """Its author, reviewers and admins may read a post's drafts and history."""
    return user.active and (
        post.author_id == user.id or user.has_role(Role.REVIEWER) or user.has_role(Role.ADMIN)
    )


def restore_revision(post: Post, number: int, actor: User, base_revision: int) -> Revision:
    """Make an earlier revision's content the newest revision (history keeps everything)."""
    old = post.revisions.filter_by(number=number).first()
    if old is None:
        raise InvalidInput.single("revision", f"This post has no revision {number}.")
    content = RankingPost.model_validate(old.content)
    revision = save_revision(post, content, actor, base_revision=base_revision)
    record(
        "post.restored",
        actor=actor,
        post=post,
        revision=revision,
        details={"from": number, "number": revision.number},
    )
    return revision


def can_review(post: Post, user: User) -> bool:
    """Reviewers decide on others' posts; nobody decides on their own, admins included."""
    return user.active and user.has_role(Role.REVIEWER) and post.author_id != user.id


def transition(post: Post, action: Action, actor: User, **details: Any) -> PostState:
    """Move the post along the workflow's transitions table and record it (the only place that
    assigns ``post.state``); the verb that calls it has run its own guards."""
    lock_post(post)
    before = post.state
    post.state = next_state(action, before)
    post.updated_at = utcnow()
    db.session.flush()
    record(
        f"post.{action.value}",
        actor=actor,
        post=post,
        revision=post.current_revision,
        details={"from": before.value, "to": post.state.value, **details},
    )
    return post.state


def refuse_errors(post: Post, doing: str) -> None:
    """Raise InvalidInput listing the current revision's error findings, if it has any."""
    errors = [f for f in findings_for(post.current_revision) if f.severity == rules.Severity.ERROR]
    if errors:
        raise InvalidInput(
            [(f.field, f.message) for f in errors]
            + [("", f"Fix the {len(errors)} error finding(s) before {doing}.")]
        )


def submit_for_review(post: Post, actor: User) -> None:
    """Send the current revision to the review queue; only when it has no error findings."""
    if not can_edit(post, actor):
        raise PermissionDenied("Only the post's author can submit it for review.")
    next_state(Action.SUBMIT, post.state)
    refuse_errors(post, "submitting for review")
    transition(post, Action.SUBMIT, actor)
    notify_reviewers(post, f"New in the review queue: “{post.title}” by {actor.display_name}.")


def withdraw(post: Post, actor: User) -> None:
    """Take a post back out of the review queue."""
    if not can_edit(post, actor):
        raise PermissionDenied("Only the post's author can withdraw it.")
    transition(post, Action.WITHDRAW, actor)


def export_post(post: Post, revision: Revision | None = None) -> dict[str, Any]:
    """A revision's content (the current one's unless given) in the interchange format, with a
    ``meta`` object that import ignores."""
    revision = revision or post.current_revision
    return {
        **revision.content,
        "meta": {
            "id": post.id,
            "state": post.state.value,
            "revision": revision.number,
            "author": {"email": post.author.email, "name": post.author.display_name},
            "created_at": post.created_at.isoformat(),
            "updated_at": post.updated_at.isoformat(),
            "approved_revision": post.approved_revision.number if post.approved_revision else None,
            "published_revision": (
                post.published_revision.number if post.published_revision else None
            ),
        },
    }


def get_post(id_or_slug: str | int) -> Post | None:
    """A post by numeric id or by slug."""
    if isinstance(id_or_slug, int) or str(id_or_slug).isdigit():
        post = db.session.get(Post, int(id_or_slug))
        if post is not None:
            return post
    return db.session.scalar(sa.select(Post).where(Post.slug == str(id_or_slug)))
