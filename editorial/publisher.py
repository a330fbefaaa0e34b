"""The publisher's Celery tasks, thin over ``publishing``: ids in, the database re-read."""

from __future__ import annotations

import sqlalchemy as sa
from celery import shared_task

from . import outbox, publishing
from .models import JobStatus, PublishJob, db, utcnow

# Transient trouble: the database or the disk. Anything else is a bug, shown as failed.
TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, OSError)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=6)
def run_job(self, job_id: int) -> None:  # noqa: ANN001 - Celery's bound task
    """Publish or retract as the job says; running it twice changes nothing more."""
    try:
        publishing.run(job_id)
    except TRANSIENT as exc:
        db.session.rollback()
        # Checked here: past max_retries, retry(exc=...) re-raises exc itself, not
        # MaxRetriesExceededError, and the job would stay "running" with no error shown.
        if self.request.retries >= self.max_retries:
            publishing.fail(job_id, exc)
            return
        # Exponential backoff with full jitter, as Celery's retry_backoff does.
        raise self.retry(exc=exc, countdown=publishing.backoff(self.request.retries)) from exc
    except Exception as exc:
        db.session.rollback()
        publishing.fail(job_id, exc)
        raise


@shared_task(ignore_result=True)
def sweep() -> int:
    """Re-send jobs that are due and pending, or running too long (the outbox's safety net)."""
    ids = outbox.due_jobs()
    if ids:
        db.session.execute(
            sa.update(PublishJob).where(PublishJob.id.in_(ids)).values(updated_at=utcnow())
        )
        db.session.commit()
        outbox.send(ids)
    return len(ids)


__all__ = ["JobStatus", "run_job", "sweep"]
