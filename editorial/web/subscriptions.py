"""Readers' e-mail subscriptions: the form (also posted from every page of the static site),
the confirmation link, the manage page and RFC 8058 one-click unsubscribe.

``POST /subscribe`` carries no CSRF token: the static site's pages have no session to hold
one. Nothing it does is worth forging (it can only ask for a confirmation e-mail, at most one
an hour to an address), so it is guarded instead by a honeypot field, rate limits per
address and per client, and the double opt-in itself. The one-click unsubscribe POST has no
token either (RFC 8058: mail clients post it without cookies); its manage token is the
credential. The confirmation and manage pages are the desk's own and post with CSRF.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from editorial.domain import addresses
from editorial.domain.errors import InvalidInput
from editorial.extensions import csrf, db
from editorial.limiter_storage import app_limiter
from editorial.models import Subscriber, SubscriberStatus
from editorial.operations import subscriptions
from editorial.web.actions import attempt
from editorial.web.forms import EmptyForm

bp = Blueprint("subscriptions", __name__)

# Token links stay out of caches and logs of the sites a page links to.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
HONEYPOT = "website"  # a field people never see nor fill in; form-filling bots do
DEFAULT_CLIENT_LIMIT = "10 per hour;50 per day"
DEFAULT_ADDRESS_LIMIT = "5 per hour;10 per day"


def _page(name: str, status: int = 200, **context: Any) -> Any:
    return render_template(f"subscriptions/{name}.html", **context), status, PRIVATE


def _form(status: int = 200, errors: dict[str, str] | None = None) -> Any:
    form = request.form
    return _page(
        "subscribe",
        status,
        tags=subscriptions.live_tags(),
        errors=errors or {},
        email=form.get("email", ""),
        all_posts=form.get("choice", "all") != "tags",
        chosen=set(form.getlist("tags")),
    )


@bp.get("/subscribe")
def subscribe_form() -> Any:
    return _form()


@csrf.exempt
@bp.post("/subscribe")
def subscribe() -> Any:
    """One answer for every address, known or not; a filled honeypot is answered alike."""
    if request.form.get(HONEYPOT):
        return _page("check_inbox")
    all_posts = request.form.get("choice", "all") != "tags"
    tags = request.form.getlist("tags")

    def refused(refusal: Any) -> Any:
        return _form(422, dict(refusal.problems) or {"email": refusal.message})

    with attempt(answer=refused):
        subscriptions.subscribe(request.form.get("email", ""), all_posts, tags)
    return _page("check_inbox")


@bp.get("/subscribe/confirm/<token>")
def confirm_form(token: str) -> Any:
    # A button, not the link itself: mail scanners that open every link confirm nothing.
    return _page("confirm", form=EmptyForm())


@bp.post("/subscribe/confirm/<token>")
def confirm(token: str) -> Any:
    if not EmptyForm().validate_on_submit():
        abort(400)
    subscriber = subscriptions.confirm(token)
    if subscriber is None:
        return _page("link_gone", 410)
    manage = subscriptions.manage_token(subscriber)
    db.session.commit()
    return _page("confirmed", subscriber=subscriber, manage=manage)


def _subscriber(token: str) -> Subscriber:
    subscriber = subscriptions.by_manage_token(token)
    if subscriber is None:
        abort(404)
    return subscriber


@bp.get("/subscription/<token>")
def manage(token: str) -> Any:
    subscriber = _subscriber(token)
    return _manage_page(subscriber, token)


def _manage_page(subscriber: Subscriber, token: str, status: int = 200, **extra: Any) -> Any:
    context = {
        "errors": {},
        "all_posts": subscriber.all_posts,
        "chosen": set(subscriber.tag_slugs),
    } | extra
    return _page(
        "manage",
        status,
        subscriber=subscriber,
        token=token,
        tags=subscriptions.live_tags() | {s: s for s in subscriber.tag_slugs if s},
        form=EmptyForm(),
        confirmed=subscriber.status == SubscriberStatus.CONFIRMED,
        **context,
    )


@bp.post("/subscription/<token>")
def change(token: str) -> Any:
    subscriber = _subscriber(token)
    if not EmptyForm().validate_on_submit():
        abort(400)
    all_posts = request.form.get("choice", "all") != "tags"
    tags = request.form.getlist("tags")

    def refused(refusal: InvalidInput) -> Any:
        errors = dict(refusal.problems) or {"tags": refusal.message}
        return _manage_page(
            subscriber, token, refusal.status, errors=errors, all_posts=all_posts, chosen=set(tags)
        )

    with attempt(answer=refused):
        subscriptions.change_choice(subscriber, all_posts, tags)
    return _manage_page(subscriber, token, saved=True)


@bp.get("/subscription/<token>/unsubscribe")
def unsubscribe_form(token: str) -> Any:
    _subscriber(token)
    return _page("unsubscribe", token=token)


@csrf.exempt
@bp.post("/subscription/<token>/unsubscribe")
def unsubscribe(token: str) -> Any:
    """RFC 8058 one-click (``List-Unsubscribe=One-Click``) and the page's button alike: at once."""
    subscriber = _subscriber(token)
    with attempt(answer=lambda refusal: abort(refusal.status)):
        subscriptions.unsubscribe(subscriber)
    return _page("unsubscribed", token=token)


@bp.errorhandler(404)
@bp.errorhandler(429)
def unavailable(error: HTTPException) -> Any:
    """A plain page for readers, without the desk."""
    return _page("link_gone", error.code or 404, code=error.code)


def _address_key() -> str:
    # The address as ``subscribe`` stores it, hashed: every spelling of one address is one count.
    email = request.form.get("email", "").strip().lower()
    return "address:" + hashlib.sha256(email.encode()).hexdigest()


def _client_key() -> str:
    return "client:" + addresses.client_network(request.remote_addr or "")


def init_app(app: Flask) -> None:
    """Register the blueprint, with the form's limits per client and per address."""
    app.register_blueprint(bp)
    limiter = app_limiter(app, _client_key, "subscribe")
    view = app.view_functions["subscriptions.subscribe"]
    view = limiter.limit(_client_limit, key_func=_client_key)(view)
    # No address, nobody to protect: the form is refused and the client limit still counts it.
    no_address = lambda: not request.form.get("email", "").strip()  # noqa: E731
    view = limiter.limit(_address_limit, key_func=_address_key, exempt_when=no_address)(view)
    app.view_functions["subscriptions.subscribe"] = view


def _client_limit() -> str:
    return current_app.config.get("SUBSCRIBE_CLIENT_RATE_LIMIT") or DEFAULT_CLIENT_LIMIT


def _address_limit() -> str:
    return current_app.config.get("SUBSCRIBE_ADDRESS_RATE_LIMIT") or DEFAULT_ADDRESS_LIMIT
