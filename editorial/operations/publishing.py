"""What a publish job does: apply the decision to the post, then write the site. Plain
functions the Celery tasks call (and the tests, and ``editorial site rebuild``).

Every write to the site happens while holding the one ``site_state`` row locked, so jobs on
several workers and machines take turns; each renders what the database says *now*, so an
older job that runs late writes the newest state, never its own stale one. A running job
names its worker and is held by it while the worker's ``heartbeat`` beats (see ``outbox``).
"""

from __future__ import annotations

import logging
import random
import threading
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa

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
from editorial.operations import outbox
from editorial.operations.audit import record
from editorial.site import build

MAX_BACKOFF = 300

logger = logging.getLogger(__name__)


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


def run(job_id: int, now: datetime | None = None) -> bool:
    """Run one job; False when there was nothing to do (done already, not due, unknown)."""
    job = db.session.get(PublishJob, job_id, with_for_update=True)
    now = now or utcnow()
    if job is None or job.status == JobStatus.DONE or job.not_before > now:
        db.session.rollback()
        return False
    job.status, job.attempts, job.updated_at = JobStatus.RUNNING, job.attempts + 1, now
    job.worker, job.held_until = outbox.this_worker(), utcnow() + outbox.HOLD
    db.session.commit()  # the attempt counts even if this worker dies next

    state = lock_site()
    job = db.session.get(PublishJob, job_id, populate_existing=True)
    if job.status == JobStatus.DONE:  # another worker finished it while we waited
        db.session.rollback()
        return False
    post = db.session.get(Post, job.post_id, populate_existing=True)
    # A later decision on the same post wins: a retraction after a (scheduled) publication,
    # or a new publication after a retraction. This job then only writes the files again.
    superseded = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PublishJob)
        .where(
            PublishJob.post_id == job.post_id,
            PublishJob.id > job.id,
            PublishJob.action != job.action,
        )
    )
    old_tags = {
        t.slug: t.name for t in db.session.scalars(sa.select(PostTag).filter_by(post_id=post.id))
    }
    if superseded:
        pass
    elif job.action == "publish":
        _apply_publish(job, post, now)
    else:
        _apply_retract(job, post)
    db.session.flush()
    build.write_changes(post, build.changes_for(post, old_tags))
    state.generation += 1
    state.built_at = now
    job.status, job.finished_at, job.updated_at, job.last_error = JobStatus.DONE, now, now, None
    job.worker, job.held_until = outbox.this_worker(), None  # who published it, in the end
    db.session.commit()
    return True


@contextmanager
def heartbeat(job_id: int, every: float = outbox.HEARTBEAT) -> Iterator[None]:
    """While the block runs, a thread keeps this worker's hold on the job (if it holds it)."""
    engine, worker, stop = db.engine, outbox.this_worker(), threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with engine.begin() as conn:
                    conn.execute(
                        sa.update(PublishJob)
                        .where(
                            PublishJob.id == job_id,
                            PublishJob.status == JobStatus.RUNNING,
                            PublishJob.worker == worker,
                        )
                        .values(held_until=utcnow() + outbox.HOLD)
                    )
            except sa.exc.SQLAlchemyError as exc:
                # The next beat tries again; on SQLite the job's own write lock can be in
                # the way until its transaction ends.
                logger.debug("Heartbeat of publish job %s missed: %s", job_id, exc)

    thread = threading.Thread(target=beat, name=f"publish-job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    except BaseException:
        db.session.rollback()  # first let go of the job's row: a beat may be waiting for it
        raise
    finally:
        stop.set()
        thread.join()


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
    db.session.commit()


def _apply_publish(job: PublishJob, post: Post, now: datetime) -> None:
    if post.published_revision_id == job.revision_id:
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
    for slug, name in build.live_tags(post).items():
        db.session.add(PostTag(post_id=post.id, slug=slug, name=name, site_seq=post.site_seq))


def fail(job_id: int, exc: BaseException) -> None:
    """Mark a job failed with its error, for the desk to show with a retry button."""
    job = db.session.get(PublishJob, job_id)
    if job is None:
        return
    job.status, job.held_until = JobStatus.FAILED, None
    job.last_error = _error_text(exc)
    job.updated_at = utcnow()
    db.session.commit()


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()[:2000]
