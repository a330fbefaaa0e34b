"""Publishing in the desk: a post's status (polled while it changes), retry and retract."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from editorial.extensions import db
from editorial.models import PublishJob, Role
from editorial.operations import outbox
from editorial.web.actions import attempt
from editorial.web.forms import db_id
from editorial.web.permissions import post_or_404, role_required

bp = Blueprint("publishing", __name__, url_prefix="/posts/<int:post_id>")

signed_in = role_required(Role.WRITER, Role.REVIEWER, Role.ADMIN)


@bp.get("/publishing")
@signed_in
def status(post_id: int) -> str:
    """The status line (htmx polls it every few seconds while a job is under way)."""
    post = post_or_404(post_id)
    job = outbox.publishing_status(post)
    return render_template("publishing/_publishing.html", post=post, job=job)


@bp.post("/publishing/retry")
@signed_in
def retry(post_id: int) -> Any:
    post = post_or_404(post_id)
    job = db.get_or_404(PublishJob, request.form.get("job", type=db_id) or 0)
    if job.post_id != post.id:
        abort(404)
    back = request.referrer or url_for("history.index", post_id=post.id)
    with attempt(back):
        outbox.retry(job, current_user)
    flash("Sent to the publisher again.", "success")
    return redirect(back)


@bp.post("/retract")
@signed_in
def retract(post_id: int) -> Any:
    post = post_or_404(post_id)
    back = url_for("history.index", post_id=post.id)
    with attempt(back, "Not retracted: {}"):
        outbox.request_retract(post, current_user)
    flash("Retracting: the post leaves the site, its feeds and lists in a moment.", "success")
    return redirect(back)
