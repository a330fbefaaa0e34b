"""Shared previews: the page where who may read a post makes and revokes links to one of its
revisions, and the link itself, which anyone holding it opens without an account."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from editorial.limiter_storage import app_limiter
from editorial.models import Post, PreviewLink, Role, db, utcnow
from editorial.operations import preview_links as previews
from editorial.operations.working_copy import working_copy
from editorial.site.post_page import render_post_page
from editorial.web.actions import attempt
from editorial.web.forms import EmptyForm, db_id
from editorial.web.paging import paginate
from editorial.web.permissions import post_or_404, role_required

bp = Blueprint("preview_links", __name__)
# The link itself: a blueprint of its own, so that its errors get the plain page below.
shared = Blueprint("shared_preview", __name__)

signed_in = role_required(Role.WRITER, Role.REVIEWER, Role.ADMIN)

LINKS_PAGE_SIZE = 20
# Views of one link, however many people share it: each is an audit event, so a flood of
# them (a crawler that found the link, a script) must not fill the log.
DEFAULT_RATE_LIMIT = "30 per minute;500 per day"
# The shared page stays out of search engines and caches, and its address (the token) is
# not sent to the sites its entries link to.
PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
UNAVAILABLE = {
    404: "There is no preview at this address.",
    410: "This preview link has expired or was withdrawn. Ask whoever sent it for a new one.",
    429: "This preview has been opened very often just now. Wait a minute and try again.",
}


def _page(post: Post, status: int = 200, **extra: Any) -> Any:
    current = post.current_revision.number
    context = {
        "chosen_revision": request.args.get("revision", type=db_id) or current,
        "chosen_days": previews.DEFAULT_DAYS,
        "errors": {},
    } | extra
    page = render_template(
        "preview_links/index.html",
        post=post,
        links=paginate(previews.live_links_query(post), LINKS_PAGE_SIZE),
        current=current,
        days=previews.DAYS,
        working=working_copy(post),
        **context,
    )
    # A new link is shown in this response only: never stored, flashed or redirected with.
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/posts/<int:post_id>/previews")
@signed_in
def index(post_id: int) -> Any:
    return _page(post_or_404(post_id))


@bp.post("/posts/<int:post_id>/previews")
@signed_in
def create(post_id: int) -> Any:
    post = post_or_404(post_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    number = request.form.get("revision", type=db_id) or 0
    days = request.form.get("days", type=db_id) or 0

    def refused(refusal: Any) -> Any:
        errors = dict(refusal.problems) or {"revision": refusal.message}
        return _page(post, refusal.status, errors=errors, chosen_revision=number, chosen_days=days)

    with attempt(answer=refused):
        link, token = previews.create_link(post, number, current_user, days)
    address = url_for("shared_preview.view", token=token, _external=True)
    return _page(post, created=address, created_link=link)


@bp.post("/posts/<int:post_id>/previews/<int:link_id>/revoke")
@signed_in
def revoke(post_id: int, link_id: int) -> Any:
    post = post_or_404(post_id)
    link = db.get_or_404(PreviewLink, link_id)
    if link.post_id != post.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with attempt(answer=lambda refusal: abort(refusal.status)):  # the plain error page
        previews.revoke_link(link, current_user)
    flash(f"Preview link to revision {link.revision.number} revoked; it shows nothing now.", "info")
    return redirect(url_for("preview_links.index", post_id=post.id))


@shared.get("/preview/<token>")
def view(token: str) -> Any:
    """One revision, read-only, as the site would show it, to anyone holding the link."""
    link = previews.find_link(token)
    if link is None:
        abort(404)
    now = utcnow()
    if not link.is_live(now):
        abort(410)
    post, revision = link.post, link.revision
    published = post.published_at is not None
    html = render_post_page(
        revision.content,
        revision.rendered,
        author_name=post.author.display_name,
        # Dates only as the site would give them: a post never published has none.
        published_at=post.published_at,
        updated_at=revision.created_at if published else None,
        preview=True,
        assets=url_for("static", filename=""),
    )
    previews.record_view(link, now)
    db.session.commit()
    return html, 200, PRIVATE_HEADERS


@shared.errorhandler(404)
@shared.errorhandler(410)
@shared.errorhandler(429)
def unavailable(error: HTTPException) -> Any:
    """A plain answer for a link that shows nothing: no desk, nothing about the post."""
    code = error.code or 404
    page = render_template("preview_links/unavailable.html", code=code, message=UNAVAILABLE[code])
    return make_response(page, code, PRIVATE_HEADERS)


def _limit_key() -> str:
    # Counted per link, under its token's hash: the token itself is stored nowhere.
    token = (request.view_args or {}).get("token", "")
    return "link:" + hashlib.sha256(token.encode()).hexdigest()


def init_app(app: Flask) -> None:
    """Register both blueprints, with a limit on how often one link may be opened."""
    app.register_blueprint(bp)
    app.register_blueprint(shared)
    limiter = app_limiter(app, _limit_key, "preview")
    app.view_functions["shared_preview.view"] = limiter.limit(_rate_limit)(view)


def _rate_limit() -> str:
    return current_app.config.get("PREVIEW_RATE_LIMIT") or DEFAULT_RATE_LIMIT
