"""editorial: a desk for writing, reviewing and publishing honest ranking posts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """The application factory: config from the environment, then ``test_config`` on top."""
    import os

    # Inside the factory, as in Flask's tutorial: every module imports this package first, so
    # loading the layers here at the top would import each of them half-made (a cycle).
    from editorial import cli, database
    from editorial.api import views as api
    from editorial.api.problems import problem
    from editorial.celery_app import celery_init_app
    from editorial.config import from_environment
    from editorial.domain import disclosure
    from editorial.domain.disclosure import DEFAULT_AFFILIATE_PARAMS
    from editorial.domain.tags import tag_slug
    from editorial.extensions import csrf, db, login_manager, migrate
    from editorial.models import utcnow
    from editorial.tasks import housekeeping, mail, newsletter  # noqa: F401 - register tasks
    from editorial.tasks import publishing as publishing_tasks  # noqa: F401 - registers tasks
    from editorial.tasks import websub as websub_tasks  # noqa: F401 - registers its task
    from editorial.web import (
        accounts,
        admin,
        audit,
        auth,
        comments,
        desk,
        editor,
        error_pages,
        headers,
        history,
        notifications,
        preview_links,
        publishing,
        review,
        site_files,
        subscribers,
        subscriptions,
    )
    from editorial.web.forms import IdConverter
    from editorial.web.routing import EditorialFlask

    app = EditorialFlask(
        __name__,
        instance_path=instance_path or os.environ.get("EDITORIAL_INSTANCE_PATH") or None,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    disclosure.configure(app.config.get("AFFILIATE_PARAMS", DEFAULT_AFFILIATE_PARAMS))
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
    app.register_blueprint(audit.bp)
    preview_links.init_app(app)
    subscriptions.init_app(app)
    app.register_blueprint(subscribers.bp)
    api.init_app(app)
    app.jinja_env.globals["now"] = utcnow
    error_pages.init_app(app, api_problem=problem)
    headers.init_app(app)
    cli.init_app(app)

    with app.app_context():
        database.tune(db.engine)
    return app
