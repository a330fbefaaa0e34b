"""A ``limits`` storage in a SQLite file, so that every process on one machine shares its counts.

The embedded default for the throttles (``RATELIMIT_STORAGE_URI=sqlite:////abs/path``). It is
registered with ``limits`` under the ``sqlite`` scheme when this module is imported. It serves
the fixed-window strategy (Flask-Limiter's default). Each increment is one short write
transaction, so two gunicorn workers, or a web process and a script, count together.
Several machines need a storage they share: Redis.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable

from flask import Flask
from flask_limiter import Limiter
from limits.storage import Storage

PRUNE_EVERY = 60.0  # seconds between deletions of expired counters, per process

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID
"""

INCREMENT = """
INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN counters.expires_at <= :now THEN :amount ELSE counters.count + :amount END,
    expires_at = CASE WHEN counters.expires_at <= :now THEN :expires_at
                      ELSE counters.expires_at END
"""


class SQLiteStorage(Storage):
    """Fixed-window counters in one SQLite table: key, count and when the window ends."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool):
        # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells them.
        path = uri.removeprefix("sqlite://").removeprefix("/")
        if not path:
            raise ValueError(f"{uri!r} names no file; use sqlite:////absolute/path")
        self.path = path
        self.timeout = float(options.get("timeout", 5.0))
        self._local = threading.local()
        self._last_prune = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread, opened again in a forked child (a gunicorn worker).
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        # The counts name e-mail and client addresses: readable by this user only.
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        conn.execute("PRAGMA synchronous=NORMAL")  # counters need not survive a power cut
        conn.execute(SCHEMA)
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to ``key``'s count, starting a window of ``expiry`` seconds if it has
        none; returns the new count. Atomic: the write lock is taken before the count is read."""
        now = time.time()
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if now - self._last_prune > PRUNE_EVERY:
                self._last_prune = now
                conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
            params = {"key": key, "amount": amount, "expires_at": now + expiry, "now": now}
            conn.execute(INCREMENT, params)
            (count,) = conn.execute("SELECT count FROM counters WHERE key = ?", (key,)).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite ends some failed transactions itself
                conn.execute("ROLLBACK")
            raise
        return int(count)

    def _live(self, key: str) -> tuple[int, float] | None:
        """The count and end of ``key``'s window, if the window has not ended."""
        return (
            self._connection()
            .execute(
                "SELECT count, expires_at FROM counters WHERE key = ? AND expires_at > ?",
                (key, time.time()),
            )
            .fetchone()
        )

    def get(self, key: str) -> int:
        live = self._live(key)
        return int(live[0]) if live else 0

    def get_expiry(self, key: str) -> float:
        live = self._live(key)
        return float(live[1]) if live else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))


def app_limiter(app: Flask, key: Callable[[], str], name: str) -> Limiter:
    """A limiter of ``app`` for one of its parts, counting under its own ``name`` in the app's
    throttle storage (this module's when the URI is ``sqlite://``). No limit applies until the
    caller sets one; an answer carries the limit's headers (a 429, Retry-After). A storage
    outage counts in memory meanwhile, rather than refusing everyone or failing."""
    return Limiter(
        key,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"] + "-" + name,
        headers_enabled=True,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        default_limits=[],
    )
