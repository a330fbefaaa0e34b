"""The agent API through the test client: tokens, drafts, checks, conflicts, decisions, errors."""

from __future__ import annotations

import copy
import threading

import pytest

from editorial.models import Post, Role, db
from editorial.operations import outbox
from editorial.tasks import publishing as publisher
from tests.conftest import sample
from tests.helpers.accounts import add_user_with_token


@pytest.fixture
def writer_token(api):
    return add_user_with_token("writer@example.com", Role.WRITER)[1]


@pytest.fixture
def reviewer_token(api):
    return add_user_with_token("reviewer@example.com", Role.REVIEWER)[1]


APPROVE = {"decision": "approve", "revision": 1, "checklist_confirmed": True}
TOO_BIG = {"data": "x" * (1024 * 1024 + 1), "content_type": "application/json"}


def call(app, method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return app.test_client().open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def test_without_a_valid_token_the_answer_is_401_problem_json(api, writer_token):
    for token in (None, "edt_wrong", writer_token[:-2]):
        response = call(api, "GET", "/posts", token)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json["status"] == 401


def test_an_agent_drafts_checks_fixes_and_submits(api, writer_token):
    draft = sample()
    draft["entries"][1]["pick_else"] = ""
    created = call(api, "POST", "/posts", writer_token, json=draft)
    assert created.status_code == 201
    body = created.json
    assert body["state"] == "draft" and body["revision"] == 1
    codes = {f["code"] for f in body["findings"]}
    assert "entry-missing-pick-else" in codes
    missing = next(f for f in body["findings"] if f["code"] == "entry-missing-pick-else")
    assert missing["field"] == "entries[1].pick_else"

    refused = call(api, "POST", f"/posts/{body['id']}/submit", writer_token)
    assert refused.status_code == 422
    assert {"field": "entries[1].pick_else", "message": missing["message"]} in refused.json[
        "errors"
    ]

    fixed = copy.deepcopy(draft)
    fixed["entries"][1]["pick_else"] = sample()["entries"][1]["pick_else"]
    checked = call(api, "POST", "/check", writer_token, json=fixed)
    assert checked.status_code == 200 and checked.json["errors"] == 0
    saved = call(
        api,
        "PUT",
        f"/posts/{body['id']}",
        writer_token,
        json={"base_revision": 1, "content": fixed},
    )
    assert saved.status_code == 200 and saved.json["revision"] == 2
    stale = call(
        api,
        "PUT",
        f"/posts/{body['id']}",
        writer_token,
        json={"base_revision": 1, "content": draft},
    )
    assert stale.status_code == 409 and stale.json["current_revision"] == 2
    submitted = call(api, "POST", f"/posts/{body['id']}/submit", writer_token)
    assert submitted.status_code == 200 and submitted.json["state"] == "in_review"


def test_nobody_approves_their_own_post_and_a_reviewer_confirms_the_checklist(
    api, writer_token, reviewer_token
):
    post = call(api, "POST", "/posts", writer_token, json=sample()).json
    call(api, "POST", f"/posts/{post['id']}/submit", writer_token)
    own = call(api, "POST", f"/posts/{post['id']}/decision", writer_token, json=APPROVE)
    assert own.status_code == 403
    queue = call(api, "GET", "/review/queue", reviewer_token).json["posts"]
    assert [p["id"] for p in queue] == [post["id"]]
    unconfirmed = call(api, "POST", f"/posts/{post['id']}/decision", reviewer_token,
                       json={"decision": "approve", "revision": 1})  # fmt: skip
    assert unconfirmed.status_code == 422
    assert unconfirmed.json["errors"][0]["field"] == "checklist_confirmed"
    approved = call(api, "POST", f"/posts/{post['id']}/decision", reviewer_token, json=APPROVE)
    assert approved.status_code == 200 and approved.json["state"] == "approved"
    assert approved.json["publication"]["status"] == "queued"
    status = call(api, "GET", f"/posts/{post['id']}/publication", writer_token)
    assert status.status_code == 200 and status.json == {"status": "queued"}
    again = call(api, "POST", f"/posts/{post['id']}/decision", reviewer_token, json=APPROVE)
    assert again.status_code == 409


def test_request_changes_with_an_entry_comment(api, writer_token, reviewer_token):
    post = call(api, "POST", "/posts", writer_token, json=sample()).json
    call(api, "POST", f"/posts/{post['id']}/submit", writer_token)
    decision = {
        "decision": "request_changes",
        "revision": 1,
        "entry_comments": [{"entry": "Flask", "comment": "Which extensions did you try?"}],
    }
    sent = call(api, "POST", f"/posts/{post['id']}/decision", reviewer_token, json=decision)
    assert sent.status_code == 200 and sent.json["state"] == "changes_requested"
    no_comment = call(api, "POST", "/posts", writer_token, json=sample() | {"slug": "other-one"})
    call(api, "POST", f"/posts/{no_comment.json['id']}/submit", writer_token)
    refused = call(api, "POST", f"/posts/{no_comment.json['id']}/decision", reviewer_token,
                   json={"decision": "request_changes", "revision": 1})  # fmt: skip
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "comment"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("POST", "/posts", {"data": "not json", "content_type": "application/json"}, 400),
        ("POST", "/posts", {"data": "{}", "content_type": "text/plain"}, 415),
        ("POST", "/posts", {"json": {"title": "x"}}, 422),
        ("POST", "/posts", {"json": [1, 2]}, 422),
        (
            "POST",
            "/check",
            {"data": "x" * (1024 * 1024 + 1), "content_type": "application/json"},
            413,
        ),
        ("GET", "/posts/999", {}, 404),
        ("GET", "/no-such-thing", {}, 404),
        ("DELETE", "/posts", {}, 405),
        ("PUT", "/posts/1", {"json": {"content": {}}}, 422),
    ],
)
def test_bad_requests_get_problem_details(api, writer_token, method, path, kwargs, status):
    response = call(api, method, path, writer_token, **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status


def test_a_malformed_post_names_each_field(api, writer_token):
    bad = sample()
    bad["entries"][0]["url"] = "javascript:alert(1)"
    bad["title"] = "x" * 300
    response = call(api, "POST", "/posts", writer_token, json=bad)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json["errors"]}
    assert {"entries[0].url", "title"} <= fields


def test_the_api_is_described(api):
    document = call(api, "GET", "/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert "/posts/{post_id}/decision" in document["paths"]
    assert "RankingPost" in document["components"]["schemas"]
    schema = call(api, "GET", "/schema/ranking-post.json").json
    assert schema["title"] == "Ranking post"


def test_rate_limited_per_token_with_retry_after(make_app):
    app = make_app(API_RATE_LIMIT="3 per minute")
    with app.app_context():
        token = add_user_with_token("writer@example.com", Role.WRITER)[1]
        other = add_user_with_token("other@example.com", Role.WRITER)[1]
        statuses = [call(app, "GET", "/posts", token).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = call(app, "GET", "/posts", token)
        assert limited.mimetype == "application/problem+json"
        assert int(limited.headers["Retry-After"]) > 0
        assert call(app, "GET", "/posts", other).status_code == 200
        db.session.rollback()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (
            {"entry_comments": [{"entry": "No such entry", "comment": "Hm."}]},
            "entry_comments[0].entry",
        ),
        ({"entry_comments": [{"entry": "Flask", "comment": "   "}]}, "entry_comments[0].comment"),
        ({"publish_at": "9999-12-31T23:59:59Z", "checklist_confirmed": True}, "publish_at"),
        ({"publish_at": "2001-01-01T00:00:00+00:00", "checklist_confirmed": True}, "publish_at"),
        ({"publish_at": "2030-01-01T00:00:00", "checklist_confirmed": True}, "publish_at"),
    ],
)
def test_decision_problems_name_the_fields_as_sent(api, writer_token, reviewer_token, extra, field):
    post = call(api, "POST", "/posts", writer_token, json=sample()).json
    call(api, "POST", f"/posts/{post['id']}/submit", writer_token)
    decision = {"decision": "approve", "revision": 1} | extra
    if "entry_comments" in extra:
        decision["decision"] = "request_changes"
    response = call(api, "POST", f"/posts/{post['id']}/decision", reviewer_token, json=decision)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json["errors"]}
    assert call(api, "GET", f"/posts/{post['id']}", writer_token).json["state"] == "in_review"


def test_check_makes_an_empty_slug_from_the_title_as_creating_does(api, writer_token):
    content = sample() | {"slug": ""}
    checked = call(api, "POST", "/check", writer_token, json=content)
    assert checked.status_code == 200
    assert "slug-invalid" not in {f["code"] for f in checked.json["findings"]}
    created = call(api, "POST", "/posts", writer_token, json=content)
    assert created.status_code == 201
    assert created.json["slug"] == "the-best-python-web-frameworks-in-2026-ranked"
    untitled = call(api, "POST", "/check", writer_token, json=content | {"title": ""}).json
    assert {"title-missing", "slug-invalid"} <= {f["code"] for f in untitled["findings"]}


def test_the_api_page_states_the_rate_limit_in_words(make_app):
    app = make_app(API_RATE_LIMIT="120 per minute;2000 per hour")
    page = app.test_client().get("/api/v1/").get_data(as_text=True)
    assert "Each token may make 120 per minute and 2000 per hour requests" in page
    assert ";2000" not in page


def test_a_post_published_while_its_status_is_read_never_reads_as_not_published(
    api, writer_token, reviewer_token, monkeypatch
):
    post = call(api, "POST", "/posts", writer_token, json=sample()).json
    call(api, "POST", f"/posts/{post['id']}/submit", writer_token)
    approved = call(api, "POST", f"/posts/{post['id']}/decision", reviewer_token, json=APPROVE)
    assert approved.json["publication"] == {"status": "queued"}
    # A worker finishes the job while the request reads: after the post is loaded, before its
    # job is (the worker has a session of its own, as in a process of its own).
    latest_job = outbox.latest_job

    def a_worker_finishes_first(of_post):
        def publish() -> None:
            with api.app_context():
                assert publisher.run(latest_job(db.session.get(Post, of_post.id)).id)

        worker = threading.Thread(target=publish)
        worker.start()
        worker.join(30)
        return latest_job(of_post)

    monkeypatch.setattr(outbox, "latest_job", a_worker_finishes_first)
    status = call(api, "GET", f"/posts/{post['id']}/publication", writer_token).json
    # On PostgreSQL each statement reads what is committed by then: the job is done, and so
    # is its post; SQLite reads the whole request in one snapshot, from before the job.
    assert status["status"] in ("queued", "live"), status
    monkeypatch.undo()
    assert call(api, "GET", f"/posts/{post['id']}/publication", writer_token).json["status"] == (
        "live"
    )
