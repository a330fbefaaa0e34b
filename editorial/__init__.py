"""editorial: a desk for writing, reviewing and publishing honest ranking posts."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# How long a SQLite writer waits for the write lock before "database is locked".
SQLITE_BUSY_MS = 5000


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """The application factory: config from the environment, then ``test_config`` on top."""
    import os

    from editorial import cli
    from editorial.api import views as api
    from editorial.celery_app import celery_init_app
    from editorial.config import from_environment
    from editorial.extensions import csrf, db, login_manager, migrate
    from editorial.models import utcnow
    from editorial.site.pages import tag_slug
    from editorial.tasks import housekeeping, mail  # noqa: F401 - register their Celery tasks
    from editorial.tasks import publishing as publishing_tasks  # noqa: F401 - registers tasks
    from editorial.web import (
        accounts,
        admin,
        auth,
        comments,
        desk,
        editor,
        error_pages,
        headers,
        history,
        notifications,
        publishing,
        review,
        site_files,
    )
    from editorial.web.forms import IdConverter

    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("EDITORIAL_INSTANCE_PATH") or None,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    # Before any route: an id past what a database holds matches no route (a 404).
    app.url_map.converters["int"] = IdConverter

    if proxies := app.config.get("TRUSTED_PROXIES"):
        # Behind N reverse proxies: trust their X-Forwarded-* so client addresses, the scheme
        # and the host are the real ones (the sign-in throttle counts per client address).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    celery_init_app(app)

    app.register_blueprint(auth.bp)
    auth.throttle_login(app)
    app.register_blueprint(desk.bp)
    app.register_blueprint(editor.bp)
    app.register_blueprint(history.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(comments.bp)
    notifications.init_app(app)
    app.add_template_filter(tag_slug, "tag_slug")
    app.register_blueprint(site_files.bp)
    app.register_blueprint(publishing.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(admin.bp)
    api.init_app(app)
    app.jinja_env.globals["now"] = utcnow
    error_pages.init_app(app)
    headers.init_app(app)
    cli.init_app(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_connect)
            sa.event.listen(db.engine, "begin", _sqlite_begin)
    return app


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
