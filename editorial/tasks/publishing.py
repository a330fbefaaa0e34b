"""The publisher's Celery tasks, thin over ``operations.publishing`` and ``site.build``: ids in,
the database re-read, and the commits here."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from celery import shared_task
from celery.signals import worker_ready

from editorial.models import JobStatus, PublishJob, db, utcnow
from editorial.operations import newsletter, outbox, publishing
from editorial.site import build

# Transient trouble: the database or the disk. Anything else is a bug, shown as failed.
TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, OSError)

logger = logging.getLogger(__name__)


def run(job_id: int, now: datetime | None = None) -> bool:
    """Run one job; False when there was nothing to do (done already, not due, unknown)."""
    job = publishing.start(job_id, now)
    if job is None:
        db.session.rollback()
        return False
    now = job.updated_at  # the moment it started
    db.session.commit()  # the attempt counts even if this worker dies next
    if not build.apply_and_write(job_id, now):  # another worker finished it while we waited
        db.session.rollback()
        return False
    newsletter.plan_for_job(job_id)  # committed with the publication, sent after (the outbox)
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


@shared_task(
    name="editorial.publisher.run_job",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=6,
)
def run_job(self, job_id: int) -> None:  # noqa: ANN001 - Celery's bound task
    """Publish or retract as the job says; running it twice changes nothing more."""
    try:
        with heartbeat(job_id):
            run(job_id)
    except TRANSIENT as exc:
        db.session.rollback()
        # Checked here: past max_retries, retry(exc=...) re-raises exc itself, not
        # MaxRetriesExceededError, and the job would stay "running" with no error shown.
        if self.request.retries >= self.max_retries:
            publishing.fail(job_id, exc)
            db.session.commit()
            return
        # Exponential backoff with full jitter, as Celery's retry_backoff does.
        countdown = publishing.backoff(self.request.retries)
        try:
            publishing.hold_for_retry(job_id, exc, countdown)
            db.session.commit()
        except TRANSIENT:
            db.session.rollback()  # the database is down too: the hold runs out, the sweep sends
        raise self.retry(exc=exc, countdown=countdown) from exc
    except Exception as exc:
        db.session.rollback()
        publishing.fail(job_id, exc)
        db.session.commit()
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


__all__ = ["JobStatus", "heartbeat", "run", "run_job", "sweep"]
