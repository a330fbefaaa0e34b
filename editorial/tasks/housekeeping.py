"""The worker's daily housekeeping (scheduled by beat; see ``config.broker_settings``)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from flask import current_app

from editorial.extensions import db
from editorial.operations import freshness, sessions


@shared_task(name="editorial.housekeeping.prune_sessions", ignore_result=True)
def prune_sessions() -> int:
    """Delete ended and expired sign-in sessions (one row per sign-in would pile up)."""
    removed = sessions.prune(timedelta(days=current_app.config["SESSION_DAYS"]))
    db.session.commit()
    return removed


@shared_task(name="editorial.housekeeping.flag_due_posts", ignore_result=True)
def flag_due_posts() -> int:
    """List the live posts that came due for re-review, and tell their authors and reviewers
    (a batch per run; the next run takes the rest)."""
    flagged = freshness.flag_due()
    db.session.commit()
    return len(flagged)
