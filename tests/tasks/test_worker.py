"""Real services: Redis-backed sign-in throttling and a real Celery worker on Redis."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
import uuid

import pytest
import redis

from tests.helpers.processes import ROOT, start_worker


def test_sign_in_throttle_is_shared_through_redis(make_app, redis_url):
    prefix = f"editorial-test-{uuid.uuid4().hex}"
    settings = dict(
        WTF_CSRF_ENABLED=False,
        RATELIMIT_STORAGE_URI=f"{redis_url}/0",
        RATELIMIT_KEY_PREFIX=prefix,
        LOGIN_RATE_LIMIT="2 per minute",
    )
    # Two app instances stand for two web processes: the count is shared through Redis.
    first, second = make_app(**settings), make_app(**settings)
    attempt = {"email": "someone@example.com", "password": "wrong password"}
    codes = []
    for app in (first, second, first):
        with app.app_context():
            codes.append(app.test_client().post("/login", data=attempt).status_code)
    client = redis.Redis.from_url(f"{redis_url}/0")
    keys = list(client.scan_iter(f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    assert codes == [200, 200, 429]
    assert keys, "the limiter wrote nothing to Redis"


@pytest.mark.slow
def test_worker_process_starts_on_redis_and_answers(redis_url, tmp_path):
    broker = f"{redis_url}/{os.environ.get('TEST_REDIS_DB', '14')}"
    node = f"test-{uuid.uuid4().hex[:10]}@localhost"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(CELERY_BROKER_URL=broker, EDITORIAL_INSTANCE_PATH=str(tmp_path))
    proc = start_worker(env, ROOT, "-n", node)
    try:
        from celery import Celery

        control = Celery(broker=broker)
        deadline = time.monotonic() + 60
        replies = []
        while time.monotonic() < deadline and not replies and proc.poll() is None:
            replies = control.control.ping(destination=[node], timeout=1.0)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "worker exited"
        assert replies and node in replies[0]
    finally:
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert "ready" in output


def _wait_for_line(proc: subprocess.Popen[str], needle: str, seconds: float) -> str:
    """Read the process's output until a line contains ``needle``; return what was read.

    A thread reads the lines: select() on the pipe says nothing of the lines that readline()
    has already buffered, so a line that came in the same chunk as the one before (the
    worker's "ready." right after a long log record) went unseen.
    """
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    seen = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"no {needle!r} in the worker's output:\n" + "".join(seen))


@pytest.mark.slow
def test_worker_process_starts_on_the_embedded_broker(tmp_path):
    """The default needs no server: the worker's queue and control files live in the instance."""
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    instance = tmp_path / "instance"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "CELERY_BROKER_URL", "REDIS_URL")
    }
    env.update(EDITORIAL_INSTANCE_PATH=str(instance), PYTHONPATH=str(ROOT))
    proc = start_worker(env, elsewhere)
    try:
        output = _wait_for_line(proc, "ready.", 60)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert "editorial.broker:Transport" in output  # the embedded filesystem transport
    assert (instance / "broker" / "queue").is_dir()
    assert list(elsewhere.iterdir()) == [], "the worker wrote outside the instance folder"
