"""Admin: the Subscribers page (counts per tag, search, remove) and its CSV export. Admins
only: no other page of the desk shows any subscriber's data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from editorial.extensions import db
from editorial.models import Role, Subscriber, SubscriberStatus
from editorial.operations import subscriptions
from editorial.web.actions import attempt
from editorial.web.forms import EmptyForm, db_id
from editorial.web.paging import page_arg, paginate
from editorial.web.permissions import role_required

bp = Blueprint("subscribers", __name__)

admin_only = role_required(Role.ADMIN)
PAGE_SIZE = 50
SEARCH_LIMIT = 254


def _shown() -> dict[str, Any]:
    status = request.args.get("status", "")
    return {
        "q": request.args.get("q", "").strip()[:SEARCH_LIMIT] or None,
        "status": status if status in {s.value for s in SubscriberStatus} else None,
        "page": page_arg() if page_arg() > 1 else None,
    }


@bp.get("/admin/subscribers")
@admin_only
def index() -> Any:
    shown = _shown()
    query = subscriptions.subscribers_query(shown["q"] or "", shown["status"] or "")
    return (
        render_template(
            "admin/subscribers.html",
            subscribers=paginate(query, PAGE_SIZE),
            shown=shown,
            counts=subscriptions.counts(),
            tag_counts=subscriptions.tag_counts(),
            tags=subscriptions.live_tags(),
            statuses=[s.value for s in SubscriberStatus],
            form=EmptyForm(),
        ),
        200,
        {"Cache-Control": "no-store"},
    )


@bp.post("/admin/subscribers/remove")
@admin_only
def remove() -> Any:
    """Delete a subscriber and what was sent to them; gone from the list and the export."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    subscriber = db.session.get(Subscriber, request.form.get("subscriber", type=db_id) or 0)
    if subscriber is None:
        abort(404)
    address = subscriber.address
    back = url_for("subscribers.index", **_shown())
    with attempt(back=back):
        subscriptions.remove(subscriber, current_user)
    flash(f"{address} removed; it is in neither the list nor the export.", "info")
    return redirect(back)


@bp.get("/admin/subscribers.csv")
@admin_only
def export() -> Response:
    def rows() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["address", "status", "choice", "subscribed_at", "confirmed_at"])
        for row in subscriptions.export_rows():
            writer.writerow(row)
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    headers = {
        "Content-Disposition": "attachment; filename=subscribers.csv",
        "Cache-Control": "no-store",
    }
    # Built whole: a generator would run after the request's database session is gone.
    return Response("".join(rows()), mimetype="text/csv", headers=headers)
