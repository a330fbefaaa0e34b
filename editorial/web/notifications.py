"""The desk's notifications: a count in the header and a list, newest first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from editorial.extensions import db
from editorial.models import Notification
from editorial.operations.notifications import mark_all_read
from editorial.web.paging import paginate

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PAGE_SIZE = 50


@bp.get("/")
@login_required
def index() -> str:
    notes = paginate(
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        # Each row links to its post, and where depends on the post's author: one query.
        .options(selectinload(Notification.post)),
        PAGE_SIZE,
    )
    return render_template("notifications/index.html", notes=notes)


@bp.post("/read")
@login_required
def read_all() -> Any:
    mark_all_read(current_user)
    db.session.commit()
    flash("All notifications marked as read.", "info")
    return redirect(url_for("notifications.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def unread() -> dict[str, Any]:
        if current_user and current_user.is_authenticated:
            # Loaded with the session (operations.sessions.load), in the same statement.
            return {"unread_notifications": current_user.unread_notifications}
        return {"unread_notifications": 0}
