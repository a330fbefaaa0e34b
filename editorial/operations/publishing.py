"""What a publish job does to the rows: take the job, apply its decision to the post, finish
it, or note its failure. Verbs that flush, never commit: the task (``tasks.publishing``)
commits, and ``site.build`` writes the files between applying and finishing.

Every write to the site happens while holding the one ``site_state`` row locked, so jobs on
several workers and machines take turns; each renders what the database says *now*, so an
older job that runs late writes the newest state, never its own stale one. A running job
names its worker and is held by it while the worker's heartbeat beats (see ``outbox``).
"""

from __future__ import annotations

import random
import traceback
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from editorial.domain.tags import tag_slug
from editorial.domain.workflow import Action, PostState, next_state
from editorial.models import (
    JobStatus,
    Post,
    PostTag,
    Publication,
    PublishJob,
    SiteState,
    db,
    utcnow,
)
from editorial.operations import freshness, outbox
from editorial.operations.audit import record

MAX_BACKOFF = 300


def backoff(retries: int) -> float:
    """Seconds before retry number ``retries + 1``: exponential, capped, fully jittered."""
    return random.uniform(0, min(MAX_BACKOFF, 2 ** (retries + 1)))  # noqa: S311 - not crypto


def lock_site() -> SiteState:
    """Take the site's write lock for this transaction (the row is made on first use)."""
    state = db.session.scalar(sa.select(SiteState).where(SiteState.id == 1).with_for_update())
    if state is None:
        db.session.add(SiteState(id=1, generation=0))
        db.session.flush()
        state = db.session.scalar(sa.select(SiteState).where(SiteState.id == 1).with_for_update())
    return state


def start(job_id: int, now: datetime | None = None) -> PublishJob | None:
    """Take a due job for this worker: running, one more attempt, held by this worker. None
    when there is nothing to do (done already, not due, unknown). ``updated_at`` is the moment
    it started, which everything the job does is stamped with."""
    job = db.session.get(PublishJob, job_id, with_for_update=True)
    now = now or utcnow()
    if job is None or job.status == JobStatus.DONE or job.not_before > now:
        return None
    job.status, job.attempts, job.updated_at = JobStatus.RUNNING, job.attempts + 1, now
    job.worker, job.held_until = outbox.this_worker(), utcnow() + outbox.HOLD
    db.session.flush()
    return job


def apply(job: PublishJob, post: Post, now: datetime) -> None:
    """Apply the job's decision to its post (the caller holds the site lock). A later decision
    on the same post wins: a retraction after a (scheduled) publication, or a new publication
    after a retraction; the job then changes nothing, and only the files are written again."""
    superseded = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PublishJob)
        .where(
            PublishJob.post_id == job.post_id,
            PublishJob.id > job.id,
            PublishJob.action != job.action,
        )
    )
    if not superseded and job.action == "publish":
        _apply_publish(job, post, now)
    elif not superseded:
        _apply_retract(job, post)
    db.session.flush()


def finish(job: PublishJob, state: SiteState, now: datetime) -> None:
    """Mark the job done by this worker, and the site as built once more."""
    state.generation += 1
    state.built_at = now
    job.status, job.finished_at, job.updated_at, job.last_error = JobStatus.DONE, now, now, None
    job.worker, job.held_until = outbox.this_worker(), None  # who published it, in the end
    db.session.flush()


def live_tags(post: Post) -> dict[str, str]:
    """The tags of the post's live version, by their address on the site."""
    tags = post.published_revision.content.get("tags", []) if post.published_revision else []
    return {tag_slug(t): t for t in tags if tag_slug(t)}


def listed_tags(post: Post) -> dict[str, str]:
    """The tags the post is listed under on the site now, by address."""
    rows = db.session.scalars(sa.select(PostTag).filter_by(post_id=post.id))
    return {t.slug: t.name for t in rows}


def hold_for_retry(job_id: int, exc: BaseException, seconds: float) -> None:
    """Keep holding a job that will be retried in ``seconds`` (after a transient error), so the
    sweep leaves it to that retry; the error shows in the desk meanwhile."""
    db.session.execute(
        sa.update(PublishJob)
        .where(
            PublishJob.id == job_id,
            PublishJob.status == JobStatus.RUNNING,
            PublishJob.worker == outbox.this_worker(),
        )
        .values(
            held_until=utcnow() + timedelta(seconds=seconds) + outbox.HOLD,
            last_error=_error_text(exc),
            updated_at=utcnow(),
        )
    )


def fail(job_id: int, exc: BaseException) -> None:
    """Mark a job failed with its error, for the desk to show with a retry button."""
    job = db.session.get(PublishJob, job_id)
    if job is None:
        return
    job.status, job.held_until = JobStatus.FAILED, None
    job.last_error = _error_text(exc)
    job.updated_at = utcnow()
    db.session.flush()


def _apply_publish(job: PublishJob, post: Post, now: datetime) -> None:
    if post.published_revision_id == job.revision_id:
        if post.state == PostState.APPROVED and post.approved_revision_id == job.revision_id:
            # Re-approved as it is (a re-review): live again and reviewed again, its content
            # (and so its dates, feeds and subscribers) untouched.
            post.state = next_state(Action.PUBLISH, post.state)
            freshness.reviewed(post, job.created_at)
            record(
                "post.rereview",
                actor=job.created_by,
                post=post,
                revision=job.revision,
                details={"job": job.id},
            )
        return  # already live: only write the files again
    if post.state != PostState.APPROVED or post.approved_revision_id != job.revision_id:
        return  # superseded: an edit withdrew this approval, or a newer one replaced it
    revision = job.revision
    first = post.published_at is None
    post.published_revision = revision
    db.session.flush()  # the live version must be stored before the state that requires it
    post.state = next_state(Action.PUBLISH, post.state)
    if first:
        post.published_at = now
        post.site_seq = (db.session.scalar(sa.select(sa.func.max(Post.site_seq))) or 0) + 1
        post.public_slug = post.public_slug or revision.content["slug"]
        post.feed_id = post.feed_id or f"urn:uuid:{uuid.uuid4()}"
    else:
        post.live_updated_at = now
    correction = None if first else (revision.rendered.get("correction") or None)
    db.session.add(
        Publication(
            post_id=post.id,
            revision_id=revision.id,
            published_at=now,
            job_id=job.id,
            correction=correction,
        )
    )
    _set_tags(post)
    freshness.reviewed(post, job.created_at)
    db.session.flush()
    record(
        "post.publish",
        actor=job.created_by,
        post=post,
        revision=revision,
        details={"job": job.id, "first": first},
    )


def _apply_retract(job: PublishJob, post: Post) -> None:
    if post.published_revision_id is None:
        return
    post.published_revision = None
    if post.state == PostState.PUBLISHED:
        post.state = next_state(Action.RETRACT, post.state)
    db.session.execute(sa.delete(PostTag).where(PostTag.post_id == post.id))
    db.session.flush()
    record("post.retract", post=post, details={"job": job.id})


def _set_tags(post: Post) -> None:
    db.session.execute(sa.delete(PostTag).where(PostTag.post_id == post.id))
    for slug, name in live_tags(post).items():
        db.session.add(PostTag(post_id=post.id, slug=slug, name=name, site_seq=post.site_seq))


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()[:2000]
