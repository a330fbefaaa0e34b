"""The signed-in user's own settings: API tokens for their agents and scripts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from editorial.domain.errors import InvalidInput, PermissionDenied
from editorial.extensions import db
from editorial.models import ApiToken
from editorial.operations import accounts, tokens

bp = Blueprint("account", __name__, url_prefix="/account")


def _account_page(status: int = 200, **extra: Any) -> Any:
    return render_template("account/index.html", **extra), status


@bp.get("/")
@login_required
def index() -> Any:
    return _account_page()


@bp.post("/name")
@login_required
def name() -> Any:
    try:
        accounts.change_name(current_user, request.form.get("display_name", ""))
        db.session.commit()
    except InvalidInput as exc:
        db.session.rollback()
        typed = request.form.get("display_name", "")
        return _account_page(422, name_error=exc.problems[0][1], name=typed)
    flash("Name saved.", "success")
    return redirect(url_for("account.index"))


@bp.post("/password")
@login_required
def password() -> Any:
    try:
        accounts.change_password(
            current_user,
            request.form.get("current_password", ""),
            request.form.get("password", ""),
            keep_session=current_user.get_id(),
        )
        db.session.commit()
    except InvalidInput as exc:
        db.session.rollback()
        return _account_page(422, password_errors=dict(exc.problems))
    flash("Password changed; your other sessions are signed out.", "success")
    return redirect(url_for("account.index"))


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def token_list() -> Any:
    created, error, name = None, None, ""
    if request.method == "POST":
        name = request.form.get("name", "")
        try:
            _, created = tokens.create_token(current_user, name)
            db.session.commit()
            name = ""
        except InvalidInput as exc:
            db.session.rollback()
            error = exc.problems[0][1]
    status = 422 if error else 200
    # A new token is shown in this response only: never stored, flashed or redirected with.
    page = render_template(
        "account/tokens.html",
        tokens=tokens.list_tokens(current_user),
        created=created,
        error=error,
        name=name,
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Any:
    token = db.get_or_404(ApiToken, token_id)
    try:
        tokens.revoke_token(token, current_user)
    except PermissionDenied:
        abort(403)
    db.session.commit()
    flash(f"Token “{token.name}” revoked; requests with it are refused from now on.", "info")
    return redirect(url_for("account.token_list"))
