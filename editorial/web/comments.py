"""Comments on a post or one of its entries: reviewers leave them, writers reply and resolve."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from editorial.domain.errors import InvalidInput, PermissionDenied, user_message
from editorial.domain.passwords import safe_next
from editorial.extensions import db
from editorial.models import Comment, Post
from editorial.operations import review
from editorial.web.forms import db_id

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
    if not review.can_comment(post, current_user):
        abort(403)
    parent = None
    if parent_id := request.form.get("parent", type=db_id):
        parent = db.get_or_404(Comment, parent_id)
    try:
        review.add_comment(
            post,
            current_user,
            request.form.get("body", ""),
            entry_name=request.form.get("entry") or None,
            parent=parent,
        )
        db.session.commit()
    except (InvalidInput, PermissionDenied) as exc:
        db.session.rollback()
        # The page the comment came from comes back with the text and the message beside it.
        draft = {
            "entry": request.form.get("entry") or "",
            "parent": parent.id if parent else 0,
            "body": request.form.get("body", ""),
            "error": user_message(exc),
        }
        if isinstance(exc, PermissionDenied):
            abort(403)
        if request.form.get("origin") == "review":
            from editorial.web.review import render_page

            return render_page(post, 422, comment_draft=draft)
        from editorial.web.editor import edit_page

        return edit_page(post, 422, comment_draft=draft)
    return _answer(post, "Reply posted." if parent else "Comment posted.", "success")


@bp.post("/comments/<int:comment_id>/resolve")
@login_required
def resolve(comment_id: int) -> Any:
    comment = db.get_or_404(Comment, comment_id)
    post = db.session.get(Post, comment.post_id)
    if not review.can_comment(post, current_user):
        abort(403)
    review.resolve_comment(comment, current_user)
    db.session.commit()
    return _answer(post, "Marked as resolved.", "success")
