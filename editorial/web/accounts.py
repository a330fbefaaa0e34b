"""The signed-in user's own settings: API tokens for their agents and scripts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from editorial.extensions import db
from editorial.models import ApiToken
from editorial.operations import accounts, tokens
from editorial.web.actions import attempt
from editorial.web.paging import paginate

bp = Blueprint("account", __name__, url_prefix="/account")

TOKENS_PAGE_SIZE = 20


def _account_page(status: int = 200, **extra: Any) -> Any:
    return render_template("account/index.html", **extra), status


@bp.get("/")
@login_required
def index() -> Any:
    return _account_page()


@bp.post("/name")
@login_required
def name() -> Any:
    typed = request.form.get("display_name", "")
    with attempt(answer=lambda r: _account_page(r.status, name_error=r.message, name=typed)):
        accounts.change_name(current_user, typed)
    flash("Name saved.", "success")
    return redirect(url_for("account.index"))


@bp.post("/password")
@login_required
def password() -> Any:
    with attempt(answer=lambda r: _account_page(r.status, password_errors=dict(r.problems))):
        accounts.change_password(
            current_user,
            request.form.get("current_password", ""),
            request.form.get("password", ""),
            keep_session=current_user.get_id(),
        )
    flash("Password changed; your other sessions are signed out.", "success")
    return redirect(url_for("account.index"))


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def token_list() -> Any:
    if request.method == "GET":
        return _tokens_page()
    name = request.form.get("name", "")
    with attempt(answer=lambda r: _tokens_page(r.status, error=r.message, name=name)):
        _, created = tokens.create_token(current_user, name)
    return _tokens_page(created=created)


def _tokens_page(
    status: int = 200, created: str | None = None, error: str | None = None, name: str = ""
) -> Any:
    # A new token is shown in this response only: never stored, flashed or redirected with.
    page = render_template(
        "account/tokens.html",
        tokens=paginate(tokens.tokens_query(current_user), TOKENS_PAGE_SIZE),
        created=created,
        error=error,
        name=name,
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Any:
    token = db.get_or_404(ApiToken, token_id)
    with attempt(answer=lambda refusal: abort(refusal.status)):  # the plain error page
        tokens.revoke_token(token, current_user)
    flash(f"Token “{token.name}” revoked; requests with it are refused from now on.", "info")
    return redirect(url_for("account.token_list"))
