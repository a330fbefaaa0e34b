"""Signing in and out."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from limits import parse_many
from werkzeug import Response
from werkzeug.exceptions import TooManyRequests

from editorial import limiter_storage  # noqa: F401 - registers the sqlite:// throttle storage
from editorial.domain import addresses
from editorial.domain.passwords import safe_next
from editorial.extensions import db, login_manager
from editorial.models import User
from editorial.operations import accounts, sessions
from editorial.web.forms import EmptyForm, LoginForm

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


def client_network() -> str:
    """Who this request comes from, for throttles (see ``addresses.client_network``)."""
    return addresses.client_network(get_remote_address())


def _account() -> str:
    """The e-mail address as ``accounts.find_user`` reads it, so no respelling escapes its count.
    No account has one over 254 characters; a huge one must not make a huge key."""
    email = request.form.get("email", "").strip().lower()
    return email if len(email) <= 254 else hashlib.sha256(email.encode()).hexdigest()


def _failed_sign_in(response: Response) -> bool:
    return response.status_code != 302


class AccountThrottle:
    """Failed sign-ins per account. Over its limit, an account refuses only the client addresses
    that have failed for it in that time: a guesser slows down to one guess per new address, and
    cannot lock the person out, who signs in from an address of their own."""

    def __init__(self, limiter: Limiter, limit: str, prefix: str):
        self.limiter, self.items, self.prefix = limiter, parse_many(limit), prefix

    def _keys(self) -> tuple[list[str], list[str]]:
        account = _account()
        return (
            [self.prefix, "login-email", account],
            [self.prefix, "login-pair", client_network(), account],
        )

    def refuses(self) -> bool:
        account, pair = self._keys()
        counts = self.limiter.limiter  # the in-memory fallback while the storage is down
        if all(counts.test(item, *account) for item in self.items):
            return False
        return any(
            counts.get_window_stats(item, *pair).remaining < item.amount for item in self.items
        )

    def count_failure(self) -> None:
        account, pair = self._keys()
        counts = self.limiter.limiter
        for item in self.items:
            counts.hit(item, *account)
            counts.hit(item, *pair)

    def __call__(self, view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def throttled(*args: Any, **kwargs: Any) -> Response:
            if request.method != "POST":
                return make_response(view(*args, **kwargs))
            if self._safely(self.refuses):
                raise TooManyRequests()
            response = make_response(view(*args, **kwargs))
            if _failed_sign_in(response):
                self._safely(self.count_failure)
            return response

        return throttled

    @staticmethod
    def _safely(step: Callable[[], bool | None]) -> bool | None:
        # A storage outage must not stop everyone signing in (the per-address limit still counts).
        try:
            return step()
        except Exception:
            current_app.logger.exception("The sign-in throttle's storage failed")
            return False


def throttle_login(app: Flask) -> None:
    """Limit failed sign-ins per client address and per account (see AccountThrottle)."""
    # One Limiter per app: Flask-Limiter keeps its storage and key prefix on the instance.
    limiter = Limiter(
        client_network,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        # A storage outage must not stop everyone signing in: count in memory meanwhile.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limit = app.config["LOGIN_RATE_LIMIT"]
    view = AccountThrottle(limiter, limit, app.config["RATELIMIT_KEY_PREFIX"])(
        app.view_functions["auth.login"]
    )
    # Only failed attempts count, so signing in now and then never locks anyone out.
    view = limiter.limit(
        limit, methods=["POST"], key_func=client_network, deduct_when=_failed_sign_in
    )(view)
    app.view_functions["auth.login"] = view


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if request.method == "GET" and not accounts.has_users():  # a fresh install: first admin
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
