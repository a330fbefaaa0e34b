"""Celery wired the way Flask's own example does it: tasks run inside the app context."""

from __future__ import annotations

from celery import Celery, Task
from celery import current_app as current_celery_app
from celery.signals import worker_process_init
from flask import Flask

from editorial.extensions import db


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app for ``app`` and keep it in ``app.extensions['celery']``."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    def forget_parent_connections(**_: object) -> None:
        # A pool process forked from a worker that has used the database (its sweep at start)
        # must not share the parent's connections: it drops them unclosed and opens its own.
        with app.app_context():
            db.engine.dispose(close=False)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    # The signal holds its receivers weakly (tests make many apps); the app keeps this one.
    app.extensions["celery_process_init"] = forget_parent_connections
    worker_process_init.connect(forget_parent_connections)
    app.extensions["celery"] = celery_app
    return celery_app


def queue_task(name: str, *args: object) -> None:
    """Send the task pinned as ``name`` to the worker: how operations start a task without
    importing the tasks layer above them. The task is the one the current Celery app (the one
    ``shared_task`` resolves to) registered, so a test that patches its ``delay`` sees the call;
    a broker that is down raises, for the caller to handle."""
    current_celery_app.tasks[name].delay(*args)
