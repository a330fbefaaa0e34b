"""SQLite made fit for several processes: a busy timeout, write-ahead logging, and writers
that take the write lock up front. PostgreSQL needs none of this."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

# How long a SQLite writer waits for the write lock before "database is locked".
SQLITE_BUSY_MS = 5000


def tune(engine: sa.Engine) -> None:
    """Listen on ``engine``'s connections when it is SQLite's."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)


F = TypeVar("F", bound=Callable[..., Any])


def reads_only(view: F) -> F:
    """Mark a view that changes nothing although it is sent with POST (a preview, a check):
    on SQLite its requests do not take the write lock, so they never hold up a writer."""
    view.reads_only = True  # type: ignore[attr-defined]
    return view


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLite enforces foreign keys only when asked, per connection. The driver's own
    # transaction handling breaks SAVEPOINTs, so SQLAlchemy emits BEGIN itself (its recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    # Write-ahead logging: reading never waits for a writer, and a writer never waits for
    # readers, however long a request that only reads takes. It stays set in the file; only
    # the first connection changes it, which fails while another one writes (next time).
    with contextlib.suppress(sqlite3.OperationalError):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # SQLite has no row locks: a transaction that read first and writes later can find another
    # writer in its way and fail at once ("database is locked"), not wait. Transactions that
    # may write (any request but a GET or a view marked ``reads_only``, and the CLI and
    # worker) take the write lock up front instead, so concurrent writers queue (busy_timeout)
    # and then see each other's changes; the rest only read, and never wait (WAL).
    from flask import current_app, has_request_context, request

    reading = has_request_context() and (
        request.method in ("GET", "HEAD", "OPTIONS")
        or getattr(current_app.view_functions.get(request.endpoint or ""), "reads_only", False)
    )
    conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")
