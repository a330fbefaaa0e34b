"""The signed-in user's own settings: API tokens for their agents and scripts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from . import tokens
from .errors import InvalidInput, PermissionDenied
from .extensions import db
from .models import ApiToken

bp = Blueprint("account", __name__, url_prefix="/account")


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
