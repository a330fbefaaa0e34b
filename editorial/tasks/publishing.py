"""The publisher's Celery tasks, thin over ``publishing``: ids in, the database re-read."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from celery import shared_task
from celery.signals import worker_ready

from editorial.models import JobStatus, db
from editorial.operations import outbox, publishing

# Transient trouble: the database or the disk. Anything else is a bug, shown as failed.
TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, OSError)

logger = logging.getLogger(__name__)


@shared_task(
    name="editorial.publisher.run_job",
    bind=True,
    acks_late=True, reject_on_worker_lost=True, max_retries=6)
def run_job(self, job_id: int) -> None:  # noqa: ANN001 - Celery's bound task
    """Publish or retract as the job says; running it twice changes nothing more."""
    try:
        with publishing.heartbeat(job_id):
            publishing.run(job_id)
    except TRANSIENT as exc:
        db.session.rollback()
        # Checked here: past max_retries, retry(exc=...) re-raises exc itself, not
        # MaxRetriesExceededError, and the job would stay "running" with no error shown.
        if self.request.retries >= self.max_retries:
            publishing.fail(job_id, exc)
            return
        # Exponential backoff with full jitter, as Celery's retry_backoff does.
        countdown = publishing.backoff(self.request.retries)
        try:
            publishing.hold_for_retry(job_id, exc, countdown)
        except TRANSIENT:
            db.session.rollback()  # the database is down too: the hold runs out, the sweep sends
        raise self.retry(exc=exc, countdown=countdown) from exc
    except Exception as exc:
        db.session.rollback()
        publishing.fail(job_id, exc)
        raise


@shared_task(name="editorial.publisher.sweep", ignore_result=True)
def sweep() -> int:
    """Re-send jobs that are due and pending, or whose worker is gone (the outbox's safety net)."""
    ids = outbox.resend_due()
    db.session.commit()  # sent after the commit
    return len(ids)


@worker_ready.connect
def _sweep_on_start(**_: object) -> None:
    # A worker restarted after a crash sends its dead predecessor's jobs again at once, without
    # waiting for beat (its process is gone, which only a worker on the same host can tell).
    try:
        sweep()
    except Exception:  # noqa: BLE001 - the beat sweep tries again; the worker must start
        logger.exception("The sweep at worker start failed; the periodic sweep will retry.")


__all__ = ["JobStatus", "run_job", "sweep"]
