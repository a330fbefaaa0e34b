"""The publisher with real `celery worker` processes: on the embedded broker (taking jobs as
they come) and on Redis, a worker killed in the middle of a publish, a worker killed whole
(main process, SIGKILL) while it writes the site and the job taken back within seconds, and
Redis down while a post is approved.

The harness (workers, the desk beside them, a private redis-server) is in
tests/helpers/publisher_processes.py.
"""

from __future__ import annotations

import random
import shutil
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain.workflow import PostState
from editorial.models import PublishJob, db
from editorial.operations import outbox
from tests.conftest import need_service
from tests.helpers.publisher import approve, assert_site_whole, feed_ids, files
from tests.helpers.publisher_processes import TIMEOUT, Desk, OwnRedis

pytestmark = pytest.mark.slow


def _assert_published(desk: Desk, post: Any, allow_temporary: bool = False) -> None:
    db.session.rollback()
    db.session.refresh(post)
    assert post.state == PostState.PUBLISHED
    assert (desk.site / "posts" / post.public_slug / "index.html").is_file()
    assert post.feed_id in feed_ids(desk.site / "feed.atom")
    assert_site_whole(desk.site, allow_temporary)


def _approve_and_wait(desk: Desk, n: int) -> None:
    post = desk.make_post(n)
    job_id = approve(post, desk.reviewer).id
    db.session.rollback()  # hold no transaction while the worker writes (SQLite)
    desk.wait_for(job_id)
    _assert_published(desk, post)


# --- (a) and (b): approve in the desk, the worker publishes ------------------------------------


def test_worker_publishes_on_the_embedded_broker_as_fast_as_jobs_come(desk_for):
    desk = desk_for(None)
    desk.start_worker()
    _approve_and_wait(desk, 1)
    assert "editorial.publisher.run_job" in desk.workers[0].output
    # One at a time, as a desk approves: each is picked up at once, not at the worker's next
    # look into the queue folder, up to a second later (kombu's default).
    for n in range(2, 7):
        _approve_and_wait(desk, n)
    db.session.rollback()
    jobs = db.session.scalars(sa.select(PublishJob).order_by(PublishJob.id)).all()[1:]
    # From the approval to the worker starting the job (run() stamps the job done with the
    # moment it started).
    waited = sorted((job.finished_at - job.created_at).total_seconds() for job in jobs)
    # The median is some 0.03 s here, but a loaded machine can make three of five exceed
    # 0.25 s. With kombu's 1 s poll (the regression this guards) each job waits about 1 s
    # less the time the test takes from one job's end to the next approval: a median of
    # 0.82-0.90 s measured, so 0.8 s would hardly catch it; 0.5 s still does, with room.
    assert waited[len(waited) // 2] < 0.5, f"the worker waited for jobs: {waited} s"


def test_the_embedded_broker_survives_a_message_still_being_written(desk_for):
    """kombu's filesystem transport creates a message file, then writes into it; a worker
    that polls in between finds it empty. The default broker must not die of that."""
    desk = desk_for(None)
    queue = desk.instance / "broker" / "queue"
    name = f"{int(time.monotonic() * 1000)}_{uuid.uuid4()}.celery.msg"
    (queue / name).write_bytes(b"")  # what a sender has written at that instant
    desk.start_worker()
    _approve_and_wait(desk, 1)


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    if not shutil.which("redis-server"):
        need_service("redis-server", "the redis-server program is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_worker_publishes_on_redis(desk_for, redis_queue):
    url, queue = redis_queue
    desk = desk_for(url, queue)
    desk.start_worker("-Q", queue, name=queue)
    _approve_and_wait(desk, 1)
    assert "editorial.publisher.run_job" in desk.workers[0].output


# --- (c): a worker killed in the middle of a publish --------------------------------------------


def test_a_worker_killed_mid_publish_leaves_no_broken_file_and_the_job_completes(desk_for):
    desk = desk_for(None)
    # Twenty tags: each is a page and three feeds, so a publish writes ~100 files.
    tags = [f"topic {i}" for i in range(19)]
    caught_running = 0
    worker = desk.start_worker()
    for n in range(1, 4):
        post = desk.make_post(n, tags=["python", *tags])
        job_id = approve(post, desk.reviewer).id
        db.session.rollback()
        deadline = time.monotonic() + TIMEOUT
        while desk.status(job_id)[0] not in ("running", "done"):
            assert time.monotonic() < deadline, worker.output
            time.sleep(0.001)
        time.sleep(random.uniform(0, 0.05))
        worker.kill()
        status, attempts = desk.status(job_id)
        caught_running += status == "running"
        # Whatever the moment, every file of the site is whole.
        assert_site_whole(desk.site, allow_temporary=True)

        # The new worker sends its dead predecessor's job again as it starts.
        worker = desk.start_worker()
        desk.wait_for(job_id, seconds=10)
        assert desk.status(job_id) == ("done", attempts + (status != "done"))
        _assert_published(desk, post, allow_temporary=False)
    assert caught_running, "every kill came after the job was done: nothing was tested"
    assert len(feed_ids(desk.site / "feed.atom")) == 3


# --- (d): a worker killed whole while it writes the site -----------------------------------------


def _published_once(desk: Desk, post: Any, job_id: int) -> None:
    """The job ran twice (killed, then again) and published the post once."""
    assert desk.status(job_id) == ("done", 2)
    assert desk.query("SELECT count(*) FROM publication WHERE job_id = :id", id=job_id)[0] == 1
    events = "SELECT count(*) FROM audit_event WHERE post_id = :id AND action = 'post.publish'"
    assert desk.query(events, id=post.id)[0] == 1
    _assert_published(desk, post)  # and no temporary file is left


def _equals_a_full_rebuild(desk: Desk) -> None:
    incremental = files(desk.site)
    result = desk.app.test_cli_runner().invoke(args=["site", "rebuild"])
    assert result.exit_code == 0, result.output
    rebuilt = files(desk.site)
    assert sorted(incremental) == sorted(rebuilt)
    assert [name for name in rebuilt if rebuilt[name] != incremental[name]] == []


def test_a_job_left_by_a_worker_killed_whole_is_sent_again_within_seconds(desk_for):
    desk = desk_for(None)
    post = desk.make_post(1)
    stalled = desk.start_worker(stall="/posts/")
    job_id = approve(post, desk.reviewer).id
    db.session.rollback()
    temporary = stalled.wait_stalled()  # posts/<slug>/.index.html.<uuid>.tmp, part-written
    stalled.kill()
    killed = time.monotonic()
    assert temporary.is_file()
    assert desk.status(job_id) == ("running", 1)
    assert "Publishing…" in desk.publishing_status(post)

    # The periodic sweep sees that the job's worker has no process any more.
    assert desk.sweep() == [job_id]
    status = desk.publishing_status(post)
    assert "Retrying after a problem: the worker running it stopped (" in status
    assert "hx-get" in status, "the desk stopped asking for news"
    desk.start_worker()
    desk.wait_for(job_id)
    assert time.monotonic() - killed < TIMEOUT
    _published_once(desk, post, job_id)
    assert ">Live</a>" in desk.publishing_status(post)
    _equals_a_full_rebuild(desk)


def test_a_worker_restarted_after_a_crash_takes_back_its_predecessors_job(desk_for, own_redis):
    desk = desk_for(own_redis.url)
    post = desk.make_post(1)
    # Approved before the worker starts: on SQLite a worker stalled mid-build holds the write
    # lock, and reading the job back after the commit would wait for it in vain.
    job_id = approve(post, desk.reviewer).id
    db.session.rollback()
    stalled = desk.start_worker(stall="/tags/")
    # Half-way: the post's page and the lists are written, its tag pages not yet.
    temporary = stalled.wait_stalled()
    stalled.kill()  # its message stays unacknowledged in Redis
    killed = time.monotonic()
    assert temporary.is_file()

    desk.start_worker()  # no sweep: the new worker sends the job again as it starts
    desk.wait_for(job_id)
    assert time.monotonic() - killed < TIMEOUT
    _published_once(desk, post, job_id)
    _equals_a_full_rebuild(desk)


# --- (e): Redis down while a post is approved -------------------------------------------------


def test_an_approval_while_redis_is_down_is_published_once_it_is_back(desk_for, own_redis):
    desk = desk_for(own_redis.url)
    worker = desk.start_worker()
    own_redis.stop()

    post = desk.make_post(1)
    started = time.monotonic()
    job_id = approve(post, desk.reviewer).id  # commits; the send after the commit fails
    assert time.monotonic() - started < 10, "the approval waited long for the broker"
    db.session.rollback()
    assert desk.status(job_id) == ("pending", 0)
    assert db.session.get(type(post), post.id).state == PostState.APPROVED
    db.session.rollback()

    own_redis.start()
    assert worker.proc.poll() is None, f"the worker died with the broker:\n{worker.output}"
    assert job_id in desk.sweep(ahead=outbox.STALE_PENDING)
    desk.wait_for(job_id)
    _assert_published(desk, post)
