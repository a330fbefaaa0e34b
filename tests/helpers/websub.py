"""Real WebSub parties for the tests, all on 127.0.0.1: flask-websub's hub as a process of its
own, flask-websub's subscriber served from a thread of the test process, a WSGI app (the desk
serving the site) served the same way, and a stand-in hub that records the pings it gets."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from tests.helpers.processes import free_port

TIMEOUT = 30.0

# flask-websub's hub as its maintainers wire it (a Flask app, a Celery app, SQLite storage),
# with `hub.mode=publish` accepted and its Celery tasks run in the request (eager): the hub
# fetches the topic and posts it to each subscriber before it answers the publisher.
HUB_SCRIPT = """
import sys

from celery import Celery
from flask import Flask
from flask_websub.hub import Hub, SQLite3HubStorage
from werkzeug.serving import run_simple

port, storage = int(sys.argv[1]), sys.argv[2]
celery = Celery("hub")
celery.conf.task_always_eager = True
app = Flask("hub")
app.config["PUBLISH_SUPPORTED"] = True
hub = Hub(SQLite3HubStorage(storage), celery, REQUEST_TIMEOUT=5)
app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))
run_simple("127.0.0.1", port, app, threaded=True)
"""


def wait_listening(port: int, alive: Any = None, seconds: float = TIMEOUT) -> None:
    """Wait until something accepts connections on ``port`` (``alive()`` false: it died)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            assert alive is None or alive(), "the server exited"
            assert time.monotonic() < deadline, f"nothing listens on port {port}"
            time.sleep(0.05)


class HubProcess:
    """flask-websub's hub on its own port, its subscriptions kept in ``storage`` across a
    stop and a start (a hub that goes down and comes back)."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.storage = directory / "hub.sqlite3"
        self.log = directory / "hub.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hub"

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", HUB_SCRIPT, str(self.port), str(self.storage)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        proc = self.proc
        wait_listening(self.port, lambda: proc.poll() is None)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` from a thread on a free port; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@dataclass
class Subscriber:
    """flask-websub's subscriber: discovers a feed's hub, subscribes, and keeps what the hub
    delivers, by topic."""

    app: Flask
    client: Any  # flask_websub.subscriber.Subscriber
    base_url: str = ""
    received: dict[str, list[bytes]] = field(default_factory=dict)

    def subscribe(self, feed_url: str) -> dict[str, str]:
        """Discover ``feed_url``'s hub and topic and subscribe there; what discovery found."""
        from flask_websub.subscriber import discover

        found = discover(feed_url)
        with self.app.test_request_context(base_url=self.base_url):
            self.client.subscribe(**found)
        return found

    def wait_for(self, topic: str, text: str, seconds: float = TIMEOUT) -> bytes:
        """Wait until the hub has delivered a version of ``topic`` that holds ``text``."""
        deadline = time.monotonic() + seconds
        while True:
            for body in self.received.get(topic, []):
                if text.encode() in body:
                    return body
            assert time.monotonic() < deadline, f"{topic} never arrived with {text!r}"
            time.sleep(0.05)

    def wait_for_next(self, topic: str, seen: int, seconds: float = TIMEOUT) -> bytes:
        """Wait until the hub has delivered ``topic`` more than ``seen`` times; the newest."""
        deadline = time.monotonic() + seconds
        while len(self.received.get(topic, [])) <= seen:
            assert time.monotonic() < deadline, f"no new version of {topic} arrived"
            time.sleep(0.05)
        return self.received[topic][-1]


@contextmanager
def subscriber(directory: Path) -> Iterator[Subscriber]:
    """A subscriber serving its callbacks from a thread of this process."""
    from flask_websub.subscriber import (
        SQLite3SubscriberStorage,
        SQLite3TempSubscriberStorage,
    )
    from flask_websub.subscriber import Subscriber as WebSubSubscriber

    app = Flask("subscriber")
    client = WebSubSubscriber(
        SQLite3SubscriberStorage(str(directory / "subscriptions.sqlite3")),
        SQLite3TempSubscriberStorage(str(directory / "requests.sqlite3")),
    )
    app.register_blueprint(client.build_blueprint(url_prefix="/callbacks"))
    party = Subscriber(app, client)

    @client.add_listener
    def keep(topic_url: str, callback_id: str, body: bytes) -> None:
        party.received.setdefault(topic_url, []).append(body)

    with serving(app) as base_url:
        party.base_url = base_url
        yield party


@dataclass
class Ping:
    path: str
    content_type: str
    form: dict[str, list[str]]


class StandInHub:
    """A hub that only records the pings it gets and answers each with ``answers[topic]``
    (202 by default)."""

    def __init__(self) -> None:
        self.pings: list[Ping] = []
        self.answers: dict[str, int] = {}
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                form = urllib.parse.parse_qs(body.decode())
                hub.pings.append(Ping(self.path, self.headers.get("Content-Type", ""), form))
                self.send_response(hub.answers.get(form.get("hub.url", [""])[0], 202))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hub"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def topics(self) -> list[str]:
        return [ping.form["hub.url"][0] for ping in self.pings]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
