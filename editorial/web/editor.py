"""The editor: drafting a ranking post in the browser, with autosave and live findings."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from editorial.database import reads_only
from editorial.domain import weighting
from editorial.domain.diff import diff_posts
from editorial.domain.errors import Conflict, InvalidInput, Refusal
from editorial.domain.interchange import InterchangeError, parse_post
from editorial.domain.markdown import render_content
from editorial.domain.workflow import PostState
from editorial.extensions import db
from editorial.models import Post, Role
from editorial.operations import comments, freshness
from editorial.operations import posts as ops
from editorial.operations.working_copy import (
    autosave,
    check_working_version,
    discard_working_copy,
    working_copy,
)
from editorial.site.post_page import render_post_page
from editorial.web.actions import attempt
from editorial.web.checked_form import Checked
from editorial.web.forms import db_id
from editorial.web.permissions import post_or_404, role_required
from editorial.web.post_form import (
    PostForm,
    apply_op,
    blank_data,
    build_form,
    content_data,
    post_data,
    to_content,
)

bp = Blueprint("editor", __name__, url_prefix="/posts")

writer_only = role_required(Role.WRITER)
_ACTIONS = {"save", "submit"}


def _editable_post(post_id: int) -> Post:
    return post_or_404(post_id, ops.can_edit)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _render(
    form: PostForm,
    post: Post | None,
    checked: Checked | None = None,
    status: int = 200,
    **extra: Any,
) -> tuple[str, int]:
    if checked is None:
        checked = Checked(form, validate=False)
        checked.check_slug(post.id if post else None)
    return (
        render_template(
            "editor/editor.html",
            form=form,
            post=post,
            checked=checked,
            findings=checked.findings,
            working=working_copy(post) if post else None,
            threads=comments.threads(post) if post else [],
            readonly=post is not None and post.state == PostState.IN_REVIEW,
            due=post is not None and freshness.due_now(post),
            **extra,
        ),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
@writer_only
def new() -> Any:
    if request.method == "GET":
        return _render(build_form(blank_data()), None)
    return _save(None)


@bp.route("/<int:post_id>/edit", methods=["GET", "POST"])
@writer_only
def edit(post_id: int) -> Any:
    post = _editable_post(post_id)
    if request.method == "POST":
        return _save(post)
    return edit_page(post)


def edit_page(post: Post, status: int = 200, **extra: Any) -> Any:
    """The editor on the post's working copy if there is one, else its current revision."""
    copy = working_copy(post)
    if copy is not None:
        form = PostForm(formdata=MultiDict(copy.form_data))
        form.working_version.data = str(copy.version)
        form.base_revision.data = str(copy.base_revision)
    else:
        current = post.current_revision
        form = build_form(content_data(current.content) | {"base_revision": current.number})
        if post.published_revision_id == current.id:
            form.correction.data = ""  # a new change needs its own note
    return _render(form, post, status=status, **extra)


def _save(post: Post | None) -> Any:
    form = PostForm()
    op = request.form.get("op", "")
    if op:
        data, focus = apply_op(post_data(form), op)
        return _render(build_form(data), post, focus=focus)
    action = request.form.get("action", "save")
    if action not in _ACTIONS:
        abort(400)
    checked = Checked(form)
    if checked.problems or checked.post is None:
        return _render(form, post, checked, 422, save_failed=True)

    def refused(refusal: Refusal) -> Any:
        if isinstance(refusal, Conflict):  # show what changed elsewhere
            return _conflict(form, post, checked, refusal.message)
        if isinstance(refusal, InvalidInput):  # each problem beside its field
            checked.attach(refusal.problems)
            return _render(form, post, checked, 422, save_failed=True)
        return _render(form, post, checked, refusal.status, problem=refusal.message)

    with attempt(answer=refused):
        if post is None:
            post = ops.create_post(checked.post, current_user)
            revision = post.current_revision
        else:
            revision = _save_revision(post, checked)
    if revision is not None:
        flash(f"Saved as revision {revision.number}.", "success")
    elif action != "submit":  # submitting an unchanged form is no news about saving
        flash("No changes to save.", "info")
    if action == "submit":
        _submit(post)
    return redirect(url_for("editor.edit", post_id=post.id))


def _save_revision(post: Post, checked: Checked) -> Any:
    form = checked.form
    ops.lock_post(post)
    check_working_version(post, _int(form.working_version.data))
    base = _int(form.base_revision.data)  # a form that does not say is stale, never trusted
    current = post.current_revision
    if base == current.number and _unchanged(post, checked.post.content(), current.content):
        discard_working_copy(post, current_user, audit=False)
        return None
    revision = ops.save_revision(post, checked.post, current_user, base_revision=base)
    discard_working_copy(post, current_user, audit=False)
    return revision


def _unchanged(post: Post, content: dict[str, Any], current: dict[str, Any]) -> bool:
    if content == current:
        return True
    # The editor starts a live post's next change with an empty correction note (the live
    # one belongs to the last change): an untouched form is no change either.
    live = post.published_revision_id == post.current_revision_id
    return (
        live
        and "correction" not in content
        and {**current, "correction": None}
        == {
            **content,
            "correction": None,
        }
    )


def _submit(post: Post) -> None:
    back = url_for("editor.edit", post_id=post.id)
    with attempt(back, lambda refusal: f"Not submitted: {_summary(refusal)}"):
        ops.submit_for_review(post, current_user)
    flash("Submitted for review. You can withdraw it while it waits.", "success")


def _summary(refusal: Refusal) -> str:
    """The whole post's problem if there is one (the fields' are beside them in the editor)."""
    return next((m for f, m in refusal.problems if not f), str(refusal))


def _conflict(form: PostForm, post: Post, checked: Checked, message: str) -> Any:
    """Re-show the writer's text with what changed elsewhere; saving again overwrites it."""
    copy = working_copy(post)
    if copy is not None and copy.version != _int(form.working_version.data):
        theirs, _ = to_content(post_data(PostForm(formdata=MultiDict(copy.form_data))))
        theirs_label = f"changes autosaved at {copy.saved_at:%H:%M} UTC"
        form.working_version.data = str(copy.version)
    else:
        theirs = post.current_revision.content
        theirs_label = f"revision {post.current_revision.number}"
    form.base_revision.data = str(post.current_revision.number)
    diff = diff_posts(theirs, checked.content)
    if _wants_json():
        return jsonify(error="conflict", message=message, summary=diff.summary()), 409
    return _render(
        form, post, checked, 409, conflict=message, conflict_diff=diff, theirs_label=theirs_label
    )


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.headers.get("HX-Request")


@bp.post("/rows")
@reads_only
@writer_only
def rows() -> Any:
    """Add, remove or move a row (htmx): the rows part of the editor, re-rendered."""
    form = PostForm()
    data, focus = apply_op(post_data(form), request.form.get("op", ""))
    post = db.session.get(Post, request.form.get("post_id", type=db_id) or 0)
    threads = comments.threads(post) if post and ops.can_edit(post, current_user) else []
    return render_template(
        "editor/_editor_rows.html", form=build_form(data), focus=focus, threads=threads
    )


@bp.post("/check")
@reads_only
@writer_only
def check() -> Any:
    """The rules' findings for the editor's unsaved fields (htmx, while the writer types)."""
    checked = Checked.posted()
    checked.check_slug(request.form.get("post_id", type=db_id))
    return render_template("editor/_findings.html", checked=checked, findings=checked.findings)


@bp.post("/weightings")
@reads_only
@writer_only
def weightings() -> Any:
    """Who ranks first under which weighting, for the editor's unsaved weights and scores
    (htmx, into the score grid): its own request, so that the findings never wait for the
    linear programmes."""
    checked = Checked.posted(findings=False)
    post = checked.post
    return render_template(
        "editor/_weightings.html",
        wins=weighting.who_wins(post) if post is not None else [],
        unreadable=post is None,
    )


@bp.post("/preview")
@reads_only
@writer_only
def preview() -> Any:
    """The unsaved post as the public site would show it."""
    checked = Checked(PostForm())
    if checked.post is None:
        return render_template("editor/preview_problems.html", checked=checked), 422
    content = checked.post.content()
    return render_post_page(
        content,
        render_content(content),
        author_name=current_user.display_name,
        published_at=None,
        updated_at=None,
        preview=True,
        assets=url_for("static", filename=""),
    )


@bp.post("/new/autosave", defaults={"post_id": None})
@bp.post("/<int:post_id>/autosave")
@writer_only
def autosave_view(post_id: int | None) -> Any:
    """Autosave (JSON): a new post is created once it has a title; then edits go to its copy."""
    form = PostForm()  # CSRFProtect has checked the token already
    fields = [[k, v] for k, v in request.form.items(multi=True) if k not in ("csrf_token", "op")]
    post = None if post_id is None else _editable_post(post_id)
    created = post is None
    with attempt(answer=_autosave_refused):
        if post is None:
            post = _create_for_autosave(form)
            base = post.current_revision.number
        else:
            base = _int(form.base_revision.data)
        seen = 0 if created else _int(form.working_version.data)
        copy = autosave(post, fields, current_user, base, seen)
    return jsonify(
        post_id=post.id,
        created=created,
        base_revision=copy.base_revision,
        working_version=copy.version,
        saved_at=copy.saved_at.isoformat(),
        edit_url=url_for("editor.edit", post_id=post.id),
        autosave_url=url_for("editor.autosave_view", post_id=post.id),
    )


def _autosave_refused(refusal: Refusal) -> Any:
    """The autosave script's answers (JSON; it shows invalid fields itself, from a 400)."""
    if isinstance(refusal, InvalidInput):
        problems = [{"field": f, "message": m} for f, m in refusal.problems]
        return jsonify(error="invalid", problems=problems), 400
    if isinstance(refusal, Conflict):
        current = refusal.current_revision
        return jsonify(error="conflict", message=str(refusal), current_revision=current), 409
    return jsonify(error="illegal", message=str(refusal)), refusal.status


def _create_for_autosave(form: PostForm) -> Post:
    # The first autosave of a new post creates it from its title and slug; everything else
    # typed so far goes to the working copy, so a half-valid form is kept too.
    data = post_data(form)
    if not data["title"].strip():
        raise InvalidInput.single("title", "Autosave starts once the post has a title.")
    try:
        minimal = parse_post(
            {
                "title": data["title"],
                "slug": data["slug"].strip(),
                "summary": "",
                "bias": "",
                "criteria": [],
                "entries": [],
            }  # fmt: skip
        )
    except InterchangeError as exc:
        raise InvalidInput(exc.problems) from None
    return ops.create_post(minimal, current_user)


@bp.post("/<int:post_id>/discard")
@writer_only
def discard(post_id: int) -> Any:
    post = _editable_post(post_id)
    with attempt(url_for("editor.edit", post_id=post.id)):
        discard_working_copy(post, current_user)
    flash("Unsaved changes discarded.", "info")
    return redirect(url_for("editor.edit", post_id=post.id))


@bp.post("/<int:post_id>/withdraw")
@writer_only
def withdraw(post_id: int) -> Any:
    post = _editable_post(post_id)
    with attempt(url_for("editor.edit", post_id=post.id)):
        ops.withdraw(post, current_user)
    flash("Withdrawn from review; it is a draft again.", "success")
    return redirect(url_for("editor.edit", post_id=post.id))
