"""Signing in and out."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug import Response

from . import accounts, people, sessions
from .extensions import db, login_manager
from .forms import EmptyForm, LoginForm
from .models import User
from .security import safe_next

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return sessions.load(session_id, timedelta(days=current_app.config["SESSION_DAYS"]))


def sign_in(user: User, remember: bool = False) -> None:
    """Start a new session for ``user`` in this browser: a new session id and a new CSRF
    secret at every sign-in (a token learnt before signing in is worth nothing after)."""
    csrf_key = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(csrf_key, None)
    g.pop(csrf_key, None)
    sessions.start(user)
    login_user(user, remember=remember)


def _email_key() -> str:
    return "login-email:" + request.form.get("email", "").strip().lower()


def _failed_sign_in(response: Response) -> bool:
    return response.status_code != 302


def throttle_login(app: Flask) -> None:
    """Limit sign-in attempts per client address and per e-mail address."""
    # One Limiter per app: Flask-Limiter keeps its storage and key prefix on the instance.
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        # A storage outage must not stop everyone signing in: count in memory meanwhile.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limit = app.config["LOGIN_RATE_LIMIT"]
    view = app.view_functions["auth.login"]
    # Only failed attempts count, so signing in now and then never locks anyone out.
    for key_func in (_email_key, get_remote_address):
        view = limiter.limit(
            limit, methods=["POST"], key_func=key_func, deduct_when=_failed_sign_in
        )(view)
    app.view_functions["auth.login"] = view


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if request.method == "GET" and not people.has_users():  # a fresh install: first admin
        return redirect(url_for("admin.setup"))
    target = safe_next(request.values.get("next")) or url_for("desk.index")
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm(next=target)
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            sign_in(user, remember=form.remember.data)
            db.session.commit()
            return redirect(target)
        form.password.errors.append("That e-mail and password do not match an active account.")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    if EmptyForm().validate_on_submit():
        sessions.end(current_user.get_id())
        db.session.commit()
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
