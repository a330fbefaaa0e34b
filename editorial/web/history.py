"""A post's history: its revisions, any one of them, a diff of two, and restoring one."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import load_only, selectinload

from editorial.domain.diff import diff_posts
from editorial.models import Post, Revision, Role
from editorial.operations import posts as ops
from editorial.operations.audit import action_label, events_query
from editorial.operations.outbox import publishing_status
from editorial.operations.working_copy import working_copy
from editorial.site.post_page import render_post_page
from editorial.web.actions import attempt
from editorial.web.forms import EmptyForm, db_id
from editorial.web.paging import paginate
from editorial.web.permissions import post_or_404, role_required

bp = Blueprint("history", __name__, url_prefix="/posts/<int:post_id>")

signed_in = role_required(Role.WRITER, Role.REVIEWER, Role.ADMIN)

# A post's revisions and its audit events are each a page at a time, with page numbers of
# their own in the URL (``rev_page``, ``events_page``).
REVISIONS_PAGE_SIZE = 50
EVENTS_PAGE_SIZE = 50


def _revision(post: Post, number: int) -> Revision:
    revision = post.revisions.filter_by(number=number).first()
    if revision is None:
        abort(404)
    return revision


@bp.get("/history")
@signed_in
def index(post_id: int) -> str:
    post = post_or_404(post_id)
    revisions = paginate(
        sa.select(Revision)
        .where(Revision.post_id == post.id)
        .order_by(Revision.number.desc())
        .options(
            # The list shows who and when, not the content: the rows stay small.
            load_only(Revision.number, Revision.created_at, Revision.created_by_id),
            selectinload(Revision.created_by),
        ),
        REVISIONS_PAGE_SIZE,
        "rev_page",
    )
    events = paginate(events_query(post_id=post.id), EVENTS_PAGE_SIZE, "events_page")
    return render_template(
        "history/history.html",
        post=post,
        revisions=revisions,
        # The compare form's choices: every number, none of the rows.
        numbers=list(range(post.current_revision.number if post.current_revision else 0, 0, -1)),
        events=events,
        rows=[
            (e, e.revision.number if e.revision else None, action_label(e.action))
            for e in events.items
        ],
        working=working_copy(post),
        can_edit=ops.can_edit(post, current_user),
        can_retract=current_user.has_role(Role.REVIEWER)
        or current_user.has_role(Role.ADMIN)
        or post.author_id == current_user.id,
        publish_job=publishing_status(post),
        form=EmptyForm(),
    )


@bp.get("/revisions/<int:number>")
@signed_in
def revision(post_id: int, number: int) -> str:
    post = post_or_404(post_id)
    shown = _revision(post, number)
    return render_template(
        "history/revision.html",
        post=post,
        revision=shown,
        previous=number - 1 if number > 1 else None,
        can_edit=ops.can_edit(post, current_user),
        form=EmptyForm(),
    )


@bp.get("/revisions/<int:number>/export")
@signed_in
def export(post_id: int, number: int) -> Any:
    """One revision as an interchange file, to keep, edit elsewhere or import again."""
    post = post_or_404(post_id)
    shown = _revision(post, number)
    body = json.dumps(ops.export_post(post, shown), ensure_ascii=False, indent=2) + "\n"
    name = f"{post.slug}-revision-{shown.number}.json"  # slugs are [a-z0-9-]: a safe name
    return current_app.response_class(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/revisions/<int:number>/preview")
@signed_in
def preview(post_id: int, number: int) -> str:
    """One revision exactly as the public site would show it."""
    post = post_or_404(post_id)
    shown = _revision(post, number)
    return render_post_page(
        shown.content,
        shown.rendered,
        author_name=post.author.display_name,
        published_at=None,
        updated_at=shown.created_at,
        preview=True,
        assets=url_for("static", filename=""),
    )


@bp.get("/diff")
@signed_in
def diff(post_id: int) -> str:
    post = post_or_404(post_id)
    last = post.current_revision.number
    old_number = request.args.get("from", type=db_id) or max(last - 1, 1)
    new_number = request.args.get("to", type=db_id) or last
    old, new = _revision(post, old_number), _revision(post, new_number)
    return render_template(
        "history/diff.html",
        post=post,
        old=old,
        new=new,
        diff=diff_posts(old.content, new.content),
        numbers=list(range(last, 0, -1)),
    )


@bp.post("/revisions/<int:number>/restore")
@signed_in
def restore(post_id: int, number: int) -> Any:
    post = post_or_404(post_id)
    if not ops.can_edit(post, current_user):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if (copy := working_copy(post)) is not None:
        flash(
            f"You have unsaved changes autosaved at {copy.saved_at:%H:%M} UTC. Save or discard "
            "them in the editor first, so that restoring does not lose them.",
            "error",
        )
        return redirect(url_for("history.index", post_id=post.id))
    base = request.form.get("base_revision", type=db_id) or 0  # missing: stale, not trusted
    # Said with str(): an invalid input names its field ("revision: This post has no …").
    with attempt(url_for("history.index", post_id=post.id), lambda r: f"Not restored: {r}"):
        revision = ops.restore_revision(post, number, current_user, base_revision=base)
    flash(f"Revision {number} restored as revision {revision.number}.", "success")
    return redirect(url_for("editor.edit", post_id=post.id))
