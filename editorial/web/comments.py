"""Comments on a post or one of its entries: reviewers leave them, writers reply and resolve."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from editorial.domain.errors import PermissionDenied, Refusal
from editorial.domain.passwords import safe_next
from editorial.extensions import db
from editorial.models import Comment, Post
from editorial.operations import comments
from editorial.web.actions import attempt
from editorial.web.editor import edit_page
from editorial.web.forms import db_id
from editorial.web.review import render_page

bp = Blueprint("comments", __name__)


def _back(post: Post) -> str:
    return safe_next(request.form.get("next")) or url_for("history.index", post_id=post.id)


def _answer(post: Post, message: str, category: str) -> Any:
    flash(message, category)
    return redirect(_back(post))


@bp.post("/posts/<int:post_id>/comments")
@login_required
def add(post_id: int) -> Any:
    post = db.get_or_404(Post, post_id)
    if not comments.can_comment(post, current_user):
        abort(403)
    parent = None
    if parent_id := request.form.get("parent", type=db_id):
        parent = db.get_or_404(Comment, parent_id)
    body, entry = request.form.get("body", ""), request.form.get("entry") or None
    with attempt(answer=lambda refusal: _draft_refused(post, parent, refusal)):
        comments.add_comment(post, current_user, body, entry_name=entry, parent=parent)
    return _answer(post, "Reply posted." if parent else "Comment posted.", "success")


def _draft_refused(post: Post, parent: Comment | None, refusal: Refusal) -> Any:
    """The page the comment came from, again, with the text and the message beside it."""
    if isinstance(refusal, PermissionDenied):
        abort(403)
    draft = {
        "entry": request.form.get("entry") or "",
        "parent": parent.id if parent else 0,
        "body": request.form.get("body", ""),
        "error": refusal.message,
    }
    if request.form.get("origin") == "review":
        return render_page(post, refusal.status, comment_draft=draft)
    return edit_page(post, refusal.status, comment_draft=draft)


@bp.post("/comments/<int:comment_id>/resolve")
@login_required
def resolve(comment_id: int) -> Any:
    comment = db.get_or_404(Comment, comment_id)
    post = db.session.get(Post, comment.post_id)
    if not comments.can_comment(post, current_user):
        abort(403)
    with attempt(_back(post)):
        comments.resolve_comment(comment, current_user)
    return _answer(post, "Marked as resolved.", "success")
