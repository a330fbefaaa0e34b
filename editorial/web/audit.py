"""The audit log, site-wide, for admins: every recorded event, newest first, a page at a time,
filtered by action, by who did it and by post."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy.orm import selectinload

from editorial.models import AuditEvent, Post, Role
from editorial.operations.audit import ACTION_LABELS, action_label, events_query
from editorial.web.forms import db_id
from editorial.web.paging import paginate
from editorial.web.permissions import role_required

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50


@bp.get("/admin/audit")
@role_required(Role.ADMIN)
def index() -> str:
    # Unknown filters show everything rather than an error page.
    action = request.args.get("action", "")
    action = action if action in ACTION_LABELS else ""
    actor = " ".join(request.args.get("actor", "").split())[:254]
    post_id = request.args.get("post", type=db_id)
    events = paginate(
        events_query(action, actor, post_id).options(
            # Each row names its post by title, which its current revision holds.
            selectinload(AuditEvent.post).selectinload(Post.current_revision)
        ),
        PAGE_SIZE,
    )
    return render_template(
        "audit/index.html",
        events=events,
        labels={event.id: action_label(event.action) for event in events.items},
        actions=ACTION_LABELS,
        shown={"action": action or None, "actor": actor or None, "post": post_id},
    )
