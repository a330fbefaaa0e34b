"""The desk's home: the signed-in writer's posts, their state and what the rules still want."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from editorial.domain.errors import InvalidInput, Refusal
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.extensions import db
from editorial.models import Post, Role
from editorial.operations.outbox import latest_jobs
from editorial.operations.posts import counts_for, create_post, list_options
from editorial.operations.working_copy import autosaved_at
from editorial.web.actions import attempt
from editorial.web.forms import db_id
from editorial.web.permissions import role_required

bp = Blueprint("desk", __name__)

PAGE_SIZE = 40


@bp.get("/")
@role_required(Role.WRITER, Role.REVIEWER, Role.ADMIN)
def index() -> str:
    query = sa.select(Post).where(Post.author_id == current_user.id)
    state = request.args.get("state", "")
    if state in {s.value for s in PostState}:
        query = query.where(Post.state == PostState(state))
    else:
        state = ""  # an unknown filter shows everything rather than an error page
    page = db.paginate(
        query.order_by(Post.updated_at.desc(), Post.id.desc()).options(*list_options()),
        # A page whose rows no query can reach (past 64 bits, the offset too) is past the last.
        page=min(request.args.get("page", 1, type=db_id), 10**9),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    posts = page.items
    findings = {post.id: tuple(counts_for(post.current_revision)) for post in posts}
    return render_template(
        "desk/index.html",
        posts=posts,
        findings=findings,
        state=state,
        states=list(PostState),
        page=page,
        jobs=latest_jobs(posts),
        # The counts are the saved revision's; the editor shows those of unsaved edits.
        autosaved=autosaved_at(posts),
    )


@bp.route("/posts/import", methods=["GET", "POST"])
@role_required(Role.WRITER)
def import_post() -> Any:
    """A post from an interchange file (an export, or `editorial posts import`'s input) as a
    new draft of the signed-in writer: the same checks as the command; a bad file writes
    nothing and is answered with each problem, named by its place in the file."""
    if request.method == "GET":
        return render_template("desk/import.html", problems=[])
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""

    def refused(refusal: Refusal) -> Any:
        problems = refusal.problems or [("", refusal.message)]
        return render_template("desk/import.html", problems=problems), refusal.status

    with attempt(answer=refused):
        if not data:
            raise InvalidInput.single("", "Choose a JSON file of a ranking post to import.")
        post = create_post(parse_post(data), current_user)
    flash(f"Imported “{post.title}” as a draft (revision 1).", "success")
    return redirect(url_for("editor.edit", post_id=post.id))
