"""Security sweeps of what is sent: mass assignment through the editor and the API, and
hostile slugs and paths, which never lead the publisher outside SITE_DIR.

Apps here hold no app context open between requests (see ``web`` in
``tests/web/test_admin.py``): ``flask.g`` must not carry a user or a CSRF token from one to
the next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain import rules
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Post, Role, db
from editorial.operations import accounts, outbox, posts, review, tokens
from editorial.tasks import publishing as publisher
from tests.conftest import sample
from tests.helpers.accounts import sign_in_with_csrf
from tests.helpers.desk import error_next_to, form_fields
from tests.helpers.sweep import changed_tables, make_user, snapshot

# ---- 1. mass assignment -----------------------------------------------------------------------


EXTRA_FORM = {
    "state": "published",
    "author_id": "{other}",
    "approved_revision_id": "1",
    "published_revision_id": "1",
    "published_at": "2020-01-01T00:00:00+00:00",
    "site_seq": "1",
    "public_slug": "hijacked",
}


def _untouched(app: Any, post_id: int, author_id: int) -> None:
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.state == PostState.DRAFT
        assert post.author_id == author_id
        assert post.approved_revision_id is None
        assert post.published_revision_id is None
        assert post.published_at is None
        assert post.site_seq is None
        assert post.public_slug is None
        assert post.current_revision.created_by_id == author_id


def _writers(app: Any) -> tuple[int, int]:
    with app.app_context():
        writer = make_user("writer@example.com", Role.WRITER).id
        other = make_user("other@example.com", Role.WRITER, Role.REVIEWER, Role.ADMIN).id
    return writer, other


def test_extra_fields_in_the_editor_change_nothing_but_the_content(csrf_app):
    writer, other = _writers(csrf_app)
    with csrf_app.app_context():
        author = accounts.find_user("writer@example.com")
        post_id = posts.create_post(parse_post(sample()), author).id
        db.session.commit()
    client = csrf_app.test_client()
    sign_in_with_csrf(client, "writer@example.com")
    fields = form_fields(client.get(f"/posts/{post_id}/edit").get_data(as_text=True))
    extra = {k: v.format(other=other) for k, v in EXTRA_FORM.items()}
    fields |= {"intro": "A new introduction.", "action": "save", **extra}
    assert client.post(f"/posts/{post_id}/edit", data=fields).status_code == 302
    _untouched(csrf_app, post_id, writer)
    with csrf_app.app_context():
        post = db.session.get(Post, post_id)
        assert post.current_revision.number == 2
        assert post.current_revision.content["intro"] == "A new introduction."


def test_extra_fields_on_a_new_post_change_nothing(csrf_app):
    writer, other = _writers(csrf_app)
    client = csrf_app.test_client()
    sign_in_with_csrf(client, "writer@example.com")
    fields = form_fields(client.get("/posts/new").get_data(as_text=True))
    extra = {k: v.format(other=other) for k, v in EXTRA_FORM.items()}
    fields |= {"title": "A brand new ranking", "action": "save", **extra}
    assert client.post("/posts/new", data=fields).status_code == 302
    with csrf_app.app_context():
        post_id = db.session.scalar(sa.select(Post.id))
    _untouched(csrf_app, post_id, writer)


@pytest.fixture
def api(web):
    """(app, headers of the writer's token, the writer's id, another user's id)."""
    writer, other = _writers(web)
    with web.app_context():
        _, secret = tokens.create_token(accounts.find_user("writer@example.com"), "agent")
        db.session.commit()
    return web, {"Authorization": f"Bearer {secret}"}, writer, other


EXTRA_KEYS = [
    {"state": "published"},
    {"author": "other@example.com"},
    {"author_id": 2},
    {"published_at": "2020-01-01T00:00:00Z"},
    {"approved_revision_id": 1},
]


@pytest.mark.parametrize("extra", EXTRA_KEYS, ids=lambda e: next(iter(e)))
def test_the_api_refuses_unknown_keys_in_a_post(api, extra):
    app, headers, writer, _ = api
    client = app.test_client()
    before = snapshot(app)
    response = client.post("/api/v1/posts", json=sample() | extra, headers=headers)
    assert response.status_code == 422
    key = next(iter(extra))
    assert any(e["field"] == key for e in response.get_json()["errors"]), response.get_json()
    assert not changed_tables(before, snapshot(app))


@pytest.mark.parametrize("extra", [*EXTRA_KEYS, {"meta": {"state": "published"}}])
def test_the_api_refuses_unknown_keys_in_an_update(api, extra):
    app, headers, writer, _ = api
    client = app.test_client()
    created = client.post("/api/v1/posts", json=sample(), headers=headers).get_json()
    before = snapshot(app)
    inside = {"base_revision": 1, "content": sample() | extra}
    beside = {"base_revision": 1, "content": sample(), **extra}
    for body in (inside, beside) if "meta" not in extra else (beside,):
        response = client.put(f"/api/v1/posts/{created['id']}", json=body, headers=headers)
        assert response.status_code == 422, body.keys()
        assert not changed_tables(before, snapshot(app))
    _untouched(app, created["id"], writer)


def test_meta_is_ignored_on_import_as_documented(api):
    """``meta`` is what export adds (id, state, author, dates); import ignores it."""
    app, headers, writer, other = api
    meta = {
        "id": 999,
        "state": "published",
        "revision": 7,
        "author": "other@example.com",
        "published_at": "2020-01-01T00:00:00Z",
    }
    client = app.test_client()
    response = client.post("/api/v1/posts", json=sample() | {"meta": meta}, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["state"], body["author"], body["revision"]) == ("draft", "writer@example.com", 1)
    assert body["id"] != 999 and "meta" not in body["content"]
    _untouched(app, body["id"], writer)
    content = sample() | {"meta": meta, "intro": "Changed."}
    update = {"base_revision": 1, "content": content}
    response = client.put(f"/api/v1/posts/{body['id']}", json=update, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["state"] == "draft"
    _untouched(app, body["id"], writer)


# ---- 2. hostile slugs and paths ---------------------------------------------------------------


BAD_SLUGS = [
    "../x",
    "..%2Fx",
    "..",
    "/etc/passwd",
    "a/b",
    ".hidden",
    "x\\y",
    "x" * 200,
    "a" * 101,
    "café",
    "naïve-list",
    "ｓｌｕｇ",  # fullwidth letters
    "a\u200bb",  # a zero-width space
    "-x",
    "x--y",
    "UPPER",
    "with space",
    "~root",
    "file:x",
]


@pytest.mark.parametrize("slug", [*BAD_SLUGS, "x\x00y", "x\ny"], ids=repr)
def test_the_rules_refuse_a_hostile_slug(slug):
    assert rules.slug_problem(slug) is not None


def test_the_editor_refuses_hostile_slugs_next_to_the_field(csrf_app):
    writer, _ = _writers(csrf_app)
    with csrf_app.app_context():
        post_id = posts.create_post(
            parse_post(sample()), accounts.find_user("writer@example.com")
        ).id
        db.session.commit()
    client = csrf_app.test_client()
    sign_in_with_csrf(client, "writer@example.com")
    fields = form_fields(client.get(f"/posts/{post_id}/edit").get_data(as_text=True))
    for slug in BAD_SLUGS:
        response = client.post(
            f"/posts/{post_id}/edit", data=fields | {"slug": slug, "action": "save"}
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 422, repr(slug)
        assert error_next_to(page, "slug"), f"no message next to the slug for {slug!r}"
    with csrf_app.app_context():
        post = db.session.get(Post, post_id)
        assert post.current_revision.number == 1
        assert post.slug == sample()["slug"]


@pytest.mark.parametrize("slug", BAD_SLUGS, ids=repr)
def test_the_api_refuses_hostile_slugs(api, slug):
    app, headers, _, _ = api
    client = app.test_client()
    response = client.post("/api/v1/posts", json=sample() | {"slug": slug}, headers=headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["slug"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0


def test_control_characters_are_dropped_from_a_slug_before_it_is_checked(api):
    """Input is cleaned of control characters (interchange ``_clean``): no NUL is stored."""
    app, headers, _, _ = api
    response = app.test_client().post(
        "/api/v1/posts", json=sample() | {"slug": "x\x00y"}, headers=headers
    )
    assert response.status_code == 201
    assert response.get_json()["slug"] == "xy"


def _listing(root: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


HOSTILE_TAGS = ["../../escaped", "/etc/owned", "..\\..\\win", ".hidden", "a/../../b", "%2e%2e"]


def test_publishing_writes_only_inside_site_dir(make_app, tmp_path):
    site = tmp_path / "deep" / "site"
    app = make_app(SITE_DIR=str(site))
    with app.app_context():
        writer = make_user("writer@example.com", Role.WRITER)
        reviewer = make_user("reviewer@example.com", Role.REVIEWER)
        content = sample() | {"tags": HOSTILE_TAGS}
        post = posts.create_post(parse_post(content), writer)
        posts.submit_for_review(post, writer)
        review.approve(
            post, reviewer, review.checklist_keys(post), "Good.", post.current_revision.number
        )
        db.session.commit()
        job_id = outbox.latest_job(post).id
        before = _listing(tmp_path)
        assert publisher.run(job_id)
        after = _listing(tmp_path)
        assert db.session.get(Post, post.id).state == PostState.PUBLISHED
    changed = sorted(
        name for name in after.keys() | before.keys() if after.get(name) != before.get(name)
    )
    assert changed, "publishing wrote nothing"
    outside = [name for name in changed if not name.startswith("deep/site/")]
    assert not outside, f"publishing wrote outside SITE_DIR: {outside}"
    assert f"deep/site/posts/{sample()['slug']}/index.html" in after
