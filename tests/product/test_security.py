"""Security sweeps: CSRF on every form route, the route inventory and who may GET what, and
off-site redirects after signing in. (Mass assignment and hostile slugs and paths are in
test_security_input.py.)

The sweeps read ``app.url_map``: a new route fails them until someone decides, here, how
it is protected. Apps here hold no app context open between requests (see ``web`` in
``tests/web/test_admin.py``): ``flask.g`` must not carry a user or a CSRF token from one to
the next.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from editorial.models import Role
from editorial.operations import accounts
from tests.conftest import PASSWORD
from tests.helpers.accounts import csrf_of, sign_in_with_csrf
from tests.helpers.sweep import (
    SECRET_TITLE,
    changed_tables,
    make_user,
    snapshot,
    url_for_rule,
    world,
)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


# Every route, as "METHODS path endpoint". Adding one fails test_the_route_inventory until it
# is listed here, and then the sweeps below check its CSRF and its anonymous answer.
EXPECTED_ROUTES = {
    "GET /account/ account.index",
    "POST /account/name account.name",
    "POST /account/password account.password",
    "POST /account/tokens/<int:token_id>/revoke account.revoke",
    "GET,POST /account/tokens account.token_list",
    "GET,POST /invite/<token> admin.accept",
    "POST /admin/people/<int:user_id>/active admin.active",
    "POST /admin/people/invite admin.invite",
    "GET /admin/people admin.people_page",
    "GET /admin/audit audit.index",
    "POST /admin/people/<int:user_id>/roles admin.roles",
    "GET,POST /setup admin.setup",
    "POST /api/v1/check api.check",
    "POST /api/v1/posts api.create",
    "POST /api/v1/posts/<int:post_id>/decision api.decide",
    "GET /api/v1/ api.docs",
    "GET /api/v1/posts/<int:post_id>/export api.export",
    "GET /api/v1/posts api.list_posts",
    "GET /api/v1/openapi.json api.openapi_document",
    "GET /api/v1/posts/<int:post_id>/publication api.publication",
    "GET /api/v1/review/queue api.queue",
    "GET /api/v1/posts/<int:post_id> api.read",
    "GET /api/v1/schema/ranking-post.json api.schema_document",
    "POST /api/v1/posts/<int:post_id>/submit api.submit",
    "PUT /api/v1/posts/<int:post_id> api.update",
    "POST /api/v1/posts/<int:post_id>/withdraw api.withdraw",
    "GET,POST /login auth.login",
    "POST /logout auth.logout",
    "POST /posts/<int:post_id>/comments comments.add",
    "POST /comments/<int:comment_id>/resolve comments.resolve",
    "GET / desk.index",
    "GET,POST /posts/import desk.import_post",
    "POST /posts/<int:post_id>/rereview desk.rereview",
    "POST /posts/new/autosave editor.autosave_view",
    "POST /posts/<int:post_id>/autosave editor.autosave_view",
    "POST /posts/check editor.check",
    "POST /posts/<int:post_id>/discard editor.discard",
    "GET,POST /posts/<int:post_id>/edit editor.edit",
    "GET,POST /posts/new editor.new",
    "POST /posts/preview editor.preview",
    "POST /posts/rows editor.rows",
    "POST /posts/weightings editor.weightings",
    "POST /posts/<int:post_id>/withdraw editor.withdraw",
    "GET /posts/<int:post_id>/diff history.diff",
    "GET /posts/<int:post_id>/history history.index",
    "GET /posts/<int:post_id>/revisions/<int:number>/preview history.preview",
    "GET /posts/<int:post_id>/revisions/<int:number>/export history.export",
    "POST /posts/<int:post_id>/revisions/<int:number>/restore history.restore",
    "GET /posts/<int:post_id>/revisions/<int:number> history.revision",
    "GET /posts/<int:post_id>/previews preview_links.index",
    "POST /posts/<int:post_id>/previews preview_links.create",
    "POST /posts/<int:post_id>/previews/<int:link_id>/revoke preview_links.revoke",
    "GET /preview/<token> shared_preview.view",
    "GET /notifications/ notifications.index",
    "POST /notifications/read notifications.read_all",
    "POST /posts/<int:post_id>/retract publishing.retract",
    "POST /posts/<int:post_id>/publishing/retry publishing.retry",
    "GET /posts/<int:post_id>/publishing publishing.status",
    "POST /review/bulk review.bulk",
    "POST /review/<int:post_id>/claim review.claim",
    "POST /review/<int:post_id>/decide review.decide",
    "GET /review/<int:post_id> review.page",
    "GET /review/ review.queue",
    "POST /review/<int:post_id>/release review.release",
    "GET /site/ sitefiles.serve",
    "GET /site/<path:path> sitefiles.serve",
    "GET /static/<path:filename> static",
    "GET /admin/subscribers subscribers.index",
    "POST /admin/subscribers/remove subscribers.remove",
    "GET /admin/subscribers.csv subscribers.export",
    "GET /subscribe subscriptions.subscribe_form",
    "POST /subscribe subscriptions.subscribe",
    "GET /subscribe/confirm/<token> subscriptions.confirm_form",
    "POST /subscribe/confirm/<token> subscriptions.confirm",
    "GET /subscription/<token> subscriptions.manage",
    "POST /subscription/<token> subscriptions.change",
    "GET /subscription/<token>/unsubscribe subscriptions.unsubscribe_form",
    "POST /subscription/<token>/unsubscribe subscriptions.unsubscribe",
}


# What an anonymous GET gets from the few pages anyone may open; every other desk page
# sends them to sign in, and every other API endpoint answers 401.
PUBLIC_GET = {
    "auth.login": 200,
    "admin.setup": 404,  # there are accounts: the first-run page is gone
    "admin.accept": 200,  # the invitation's own token is the credential
    # A shared preview's token is its own credential; the sweep's is no preview's token.
    "shared_preview.view": 404,
    "sitefiles.serve": 200,
    # Readers' subscriptions: the form, and the confirmation button (a token no one was sent
    # confirms nothing); a manage link's token is its own credential.
    "subscriptions.subscribe_form": 200,
    "subscriptions.confirm_form": 200,
    "subscriptions.manage": 404,
    "subscriptions.unsubscribe_form": 404,
    "api.docs": 200,
    "api.openapi_document": 200,
    "api.schema_document": 200,
}


# Anything a form might send; none of it may count without a CSRF token.
FORM = {
    "display_name": "Changed Name",
    "name": "Changed",
    "email": "mallory@example.com",
    "password": "a brand new password here",
    "current_password": PASSWORD,
    "role": ["admin", "writer", "reviewer"],
    "active": "0",
    "body": "A forged comment.",
    "comment": "Forged.",
    "decision": "approve",
    "action": "save",
    "title": "Forged title",
    "slug": "forged-slug",
    "base_revision": "1",
    "post_id": "1",
    "minutes": "30",
}


# Posted without a session: the subscribe form from the static site (honeypot and limits per
# address and client instead; it only asks for a confirmation e-mail), and RFC 8058 one-click
# unsubscribe from mail clients (the manage token in its URL is the credential).
CSRF_EXEMPT = {"subscriptions.subscribe", "subscriptions.unsubscribe"}


def _unsafe_rules(app: Any) -> list[tuple[str, Any]]:
    found = [
        (method, rule)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) & UNSAFE_METHODS
        if not rule.endpoint.startswith("api.") and rule.endpoint not in CSRF_EXEMPT
    ]
    # Signing out last: were it to work without a token, it would not hide the others.
    return sorted(found, key=lambda m_r: (m_r[1].endpoint == "auth.logout", m_r[1].rule, m_r[0]))


# ---- 1. CSRF on every state-changing route -----------------------------------------------------


def test_every_form_route_refuses_a_request_without_a_csrf_token(csrf_app):
    ids = world(csrf_app)
    client = csrf_app.test_client()
    sign_in_with_csrf(client, "admin@example.com")
    swept = []
    for method, rule in _unsafe_rules(csrf_app):
        url = url_for_rule(rule, ids)
        before = snapshot(csrf_app)
        response = client.open(url, method=method, data=FORM)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, f"{method} {url} ({rule.endpoint}) without a token"
        assert "form expired" in page, f"{method} {url}: not the CSRF error page"
        changed = changed_tables(before, snapshot(csrf_app))
        assert not changed, f"{method} {url} without a token changed {changed}"
        swept.append(rule.endpoint)
    assert {"auth.logout", "admin.roles", "account.revoke", "review.decide"} <= set(swept)
    assert client.get("/").status_code == 200  # still signed in: the sign-out was refused too


def test_the_sweep_would_see_a_change(csrf_app):
    """The control: the same request with its token does change what the sweep compares."""
    world(csrf_app)
    client = csrf_app.test_client()
    sign_in_with_csrf(client, "admin@example.com")
    before = snapshot(csrf_app)
    data = {"display_name": "Changed Name", "csrf_token": csrf_of(client, "/account/")}
    assert client.post("/account/name", data=data).status_code == 302
    assert changed_tables(before, snapshot(csrf_app))


@pytest.mark.parametrize("path", ["/login", "/invite/{token}"])
def test_the_public_forms_refuse_a_request_without_a_csrf_token(csrf_app, path):
    ids = world(csrf_app)
    client = csrf_app.test_client()
    before = snapshot(csrf_app)
    data = {"email": "admin@example.com", "password": PASSWORD, "name": "Forged"}
    response = client.post(path.format(**ids), data=data)
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert not changed_tables(before, snapshot(csrf_app))
    assert client.get("/").status_code == 302  # not signed in


def test_first_run_setup_refuses_a_request_without_a_csrf_token(csrf_app):
    client = csrf_app.test_client()
    data = {"email": "mallory@example.com", "name": "Mallory", "password": PASSWORD}
    response = client.post("/setup", data=data)
    assert response.status_code == 400
    with csrf_app.app_context():
        assert not accounts.has_users()


# ---- 2. the route inventory, and what an anonymous visitor gets -------------------------------


def _routes(app: Any) -> set[str]:
    return {
        f"{','.join(sorted((r.methods or set()) - {'HEAD', 'OPTIONS'}))} {r.rule} {r.endpoint}"
        for r in app.url_map.iter_rules()
    }


def test_the_route_inventory(web):
    routes = _routes(web)
    new, gone = sorted(routes - EXPECTED_ROUTES), sorted(EXPECTED_ROUTES - routes)
    assert not new, f"new routes: decide their permissions and CSRF, then list them here: {new}"
    assert not gone, f"routes no longer in the app: remove them from EXPECTED_ROUTES: {gone}"


def test_anonymous_visitors_get_only_the_public_pages(csrf_app):
    ids = world(csrf_app)
    client = csrf_app.test_client()
    checked = 0
    for rule in sorted(csrf_app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        url = url_for_rule(rule, ids)
        response = client.get(url)
        body = response.get_data(as_text=True)
        where = f"GET {url} ({rule.endpoint})"
        assert response.status_code != 500, where
        assert SECRET_TITLE not in body and "admin@example.com" not in body, where
        if rule.endpoint in PUBLIC_GET:
            assert response.status_code == PUBLIC_GET[rule.endpoint], where
        elif rule.endpoint.startswith("api."):
            assert response.status_code == 401, where
        else:
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/login"), where
        checked += 1
    assert checked >= 20


# ---- 3. no way off-site after signing in ------------------------------------------------------


OFFSITE = [
    "//x.example",
    "\\\\x.example",
    "/\\x.example",
    "http:x.example",
    "https://x.example",
    "%2F%2Fx.example",
    "/%09/x.example",
    "\t//x.example",
    "javascript:alert(1)",
    "/login?next=//x",
    "/login?next=%2F%2Fx.example",
    "/login?next=/%5Cx.example",
    "///x.example",
    "/\t/x.example",
    "HTTPS://x.example",
    " https://x.example",
]


def _same_site(location: str) -> bool:
    # Browsers drop tabs and newlines from URLs and leading spaces and controls.
    seen = re.sub(r"[\t\n\r]", "", location).lstrip("".join(map(chr, range(33))))
    parts = urlsplit(seen)
    return not (parts.scheme or parts.netloc or seen.startswith(("//", "/\\", "\\")))


@pytest.mark.parametrize("target", OFFSITE, ids=repr)
def test_signing_in_never_leads_off_site(web, target):
    with web.app_context():
        make_user("writer@example.com", Role.WRITER)
    client = web.test_client()
    response = client.post(
        "/login", data={"email": "writer@example.com", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    for _hop in range(5):  # follow the chain: a same-site hop may lead on
        location = response.headers["Location"]
        assert _same_site(location), f"{target!r} led to {location!r}"
        response = client.get(location)
        if response.status_code not in (301, 302, 303, 307, 308):
            break
    assert response.status_code < 500
    query = client.get(f"/login?next={target}")  # signed in: straight on
    assert _same_site(query.headers["Location"]), query.headers["Location"]
