"""The agent API (/api/v1): JSON over the same operations as the desk's pages.

Bearer tokens (``editorial/tokens.py``) act as their user. Errors are RFC 9457 problem
details with the field path of each problem. No CSRF: no cookies are read here.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, g, jsonify, render_template, request
from flask_limiter.util import get_remote_address
from pydantic import ValidationError

from editorial.api.paging import next_link, post_page
from editorial.api.problems import problem
from editorial.api.schemas import Decision, Update, openapi
from editorial.domain import rules
from editorial.domain.addresses import client_network
from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied, Refusal
from editorial.domain.interchange import RankingPost, json_schema, parse_post
from editorial.domain.workflow import PostState
from editorial.extensions import csrf, db
from editorial.limiter_storage import app_limiter
from editorial.models import JobStatus, Post, Role, User
from editorial.operations import outbox, review
from editorial.operations import posts as ops
from editorial.operations.tokens import token_identity, user_for_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

API_MAX_BYTES = 1024 * 1024


@bp.errorhandler(Refusal)
def refused(exc: Refusal) -> Any:
    """Every refused operation as problem details: its status, message and field problems."""
    extra = {"current_revision": exc.current_revision} if isinstance(exc, Conflict) else {}
    return problem(exc.status, str(exc), exc.problems, **extra)


@bp.before_request
def authenticate() -> Any:
    if request.endpoint in ("api.openapi_document", "api.schema_document", "api.docs"):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        return problem(401, "Send a valid API token as `Authorization: Bearer <token>`.")
    try:
        db.session.commit()  # last_used_at, when it was due
    except sa.exc.SQLAlchemyError:  # a busy database must not refuse the request for it
        db.session.rollback()
        user = user_for_token(token.strip())
        if user is None:
            return problem(401, "Send a valid API token as `Authorization: Bearer <token>`.")
    g.api_user = user
    if request.method in ("POST", "PUT") and request.endpoint not in _NO_BODY:
        if (request.content_length or 0) > API_MAX_BYTES:
            return problem(413, f"Send at most {API_MAX_BYTES:,} bytes.")
        if request.mimetype != "application/json":
            return problem(415, "Send the body as application/json.")
    return None


_NO_BODY = {"api.submit", "api.withdraw"}


def _user() -> User:
    return g.api_user


def _body() -> Any:
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # arrays or objects nested past what the JSON parser follows
        abort(problem(400, "The body is nested too deeply to read as JSON."))
    if data is None:
        abort(problem(400, "The body is not valid JSON."))
    return data


def _post(post_id: int, allowed: Any = ops.can_view) -> Post:
    post = db.session.get(Post, post_id)  # ids past 64 bits match no route (forms.IdConverter)
    if post is None:
        abort(problem(404, f"No post {post_id}."))
    if not allowed(post, _user()):
        raise PermissionDenied("This token's user may not do that to this post.")
    return post


def _publication(post: Post) -> dict[str, Any]:
    job = outbox.publishing_status(post)
    if job is not None and job.status == JobStatus.FAILED:
        return {"status": "failed", "error": job.last_error, "url": None}
    if job is not None and job.status == JobStatus.RUNNING:
        return {"status": "publishing", "url": None}
    if job is not None and job.status == JobStatus.PENDING:
        if job.not_before > ops.utcnow():
            return {"status": "scheduled", "scheduled_for": job.not_before.isoformat()}
        return {"status": "queued"}
    if post.published_revision_id is not None:  # read after its job (publishing_status)
        slug = post.public_slug
        url = f"{current_app.config['SITE_URL']}posts/{slug}/" if slug else None
        return {"status": "live", "url": url}
    if post.public_slug:
        return {"status": "retracted"}
    return {"status": "not_published"}


def _out(post: Post, status: int = 200) -> Any:
    revision = post.current_revision
    body = {
        "id": post.id,
        "slug": post.slug,
        "state": post.state.value,
        "revision": revision.number,
        "author": post.author.email,
        "updated_at": post.updated_at.isoformat(),
        "findings": [f.as_dict() for f in ops.findings_for(revision)],
        "publication": _publication(post),
        "content": revision.content,
    }
    return jsonify(body), status


def _answer(fn: Any) -> Any:
    """Run an operation and commit; a refusal rolls it back and is answered by ``refused``."""
    try:
        result = fn()
        db.session.commit()
    except Refusal:
        db.session.rollback()
        raise
    return result


def _content(data: Any) -> RankingPost:
    try:
        return parse_post(data)
    except InvalidInput as exc:
        abort(problem(422, "The post is not well-formed.", exc.problems))


@bp.get("/")
def docs() -> Any:
    """The human page: what the API is, how to authenticate, a worked example."""
    return render_template(
        "api/docs.html", rate_limit=_in_words(current_app.config["API_RATE_LIMIT"])
    )


def _in_words(limits: str) -> str:
    """Flask-Limiter's "120 per minute;2000 per hour" as "120 per minute and 2000 per hour"."""
    parts = [part.strip() for part in re.split(r"[;,]", limits) if part.strip()]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


@bp.get("/openapi.json")
def openapi_document() -> Any:
    return jsonify(openapi())


@bp.get("/schema/ranking-post.json")
def schema_document() -> Any:
    return jsonify(json_schema())


@bp.get("/posts")
def list_posts() -> Any:
    """My posts, the most recently changed first, a page at a time."""
    return _listing("api.list_posts", sa.select(Post).where(Post.author_id == _user().id), True)


def _listing(endpoint: str, query: sa.Select[Any], newest_first: bool) -> Any:
    posts, cursor = post_page(query, newest_first)
    link = next_link(endpoint, cursor)
    response = jsonify(posts=posts, next=link)
    if link:
        response.headers["Link"] = f'<{link}>; rel="next"'
    return response


@bp.post("/posts")
def create() -> Any:
    content = _content(_body())
    post = _answer(lambda: ops.create_post(content, _user()))
    return _out(post, 201)


@bp.get("/posts/<int:post_id>")
def read(post_id: int) -> Any:
    return _out(_post(post_id))


@bp.put("/posts/<int:post_id>")
def update(post_id: int) -> Any:
    try:
        change = Update.model_validate(_body())
    except ValidationError as exc:
        abort(problem(422, "The update is not well-formed.", _paths(exc)))
    post = _post(post_id, ops.can_edit)
    _answer(lambda: ops.save_revision(post, change.content, _user(), change.base_revision))
    return _out(post)


@bp.post("/check")
def check() -> Any:
    # An empty slug is made from the title, as creating or saving the post does.
    findings = rules.check_post(ops.fill_slug(_content(_body())))
    errors = sum(f.severity == rules.Severity.ERROR for f in findings)
    return jsonify(
        findings=[f.as_dict() for f in findings], errors=errors, warnings=len(findings) - errors
    )


@bp.post("/posts/<int:post_id>/submit")
def submit(post_id: int) -> Any:
    post = _post(post_id, ops.can_edit)
    _answer(lambda: ops.submit_for_review(post, _user()))
    return _out(post)


@bp.post("/posts/<int:post_id>/withdraw")
def withdraw(post_id: int) -> Any:
    post = _post(post_id, ops.can_edit)
    _answer(lambda: ops.withdraw(post, _user()))
    return _out(post)


@bp.post("/posts/<int:post_id>/decision")
def decide(post_id: int) -> Any:
    try:
        decision = Decision.model_validate(_body())
    except ValidationError as exc:
        abort(problem(422, "The decision is not well-formed.", _paths(exc)))
    post = _post(post_id)
    reviewer = _user()

    notes = [(note.entry, note.comment) for note in decision.entry_comments]

    def run() -> Any:
        if decision.decision == "approve":
            if not decision.checklist_confirmed:
                raise InvalidInput.single(
                    "checklist_confirmed", "Confirm the checklist to approve (true)."
                )
            review.approve(
                post, reviewer, review.checklist_keys(post), decision.comment,
                decision.revision, decision.publish_at, entry_comments=notes,
            )  # fmt: skip
        else:
            review.request_changes(
                post, reviewer, set(), decision.comment, decision.revision, entry_comments=notes
            )
        # The answer says what the decision left, read before the commit: once it commits, a
        # worker may publish at once, and the reviewer would read "published" or "approved"
        # by chance (the publication status endpoint follows the rest).
        return _out(post)

    return _answer(run)


@bp.get("/posts/<int:post_id>/publication")
def publication(post_id: int) -> Any:
    return jsonify(_publication(_post(post_id)))


@bp.get("/posts/<int:post_id>/export")
def export(post_id: int) -> Any:
    return jsonify(ops.export_post(_post(post_id)))


@bp.get("/review/queue")
def queue() -> Any:
    if not _user().has_role(Role.REVIEWER):
        return problem(403, "Only reviewers see the review queue.")
    # Waiting longest first, as the desk's queue.
    return _listing("api.queue", sa.select(Post).where(Post.state == PostState.IN_REVIEW), False)


def _paths(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"])
        out.append((path, error["msg"].removeprefix("Value error, ")))
    return out


def _rate_limit_key() -> str:
    """Per token (not per address): an agent's limit follows its token wherever it runs. Counted
    on the token's identity as authentication resolves it, never on the header's text (every
    spelling of one token is one count); without a valid token, per client address."""
    # This runs before authenticate(), so it reads the header the same way.
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    identity = token_identity(token.strip()) if scheme.lower() == "bearer" else None
    if identity is not None:
        return f"token:{identity}"
    return "address:" + client_network(get_remote_address())


def init_app(app: Flask) -> None:
    """Register the API with its per-token rate limit (429 with Retry-After)."""
    limiter = app_limiter(app, _rate_limit_key, "api")
    limiter.limit(app.config["API_RATE_LIMIT"])(bp)
    for view in (docs, openapi_document, schema_document):  # public documents, no token
        limiter.exempt(view)
    app.register_blueprint(bp)


__all__ = ["bp", "init_app"]
