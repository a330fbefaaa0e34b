"""Jobs whose worker is gone, in-process on each database: the sweep takes a job back from a
worker whose process ended or whose hold ran out, never from one that beats; a slow worker
given up on publishes nothing twice; a transient error holds the job for its retry; the desk
says why a job is retried; a job removes the temporary files a killed job left.

The same with real, killed `celery worker` processes is in tests/tasks/test_publishing.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from editorial.models import AuditEvent, JobStatus, Publication, PublishJob, db, utcnow
from editorial.operations import outbox, publishing
from editorial.tasks import publishing as publisher
from tests.conftest import PASSWORD
from tests.helpers.publisher import approve, content, mark_running

# The app writes the site to ``site``, at SITE_URL, and sends jobs to a private queue.
pytestmark = pytest.mark.publisher

SECOND = timedelta(seconds=1)


@pytest.fixture
def job(create_post, writer, reviewer) -> PublishJob:
    """An approved post's publish job, sent to the worker."""
    return approve(create_post(writer, content(1)), reviewer)


def _ended_process() -> str:
    """A worker name for a process of this host that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}"


def _status(client, job: PublishJob) -> str:
    return client.get(f"/posts/{job.post_id}/publishing").get_data(as_text=True)


# Who holds a running job, for how much longer, and what the sweep says (None: leaves it).
HOLDERS = [
    ("this process", outbox.HOLD, None),
    ("a process here that ended", outbox.HOLD, "the worker running it stopped ("),
    ("another host's", outbox.HOLD, None),  # only its hold running out can tell
    ("another host's", -SECOND, "the worker running it stopped answering ("),
    ("this process", -SECOND, "the worker running it stopped answering ("),  # hung
]


def test_the_sweep_takes_back_only_the_jobs_whose_worker_is_gone(
    app, create_post, writer, reviewer
):
    names = {
        "this process": outbox.this_worker(),
        "a process here that ended": _ended_process(),
        "another host's": f"elsewhere-{uuid.uuid4().hex[:6]}:{os.getpid()}",
    }
    jobs = []
    for n, (holder, held_for, _) in enumerate(HOLDERS, start=1):
        job = approve(create_post(writer, content(n)), reviewer)
        mark_running(job, names[holder], held_for)
        jobs.append(job)
    sent = outbox.resend_due()
    db.session.commit()
    assert sent == [job.id for job, (*_, reason) in zip(jobs, HOLDERS, strict=True) if reason]
    for job, (holder, _, reason) in zip(jobs, HOLDERS, strict=True):
        db.session.refresh(job)
        if reason is None:
            assert (job.status, job.worker, job.last_error) == (
                JobStatus.RUNNING,
                names[holder],
                None,
            ), holder
        else:
            assert (job.status, job.worker, job.held_until) == (JobStatus.PENDING, None, None)
            assert job.last_error.startswith(reason), (holder, job.last_error)
    # Sent again once; the next sweeps leave them to the worker that takes them.
    assert outbox.resend_due() == []
    assert outbox.due_jobs(utcnow() + outbox.STALE_PENDING + SECOND) == sent


def test_the_sweep_leaves_a_job_whose_worker_beats(app, job):
    mark_running(job, outbox.this_worker(), held_for=timedelta(seconds=0.2))
    job_id, first = job.id, job.held_until
    db.session.rollback()  # no transaction open here while the heartbeat writes (SQLite)
    with publisher.heartbeat(job_id, every=0.05):
        time.sleep(0.5)
        assert outbox.resend_due() == []
        db.session.rollback()
    db.session.refresh(job)
    assert job.held_until > first + timedelta(seconds=0.2)
    # Once the beats stop, the hold runs out.
    assert outbox.resend_due(job.held_until + SECOND) == [job.id]


def test_a_slow_worker_given_up_on_publishes_nothing_twice(app, job, monkeypatch):
    """The first worker stalls (it has taken the job, not yet the site lock) and stops
    beating; the sweep sends the job again and a second worker publishes it. When the first
    one wakes up it finds the job done."""
    job_id, post_id = job.id, job.post_id
    db.session.rollback()
    stalled, wake = threading.Event(), threading.Event()
    lock_site, results = publishing.lock_site, []

    def slow_lock_site():
        if threading.current_thread() is slow:
            stalled.set()
            wake.wait(30)
        return lock_site()

    def slow_worker():
        with app.app_context():
            results.append(publisher.run(job_id))

    monkeypatch.setattr(publishing, "lock_site", slow_lock_site)
    slow = threading.Thread(target=slow_worker)
    slow.start()
    try:
        assert stalled.wait(30)
        assert outbox.resend_due(utcnow() + outbox.HOLD + SECOND) == [job_id]
        db.session.commit()
        assert publisher.run(job_id) is True
    finally:
        wake.set()
        slow.join(30)
    assert results == [False]
    db.session.rollback()
    job = db.session.get(PublishJob, job_id)
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    assert db.session.scalar(sa.select(sa.func.count()).where(Publication.job_id == job_id)) == 1
    published = sa.select(sa.func.count()).where(
        AuditEvent.post_id == post_id, AuditEvent.action == "post.publish"
    )
    assert db.session.scalar(published) == 1


def test_a_transient_error_holds_the_job_for_its_retry(app, client, job):
    mark_running(job, outbox.this_worker())
    publishing.hold_for_retry(job.id, OSError(28, "No space left on device"), seconds=120)
    db.session.commit()
    # The retry is Celery's, in two minutes: the sweep does not send the job meanwhile.
    assert outbox.resend_due(utcnow() + timedelta(seconds=110)) == []
    client.post("/login", data={"email": "writer@example.com", "password": PASSWORD})
    status = _status(client, job)
    assert "Retrying after a problem: OSError: [Errno 28] No space left on device" in status
    assert "hx-get" in status
    # If that worker dies before the retry, the hold runs out and the sweep sends the job.
    assert outbox.resend_due(utcnow() + timedelta(seconds=120) + outbox.HOLD + SECOND) == [job.id]


def test_the_desk_says_a_job_is_retried_after_its_worker_stopped(app, client, job):
    client.post("/login", data={"email": "writer@example.com", "password": PASSWORD})
    worker = _ended_process()
    mark_running(job, worker)
    assert "Publishing…" in _status(client, job)
    outbox.resend_due()
    db.session.commit()
    host, _, pid = worker.rpartition(":")
    status = _status(client, job)
    assert f"Retrying after a problem: the worker running it stopped ({host}, process {pid})" in (
        status
    )
    assert "hx-get" in status
    assert publisher.run(job.id)
    assert ">Live</a>" in _status(client, job)


def _stray(directory: Path, name: str, data: bytes = b"") -> Path:
    """A temporary file as write_file names it, left by a job killed mid-write."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f".{name}.{uuid.uuid4().hex}.tmp"
    path.write_bytes(data)
    return path


def test_a_job_removes_the_temporary_files_a_killed_job_left_where_it_writes(
    app, create_post, writer, reviewer, site
):
    first = create_post(writer, content(1))
    assert publisher.run(approve(first, reviewer).id)
    page_dir = site / "posts" / first.public_slug
    strays = [
        _stray(site, "feed.atom", b"<?xml"),
        _stray(site / "tags" / "python", "index.html"),  # empty, as a kill before the write
        _stray(site / "sitemaps", "pages.xml", b"<urlset"),
    ]
    elsewhere = _stray(page_dir, "index.html")  # a folder the next job does not write in
    ours_not = [site / "notes.tmp", site / ".index.html.tmp", site / ".feed.rss.12345.tmp"]
    for path in ours_not:
        path.write_bytes(b"not a temporary file of the publisher's")

    second = create_post(writer, content(2))
    assert publisher.run(approve(second, reviewer).id)
    assert [path for path in strays if path.exists()] == []
    assert elsewhere.exists()
    assert all(path.exists() for path in ours_not)

    # The first post's next job writes its page again, and clears its folder too.
    job = outbox.request_retract(first, reviewer)
    db.session.commit()
    assert publisher.run(job.id)
    assert not elsewhere.exists()
