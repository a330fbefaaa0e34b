"""The publishing outbox: jobs written with the decision that asks for them. Verbs flush.

A job row is added in the same transaction as the approval (or retraction); the worker is
told after the commit (an ``after_commit`` hook), and ``resend_due`` lets a periodic sweep
re-send what stayed pending too long or was left running by a worker that is gone. So a
broker or worker outage delays a publication but never loses it, and nothing is sent for a
decision that was rolled back.

A running job names its worker (``host:pid``) and is held by it until ``held_until``; the
worker's heartbeat pushes that forward every ``HEARTBEAT`` seconds. A worker is gone when its
hold runs out, or at once when it ran on this host and its process has ended (a restarted
worker sweeps as it starts). Sending a job again while its worker was only slow is harmless:
jobs take turns on the site lock, and the second finds the job done.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from editorial.celery_app import queue_task
from editorial.domain.errors import Conflict, PermissionDenied
from editorial.models import JobStatus, Post, PublishJob, Revision, Role, User, db, utcnow
from editorial.operations.audit import record

_TO_SEND = "editorial.jobs_to_send"
RUN_JOB = "editorial.publisher.run_job"  # the task in tasks.publishing, by its pinned name
# A job still pending this long after it was due (or after it was last sent) is sent again.
STALE_PENDING = timedelta(seconds=30)
# A running job's worker beats every HEARTBEAT seconds; each beat holds the job for HOLD more.
HEARTBEAT = 2.0
HOLD = timedelta(seconds=10)


SCHEDULE_AHEAD = timedelta(days=366)


def schedule_problem(moment: datetime, now: datetime | None = None) -> str | None:
    """Why ``moment`` cannot be a "publish at" time (past, or over a year ahead), or None."""
    now = now or utcnow()
    if moment < now - timedelta(minutes=1):
        return "That time has passed; leave it empty to publish now."
    if moment > now + SCHEDULE_AHEAD:
        return "Schedule at most a year ahead."
    return None


def enqueue(
    post: Post,
    action: str,
    actor: User | None,
    revision: Revision | None = None,
    not_before: datetime | None = None,
) -> PublishJob:
    """Add a publish or retract job for ``post``; it is sent to the worker after commit."""
    now = utcnow()
    job = PublishJob(
        post_id=post.id,
        action=action,
        revision_id=revision.id if revision else None,
        status=JobStatus.PENDING,
        attempts=0,
        not_before=max(not_before or now, now),
        created_by_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
    )
    db.session.add(job)
    db.session.flush()
    if job.not_before <= now:
        db.session.info.setdefault(_TO_SEND, []).append(job.id)
    return job


def request_retract(post: Post, actor: User) -> PublishJob:
    """Take a live post off the site (a reviewer or admin decides; the author may too)."""
    allowed = actor.active and (
        post.author_id == actor.id or actor.has_role(Role.REVIEWER) or actor.has_role(Role.ADMIN)
    )
    if not allowed:
        raise PermissionDenied("Only the author, a reviewer or an admin can retract a post.")
    if post.published_revision_id is None and not _pending(post, "publish"):
        raise Conflict("This post is not on the site.")
    job = enqueue(post, "retract", actor)
    record("post.retract_requested", actor=actor, post=post, details={"job": job.id})
    return job


def _pending(post: Post, action: str) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(PublishJob)
            .where(
                PublishJob.post_id == post.id,
                PublishJob.action == action,
                PublishJob.status.in_((JobStatus.PENDING, JobStatus.RUNNING)),
            )
        )
        > 0
    )


def latest_job(post: Post) -> PublishJob | None:
    """The post's most recent job: what the desk shows as its publishing status."""
    return db.session.scalar(
        sa.select(PublishJob).where(PublishJob.post_id == post.id).order_by(PublishJob.id.desc())
    )


def publishing_status(post: Post) -> PublishJob | None:
    """The post's most recent job, with the post's live version read after it: a job is marked
    done in the transaction that puts its post live (or takes it down), so a job read as done
    finds its post as the job left it. ``post`` was loaded before; a worker that finished in
    between left it holding the version before (on PostgreSQL, which reads each statement
    afresh), and a status read then showed a post published as "Not published"."""
    job = latest_job(post)
    if job is not None and job.status == JobStatus.DONE:
        db.session.refresh(post, ["published_revision_id", "public_slug", "published_revision"])
    return job


def retry(job: PublishJob, actor: User) -> None:
    """Send a failed job again from the start."""
    if not (
        actor.has_role(Role.REVIEWER)
        or actor.has_role(Role.ADMIN)
        or job.post.author_id == actor.id
    ):
        raise PermissionDenied("Only reviewers, admins and the author can retry publishing.")
    if job.status != JobStatus.FAILED:
        raise Conflict("Only a failed job can be retried.")
    job.status, job.attempts, job.last_error = JobStatus.PENDING, 0, None
    job.updated_at = job.not_before = utcnow()
    db.session.flush()
    db.session.info.setdefault(_TO_SEND, []).append(job.id)
    record("job.retried", actor=actor, post=job.post, details={"job": job.id})


def due_jobs(now: datetime | None = None) -> list[int]:
    """Pending jobs to (re)send: due, and untouched for a while."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(PublishJob.id)
            .where(
                PublishJob.status == JobStatus.PENDING,
                PublishJob.not_before <= now,
                # Untouched for a while: a send lost to a broker outage, a scheduled job that
                # has just come due, or one whose worker is gone and that no worker has taken
                # yet (the sweep touches what it sends).
                PublishJob.updated_at <= now - STALE_PENDING,
            )
            .order_by(PublishJob.id)
        )
    )


def this_worker() -> str:
    """This process as a job's worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_ended(worker: str) -> bool:
    """True when ``worker`` ran on this host and its process has ended. Another host's
    worker is never judged here: its hold running out tells."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) <= 0:
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: another user's process, so alive
        return False
    return False


def release_lost(now: datetime | None = None) -> list[int]:
    """Put back to pending the running jobs whose worker is gone: its hold ran out with no
    heartbeat, or its process on this host has ended. The reason is kept for the desk."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(PublishJob.id, PublishJob.worker, PublishJob.held_until)
        .where(
            PublishJob.status == JobStatus.RUNNING,
            sa.or_(
                PublishJob.held_until <= now,
                PublishJob.worker.startswith(f"{socket.gethostname()}:", autoescape=True),
            ),
        )
        .order_by(PublishJob.id)
    ).all()
    released = []
    for job_id, worker, held_until in rows:
        host, colon, pid = worker.rpartition(":")
        where = f"{host}, process {pid}" if colon else worker
        if worker_ended(worker):
            reason = f"the worker running it stopped ({where})"
        elif held_until <= now:
            reason = f"the worker running it stopped answering ({where})"
        else:
            continue
        # Only if nothing moved since: a heartbeat, the job finishing, another sweep.
        changed = db.session.execute(
            sa.update(PublishJob)
            .where(
                PublishJob.id == job_id,
                PublishJob.status == JobStatus.RUNNING,
                PublishJob.worker == worker,
                PublishJob.held_until == held_until,
            )
            .values(
                status=JobStatus.PENDING,
                worker=None,
                held_until=None,
                last_error=reason,
                updated_at=now,
            )
        ).rowcount
        if changed:
            released.append(job_id)
            current_app.logger.warning("Publish job %s: %s; sending it again.", job_id, reason)
    return released


def resend_due(now: datetime | None = None) -> list[int]:
    """The sweep: release jobs whose worker is gone, and send them with the pending jobs that
    are due, after the commit. Touched, so that the next sweep leaves them their turn."""
    now = now or utcnow()
    ids = sorted(set(release_lost(now)) | set(due_jobs(now)))
    if ids:
        db.session.execute(
            sa.update(PublishJob).where(PublishJob.id.in_(ids)).values(updated_at=now)
        )
        db.session.info.setdefault(_TO_SEND, []).extend(ids)
    return ids


def send(job_ids: list[int]) -> None:
    """Hand jobs to the broker; a broker outage is logged and left to the sweep."""
    for job_id in job_ids:
        try:
            queue_task(RUN_JOB, job_id)
        except Exception:  # noqa: BLE001 - the sweep sends it again once the broker is back
            current_app.logger.warning("Could not send publish job %s; the sweep will.", job_id)


@sa.event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (bulk actions): the real commit is still to come
    ids = session.info.pop(_TO_SEND, None)
    if ids and current_app:
        send(ids)


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    # A savepoint rolled back keeps what the rest of the transaction owes; a job of its own
    # that stays listed is harmless: the task finds no such job and does nothing.
    if not session.in_nested_transaction():
        session.info.pop(_TO_SEND, None)
