"""The agent API end to end, with a real `celery worker` publishing: a writer's agent drafts a
post with a finding, checks it, fixes it and submits it; a reviewer's agent approves it; the
worker publishes it into SITE_DIR; the feed lists it and the API reports it live at its URL.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import feedparser
import pytest

from editorial.models import db
from editorial.operations import accounts, tokens
from tests.conftest import sample
from tests.helpers.publisher import assert_site_whole
from tests.helpers.publisher_processes import TIMEOUT, Desk

pytestmark = pytest.mark.slow

SITE_URL = "https://example.org/site/"  # what desk_for gives the worker
# The desk and its real worker processes, as the publisher tests use them.


def _token(user: Any) -> str:
    _, token = tokens.create_token(user, "agent")
    db.session.commit()
    return token


class Agent:
    """An API client with one user's bearer token."""

    def __init__(self, app: Any, token: str):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.open(f"/api/v1{path}", method=method, headers=self.headers, **kwargs)
        db.session.rollback()  # hold no transaction while the worker writes (SQLite)
        return response


def _wait_live(desk: Desk, agent: Agent, post_id: int) -> dict[str, Any]:
    """Poll the API until the post's publication is live; its publication."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        publication = agent("GET", f"/posts/{post_id}").json["publication"]
        if publication["status"] == "live":
            return publication
        worker = desk.workers[-1]
        assert worker.proc.poll() is None, f"the worker exited:\n{worker.output}"
        assert publication["status"] in ("queued", "publishing"), (publication, worker.output)
        assert time.monotonic() < deadline, f"not live after {TIMEOUT}s: {publication}\n" + (
            worker.output
        )
        time.sleep(0.1)


def test_an_agent_drafts_and_another_approves_and_the_worker_publishes(desk_for, monkeypatch):
    monkeypatch.setenv("SITE_URL", SITE_URL)  # the desk's app reports the worker's addresses
    desk = desk_for(None)
    desk.start_worker()
    writer = Agent(desk.app, _token(accounts.find_user("writer@example.com")))
    reviewer = Agent(desk.app, _token(desk.reviewer))

    draft = sample()
    draft["entries"][1]["pick_else"] = ""
    created = writer("POST", "/posts", json=draft)
    assert created.status_code == 201, created.json
    post_id = created.json["id"]
    assert created.json["publication"] == {"status": "not_published"}

    checked = writer("POST", "/check", json=draft)
    assert checked.status_code == 200
    assert checked.json["errors"] >= 1
    finding = next(f for f in checked.json["findings"] if f["code"] == "entry-missing-pick-else")
    assert finding["field"] == "entries[1].pick_else"
    assert writer("POST", f"/posts/{post_id}/submit").status_code == 422

    fixed = copy.deepcopy(draft)
    fixed["entries"][1]["pick_else"] = sample()["entries"][1]["pick_else"]
    assert writer("POST", "/check", json=fixed).json["errors"] == 0
    saved = writer("PUT", f"/posts/{post_id}", json={"base_revision": 1, "content": fixed})
    assert saved.status_code == 200, saved.json
    assert saved.json["revision"] == 2
    assert not [f for f in saved.json["findings"] if f["severity"] == "error"]
    submitted = writer("POST", f"/posts/{post_id}/submit")
    assert submitted.status_code == 200 and submitted.json["state"] == "in_review"

    queue = reviewer("GET", "/review/queue").json["posts"]
    assert [p["id"] for p in queue] == [post_id]
    decision = {"decision": "approve", "revision": 2, "checklist_confirmed": True}
    approved = reviewer("POST", f"/posts/{post_id}/decision", json=decision | {"comment": "Good."})
    assert approved.status_code == 200, approved.json
    assert approved.json["state"] == "approved"

    publication = _wait_live(desk, writer, post_id)
    post = writer("GET", f"/posts/{post_id}").json
    assert post["state"] == "published"
    assert publication == {"status": "live", "url": f"{SITE_URL}posts/{post['slug']}/"}
    assert "editorial.publisher.run_job" in desk.workers[0].output

    feed = feedparser.parse((desk.site / "feed.atom").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    [entry] = feed.entries
    assert entry.title == fixed["title"]
    assert entry.link == publication["url"]
    assert (desk.site / "posts" / post["slug"] / "index.html").is_file()
    assert_site_whole(desk.site)
