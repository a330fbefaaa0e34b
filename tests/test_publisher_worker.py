"""The publisher with real `celery worker` processes: on the embedded broker and on Redis, a
worker killed in the middle of a publish, and Redis down while a post is approved.

The test process approves (as the desk would); the worker, configured through the
environment like a deployed one, publishes into a temporary SITE_DIR from the test database.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from publisher_helpers import approve, assert_site_whole, content, feed_ids, files

from conftest import PASSWORD, need_service
from editorial import accounts, operations, outbox
from editorial.config import broker_settings
from editorial.interchange import parse_post
from editorial.models import Role, db, utcnow
from editorial.workflow import PostState

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30.0


class Worker:
    """A real `celery worker` process (solo pool); its output is collected by a thread."""

    def __init__(self, env: dict[str, str], *args: str, name: str | None = None):
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "-n",
                f"{name or 'publisher-' + uuid.uuid4().hex[:10]}@localhost",
                *args,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if "ready." in line:
                self.ready.set()

    @property
    def output(self) -> str:
        """The last lines the worker wrote (enough for a failure message)."""
        return "".join(self.lines[-40:])

    def wait_ready(self, seconds: float = TIMEOUT) -> None:
        deadline = time.monotonic() + seconds
        while not self.ready.wait(0.1):
            assert self.proc.poll() is None, f"the worker exited:\n{self.output}"
            assert time.monotonic() < deadline, f"the worker did not start:\n{self.output}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(5)

    def stop(self) -> None:
        """Kill the worker: the tests are over, and a warm shutdown on the embedded broker
        takes seconds."""
        if self.proc.poll() is None:
            self.kill()


@dataclass
class Desk:
    """The test process as the desk: the app, its users, and a reader of the job table."""

    app: Any
    site: Path
    instance: Path
    env: dict[str, str]
    reader: sa.Engine
    make_post: Callable[..., Any]
    reviewer: Any = None
    workers: list[Worker] = field(default_factory=list)

    def start_worker(self, *args: str, name: str | None = None) -> Worker:
        worker = Worker(self.env, *args, name=name)
        self.workers.append(worker)
        worker.wait_ready()
        return worker

    def status(self, job_id: int) -> tuple[str, int]:
        """The job's status and attempts, read outside the app's session (no lock taken)."""
        with self.reader.connect() as conn:
            row = conn.execute(
                sa.text("SELECT status, attempts FROM publish_job WHERE id = :id"), {"id": job_id}
            ).one()
        return row[0], row[1]

    def wait_for(self, job_id: int, status: str = "done", seconds: float = TIMEOUT) -> None:
        deadline = time.monotonic() + seconds
        while (seen := self.status(job_id)[0]) != status:
            if self.workers and self.workers[-1].proc.poll() is not None:
                pytest.fail(
                    f"the worker exited; job {job_id} is {seen}:\n{self.workers[-1].output}"
                )
            if time.monotonic() > deadline:
                logs = self.workers[-1].output if self.workers else ""
                pytest.fail(f"job {job_id} is {seen}, not {status}, after {seconds}s:\n{logs}")
            time.sleep(0.05)

    def sweep(self, ahead: timedelta = timedelta(minutes=6)) -> list[int]:
        """What the periodic sweep does once jobs are stale: send them again."""
        db.session.rollback()
        ids = outbox.due_jobs(utcnow() + ahead)
        db.session.rollback()
        outbox.send(ids)
        return ids


@pytest.fixture
def desk_for(make_app, database_url, tmp_path) -> Iterator[Callable[..., Desk]]:
    """Set up the desk and the worker's environment for a broker URL (None: embedded)."""
    desks: list[Desk] = []
    contexts = []

    def factory(broker_url: str | None = None, queue: str | None = None) -> Desk:
        instance = tmp_path / "instance"
        site = tmp_path / "site"
        celery = broker_settings(broker_url, instance)
        if queue:
            celery["task_default_queue"] = queue
        app = make_app(SITE_DIR=str(site), CELERY=celery)
        ctx = app.app_context()
        ctx.push()
        contexts.append(ctx)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("CELERY_BROKER_URL", "REDIS_URL", "SITE_DIR", "EDITORIAL_ENV")
        }
        env.update(
            DATABASE_URL=database_url,
            SECRET_KEY=app.config["SECRET_KEY"],
            EDITORIAL_INSTANCE_PATH=str(instance),
            SITE_DIR=str(site),
            SITE_URL="https://example.org/site/",
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        if broker_url:
            env["CELERY_BROKER_URL"] = broker_url
        writer = _user("writer@example.com", Role.WRITER)
        reviewer = _user("rev@example.com", Role.REVIEWER)

        def make_post(n: int, **changes: Any) -> Any:
            post = operations.create_post(parse_post(content(n, **changes)), writer)
            db.session.commit()
            return post

        reader = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        desk = Desk(app, site, instance, env, reader, make_post, reviewer)
        desks.append(desk)
        return desk

    yield factory
    for desk in desks:
        for worker in desk.workers:
            worker.stop()
        desk.reader.dispose()
    for ctx in reversed(contexts):
        db.session.rollback()
        ctx.pop()


def _user(email: str, role: Role) -> Any:
    user = accounts.create_user(email, email.split("@")[0].title(), PASSWORD, [role])
    db.session.commit()
    return user


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


def test_worker_publishes_on_the_embedded_broker(desk_for):
    desk = desk_for(None)
    desk.start_worker()
    _approve_and_wait(desk, 1)
    assert "editorial.publisher.run_job" in desk.workers[0].output


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
def redis_queue(redis_url) -> Iterator[tuple[str, str]]:
    """The machine's Redis, with a queue (and exchange, and worker name) of this run's own;
    its keys and its entries in kombu's shared binding sets are removed after."""
    url = f"{redis_url}/{os.environ.get('TEST_REDIS_DB', '14')}"
    queue = f"editorial-test-{uuid.uuid4().hex}"
    yield url, queue
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"*{queue}*"))
    if keys:
        client.delete(*keys)
    for key in client.scan_iter("_kombu.binding*"):
        if client.type(key) == b"set":
            if mine := [m for m in client.smembers(key) if queue.encode() in m]:
                client.srem(key, *mine)
        elif client.type(key) == b"zset":
            if mine := [m for m in client.zrange(key, 0, -1) if queue.encode() in m]:
                client.zrem(key, *mine)
    client.close()


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

        if status != "done":
            assert job_id in desk.sweep()
        worker = desk.start_worker()
        desk.wait_for(job_id)
        assert desk.status(job_id) == ("done", attempts + (status != "done"))
        _assert_published(desk, post, allow_temporary=True)
    assert caught_running, "every kill came after the job was done: nothing was tested"
    assert len(feed_ids(desk.site / "feed.atom")) == 3
    # A kill in the middle of write_file leaves its temporary file (never a page or feed).
    leftovers = [name for name in files(desk.site) if name.endswith(".tmp")]
    assert len(leftovers) <= caught_running, leftovers


# --- (d): Redis down while a post is approved -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own (never the machine's shared one)."""

    def __init__(self, directory: Path):
        self.port = _free_port()
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        assert server
        self.proc = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert self.proc.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    if not shutil.which("redis-server"):
        need_service("redis-server", "the redis-server program is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


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
    assert job_id in desk.sweep()
    desk.wait_for(job_id)
    _assert_published(desk, post)
