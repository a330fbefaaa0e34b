"""Hostile input on every route: ids past 64 bits, files where text is expected, JSON nested
too deep, a date that leaves the calendar. Whatever is sent, the answer is a 4xx, never a 500.

The sweep reads ``app.url_map``, so a new route is swept as soon as it exists; the cases of
issue 13 are also checked one by one, with the answer each should get.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

import pytest
from wtforms import FieldList

from editorial.models import Post, Role, User, db
from editorial.operations import tokens
from editorial.web import form_reader
from editorial.web.form_rows import MAX_FIELDS
from tests.conftest import PASSWORD
from tests.helpers.desk import error_next_to
from tests.helpers.sweep import url_for_rule, world

HUGE = "99999999999999999999"  # past 2**63 - 1: SQLite raises OverflowError, PostgreSQL refuses
HUGE_IDS = [HUGE, "9" * 5000]  # the second is past what int() reads from text
# Every name a desk form or query string reads a number from.
NUMBER_FIELDS = [
    "parent", "job", "post", "post_id", "revision", "base_revision", "working_version",
    "from", "to", "author", "page", "per_page", "number", "user_id", "token_id",
    "comment_id", "minutes", "active",
]  # fmt: skip
TEXT = {
    "display_name": "Changed Name",
    "name": "Changed",
    "email": "someone@example.com",
    "password": "a brand new password here",
    "current_password": "not the password",
    "role": ["writer", "reviewer"],
    "body": "A comment.",
    "comment": "A comment.",
    "entry": "Flask",
    "item": "bias",
    "title": "A title",
    "slug": "a-title",
    "state": "draft",
    "tag": "python",
    "publish_at": "0001-01-01T00:00+14:00",
}
ACTIONS = ["save", "approve", "claim"]
DEEP = ["[" * 1_000 + "]" * 1_000, '{"a":' * 100_000 + "1" + "}" * 100_000]


def _client(app: Any, email: str) -> Any:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, f"could not sign in {email}"
    return client


def _api_token(app: Any, email: str) -> str:
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=email))
        _, token = tokens.create_token(user, "sweep")
        db.session.commit()
        return token


def _rules(app: Any) -> list[tuple[str, Any]]:
    found = [
        (method, rule)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if rule.endpoint != "static"
    ]
    # Signing out last, so that every other request is made signed in.
    return sorted(found, key=lambda m_r: (m_r[1].endpoint == "auth.logout", m_r[1].rule, m_r[0]))


def _requests(rule: Any, method: str, ids: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(url, client.open keywords) of every hostile variant of one route."""
    url = url_for_rule(rule, ids)
    numbers = dict.fromkeys(NUMBER_FIELDS, HUGE)
    marked = url_for_rule(rule, {**ids, **dict.fromkeys(rule.arguments & _ID_ARGS, _MARK)})
    out = [
        (marked.replace(str(_MARK), huge), {"data": TEXT})
        for huge in HUGE_IDS
        if rule.arguments & _ID_ARGS
    ]
    query = "?" + "&".join(f"{name}={HUGE}" for name in NUMBER_FIELDS)
    out += [(url + query, {"data": TEXT | numbers | {"action": a}}) for a in ACTIONS]
    if method != "GET":
        files = {name: (io.BytesIO(b"text"), f"{name}.txt") for name in [*TEXT, *NUMBER_FIELDS]}
        out.append((url, {"data": files, "content_type": "multipart/form-data"}))
        out += [(url, {"data": deep, "content_type": "application/json"}) for deep in DEEP]
    return out


_ID_ARGS = {"post_id", "comment_id", "token_id", "user_id", "job_id", "number"}
_MARK = 987_654_321  # stands for the huge id in a URL built by the URL map


@pytest.mark.parametrize("who", ["admin@example.com", "writer@example.com"])
def test_no_hostile_request_ends_in_a_500(web, who):
    ids = world(web)
    with web.app_context():  # an admin who also writes and reviews, and a writer only
        user = db.session.scalar(db.select(User).filter_by(email=who))
        roles = {r for r in Role if user.has_role(r)}
        assert roles == ({Role.WRITER} if who.startswith("writer") else set(Role))
    client = _client(web, who)
    bearer = {"Authorization": f"Bearer {_api_token(web, who)}"}
    failures, sent = [], 0
    for method, rule in _rules(web):
        headers = bearer if rule.endpoint.startswith("api.") else {}
        for url, options in _requests(rule, method, ids):
            response = client.open(url, method=method, headers=headers, **options)
            sent += 1
            if response.status_code >= 500:
                kind = options.get("content_type", "form")
                failures.append(f"{method} {url[:80]} ({rule.endpoint}, {kind})")
    assert not failures, f"{len(failures)} of {sent} requests ended in a 500:\n" + "\n".join(
        failures
    )
    assert sent > 300


# ---- the cases of issue 13, each with its answer ----------------------------------------------

PAST = "99999999999999999999"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/posts/{huge}/edit"),
        ("POST", "/posts/{huge}/edit"),
        ("GET", "/posts/{huge}/history"),
        ("GET", "/posts/{post_id}/revisions/{huge}"),
        ("GET", "/posts/{post_id}/revisions/{huge}/preview"),
        ("GET", "/posts/{huge}/publishing"),
        ("GET", "/review/{huge}"),
        ("POST", "/comments/{huge}/resolve"),
        ("POST", "/account/tokens/{huge}/revoke"),
        ("POST", "/admin/people/{huge}/active"),
        ("GET", "/posts/{post_id}/diff?to={huge}"),
        ("GET", "/posts/{post_id}/diff?from={huge}"),
        ("POST", "/posts/{post_id}/publishing/retry?job={huge}"),
        ("POST", "/posts/{post_id}/comments?parent={huge}&body=Hello"),
    ],
)
def test_an_id_past_64_bits_is_not_found(web, method, path):
    ids = world(web)
    client = _client(web, "admin@example.com")
    url = path.format(huge=PAST, post_id=ids["post_id"])
    if method == "POST":  # the query's values as form fields
        url, _, query = url.partition("?")
        response = client.post(url, data=dict(p.split("=") for p in query.split("&") if p))
    else:
        response = client.get(url)
    assert response.status_code == 404, f"{method} {path}"
    assert "There is nothing here." in response.text


def test_bulk_review_skips_an_id_past_64_bits(web):
    world(web)
    client = _client(web, "admin@example.com")
    response = client.post(
        "/review/bulk", data={"action": "claim", "post": PAST}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Select at least one post first." in response.text


def test_the_editor_ignores_a_post_id_past_64_bits_on_its_rows(web):
    world(web)
    client = _client(web, "writer@example.com")
    response = client.post("/posts/rows", data={"op": "add-faq", "post_id": PAST})
    assert response.status_code == 200
    assert 'id="faq-0-question"' in response.text


def test_a_publish_time_outside_the_calendar_is_refused_beside_the_field(web):
    ids = world(web)
    client = _client(web, "admin@example.com")
    for moment in ("0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00"):
        response = client.post(
            f"/review/{ids['post_id']}/decide",
            data={"action": "approve", "revision": "1", "publish_at": moment},
        )
        assert response.status_code == 422, moment
        assert error_next_to(response.text, "publish-at"), moment


@pytest.mark.parametrize("path", ["/posts/new", "/posts/check", "/posts/preview", "/posts/rows"])
def test_a_field_sent_as_a_file_is_refused(web, path):
    world(web)
    client = _client(web, "writer@example.com")
    response = client.post(
        path,
        data={"title": (io.BytesIO(b"A title"), "title.txt"), "slug": "a-title"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "text, not files" in response.text
    with web.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Post)) == 2


# ---- forms of more rows than a post holds --------------------------------------------------

ROWS_19000 = {f"entries-{i}-name": "e" for i in range(19_000)}
TOO_MANY = {
    "entries": (ROWS_19000, "at most 50 entries"),
    "notes": ({f"entries-0-criteria-{i}-note": "n" for i in range(19_000)}, "40 criterion notes"),
    "fields": ({f"field{i}": "x" for i in range(19_000)}, f"at most {MAX_FIELDS:,} fields"),
    "sloppy names": ({f"faq_{i}-question": "q" for i in range(19_000)}, "at most 30 questions"),
    "other digits": ({"entries-\u00b2-name": "e", "entries-0-name": "e"}, "at most 50 entries"),
}


def _encoded(fields: dict[str, str]) -> dict[str, str]:
    """A form body encoded beforehand, so that the time taken is the server's alone."""
    return {"data": urlencode(fields), "content_type": "application/x-www-form-urlencoded"}


def _rows_built(monkeypatch) -> list[int]:
    """A list that grows by one each time a row of any of the form's lists is built.

    What would stall the desk is WTForms reading thousands of rows, each through every field
    name; a refusal that comes first builds none. Counted, not timed: a wall-clock bound
    failed on a busy machine without saying anything about the code."""
    built: list[int] = []
    add_row = FieldList._add_entry

    def counted(self, *args, **kwargs):
        built.append(1)
        return add_row(self, *args, **kwargs)

    monkeypatch.setattr(FieldList, "_add_entry", counted)
    # The live findings read the form without WTForms (web/form_reader.py): each row's form
    # read there counts too.
    read_form = form_reader._read

    def counted_read(*args, **kwargs):
        built.append(1)
        return read_form(*args, **kwargs)

    monkeypatch.setattr(form_reader, "_read", counted_read)
    return built


@pytest.mark.parametrize("kind", TOO_MANY)
def test_a_form_of_more_rows_than_a_post_holds_is_refused_at_once(web, kind, monkeypatch):
    world(web)
    client = _client(web, "writer@example.com")
    full = {f"entries-{i}-name": "e" for i in range(50)} | {"takeaways-19": "", "faq-29-answer": ""}
    built = _rows_built(monkeypatch)
    assert client.post("/posts/check", data=full).status_code == 200  # as many as a post holds
    assert len(built) >= 50  # the rows of a post that fits are built
    built.clear()
    data, message = TOO_MANY[kind]
    response = client.post("/posts/check", **_encoded(data))
    assert response.status_code == 413
    assert message in response.text
    assert built == []


@pytest.mark.parametrize(
    "path",
    [
        "/posts/rows",
        "/posts/check",
        "/posts/weightings",
        "/posts/preview",
        "/posts/new",
        "/posts/new/autosave",
        "/posts/{post_id}/edit",
        "/posts/{post_id}/autosave",
    ],
)
def test_every_editor_form_refuses_19000_rows_at_once(web, path, monkeypatch):
    ids = world(web)
    client = _client(web, "writer@example.com")
    built = _rows_built(monkeypatch)
    response = client.post(path.format(**ids), **_encoded(ROWS_19000 | {"title": "Rows"}))
    assert response.status_code == 413
    assert "at most 50 entries" in response.text
    assert built == []  # refused before a single row is built
    with web.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Post)) == 2


@pytest.mark.parametrize("body", DEEP)
@pytest.mark.parametrize(
    "method, path", [("POST", "/posts"), ("POST", "/check"), ("PUT", "/posts/{post_id}")]
)
def test_the_api_refuses_json_nested_too_deep(web, method, path, body):
    ids = world(web)
    token = _api_token(web, "writer@example.com")
    response = web.test_client().open(
        "/api/v1" + path.format(**ids),
        method=method,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "nested too deeply" in response.json["detail"]
