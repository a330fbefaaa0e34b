"""Real processes for the publisher tests: `celery worker` (optionally made to stall in the
middle of writing a file of the site), the desk beside it, and a redis-server of our own.

The test process approves (as the desk would); the worker, configured through the
environment like a deployed one, publishes into a temporary SITE_DIR from the test database.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from editorial.config import broker_settings
from editorial.domain.interchange import parse_post
from editorial.models import Role, db, utcnow
from editorial.operations import accounts, outbox, posts
from tests.conftest import PASSWORD, SITE_URL
from tests.helpers.processes import ROOT, free_port
from tests.helpers.publisher import content

TIMEOUT = 30.0

# `celery` itself, after making the site's writer stop for good in the middle of the first
# file whose path contains STALL_WRITE: the temporary file exists, part-written, when
# STALL_MARKER appears (holding the site lock, as a slow disk would); then it waits to be killed.
STALLING_CELERY = """
import builtins, os, sys, time
from pathlib import Path

import editorial.site.build
from celery.__main__ import main

def stalling_open(path, *args, **kwargs):
    handle = builtins.open(path, *args, **kwargs)
    if os.environ["STALL_WRITE"] in str(path):
        handle.write(b"<!doctype html><html><head>")
        handle.flush()
        Path(os.environ["STALL_MARKER"]).write_text(str(path))
        time.sleep(600)
    return handle

editorial.site.build.open = stalling_open
sys.argv[0] = "celery"
main()
"""


class Worker:
    """A real `celery worker` process (solo pool); its output is collected by a thread."""

    def __init__(
        self, env: dict[str, str], *args: str, name: str | None = None, stall: str | None = None
    ):
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.marker = Path(env["EDITORIAL_INSTANCE_PATH"]) / f"stalled-{uuid.uuid4().hex}"
        if stall:
            env = {**env, "STALL_WRITE": stall, "STALL_MARKER": str(self.marker)}
        self.proc = subprocess.Popen(
            [sys.executable, *(("-c", STALLING_CELERY) if stall else ("-m", "celery"))]
            + ["-A", "worker", "worker", "--pool=solo", "--loglevel=INFO"]
            + ["--without-mingle", "--without-gossip"]
            + ["-n", f"{name or 'publisher-' + uuid.uuid4().hex[:10]}@localhost", *args],
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

    def wait_stalled(self, seconds: float = TIMEOUT) -> Path:
        """Wait until the worker is stuck writing; the temporary file it is writing."""
        deadline = time.monotonic() + seconds
        while not self.marker.exists():
            assert self.proc.poll() is None, f"the worker exited:\n{self.output}"
            assert time.monotonic() < deadline, f"the worker never stalled:\n{self.output}"
            time.sleep(0.02)
        return Path(self.marker.read_text())

    def kill(self) -> None:
        """SIGKILL the worker's main process (with the solo pool, the one that runs jobs)."""
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
    writer: Any = None
    reviewer: Any = None
    workers: list[Worker] = field(default_factory=list)

    def start_worker(self, *args: str, name: str | None = None, stall: str | None = None) -> Worker:
        worker = Worker(self.env, *args, name=name, stall=stall)
        self.workers.append(worker)
        worker.wait_ready()
        return worker

    def status(self, job_id: int) -> tuple[str, int]:
        """The job's status and attempts, read outside the app's session (no lock taken)."""
        row = self.query("SELECT status, attempts FROM publish_job WHERE id = :id", id=job_id)
        return row[0], row[1]

    def query(self, sql: str, **params: Any) -> Any:
        """The one row ``sql`` answers, read outside the app's session."""
        with self.reader.connect() as conn:
            return conn.execute(sa.text(sql), params).one()

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
            time.sleep(0.02)

    def sweep(self, ahead: timedelta = timedelta(0)) -> list[int]:
        """What the periodic sweep does (here, ``ahead`` from now): send again what is due or
        whose worker is gone."""
        db.session.rollback()
        ids = outbox.resend_due(utcnow() + ahead)
        db.session.commit()  # sent after the commit
        return ids

    def publishing_status(self, post: Any) -> str:
        """The post's publishing status as its author sees it in the desk."""
        client = self.app.test_client()
        response = client.post("/login", data={"email": self.writer.email, "password": PASSWORD})
        assert response.status_code == 302
        status = client.get(f"/posts/{post.id}/publishing").get_data(as_text=True)
        # The requests ran in this app context, on its session: end the transaction they left
        # open (on SQLite, a reader of an old snapshot; before write-ahead logging, a lock).
        db.session.rollback()
        return status


@contextmanager
def desks(make_app: Any, database_url: str, tmp_path: Path) -> Iterator[Callable[..., Desk]]:
    """Set up the desk and the worker's environment for a broker URL (None: embedded)."""
    made: list[Desk] = []
    contexts = []

    def factory(broker_url: str | None = None, queue: str | None = None) -> Desk:
        instance = tmp_path / "instance"
        site = tmp_path / "site"
        celery = broker_settings(broker_url, instance)
        if queue:
            celery["task_default_queue"] = queue
        app = make_app(SITE_DIR=str(site), SITE_URL=SITE_URL, CELERY=celery, WTF_CSRF_ENABLED=False)
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
            SITE_URL=SITE_URL,
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        if broker_url:
            env["CELERY_BROKER_URL"] = broker_url
        writer = _user("writer@example.com", Role.WRITER)
        reviewer = _user("rev@example.com", Role.REVIEWER)

        def make_post(n: int, **changes: Any) -> Any:
            post = posts.create_post(parse_post(content(n, **changes)), writer)
            db.session.commit()
            return post

        reader = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        desk = Desk(app, site, instance, env, reader, make_post, writer, reviewer)
        made.append(desk)
        return desk

    try:
        yield factory
    finally:
        for desk in made:
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


class OwnRedis:
    """A redis-server of this test's own (never the machine's shared one)."""

    def __init__(self, directory: Path):
        self.port = free_port()
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
