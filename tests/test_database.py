"""Requests side by side: a slow one holds up nobody, and writers at once all get an answer.

On SQLite a writing transaction locks the whole database. A request that only reads (a GET,
the editor's check, rows and preview) must take no write lock, so however long it takes it
holds up no writer; a GET must answer while another request writes; and writers sent at once
queue for the lock, each getting its answer (a 409 for a stale save), never a 500. The same
runs on PostgreSQL, where it must hold too.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import has_request_context, request

from editorial.domain.interchange import parse_post
from editorial.models import Comment, Post, Role, db
from editorial.operations import accounts, posts, tokens
from editorial.web import form_reader
from editorial.web.post_form import PostForm
from tests.conftest import PASSWORD, sample
from tests.helpers.desk import form_fields


def _writer(app: Any, email: str) -> tuple[Any, int, str]:
    """A signed-in writer's client, their draft's id and an API token of theirs."""
    with app.app_context():
        user = accounts.create_user(email, email.split("@")[0].title(), PASSWORD, [Role.WRITER])
        slug = "post-of-" + email.split("@")[0]
        post = posts.create_post(parse_post(sample() | {"slug": slug}), user)
        _, token = tokens.create_token(user, "agent")
        db.session.commit()
        post_id = post.id
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client, post_id, token


def _api(client: Any, method: str, path: str, token: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def _edit_form(client: Any, post_id: int, summary: str) -> dict[str, str]:
    fields = form_fields(client.get(f"/posts/{post_id}/edit").text)
    return fields | {"summary": summary, "action": "save"}


class Hold:
    """Requests whose form has a ``hold`` field stop while the post's form is read, until
    released: a slow parse of a large body, lasting exactly as long as the test needs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.entered, self.released = threading.Event(), threading.Event()
        read, read_light = PostForm.process, form_reader.read

        def held() -> None:
            if has_request_context() and "hold" in request.form:
                self.entered.set()
                self.released.wait(15)

        def process(form: Any, *args: Any, **kwargs: Any) -> Any:
            held()
            return read(form, *args, **kwargs)

        def read_form(*args: Any, **kwargs: Any) -> Any:  # the live findings' reader
            held()
            return read_light(*args, **kwargs)

        monkeypatch.setattr(PostForm, "process", process)
        monkeypatch.setattr(form_reader, "read", read_form)

    def start(self, client: Any, path: str, data: dict[str, str]) -> tuple[threading.Thread, list]:
        answers: list[Any] = []
        thread = threading.Thread(
            target=lambda: answers.append(client.post(path, data=data | {"hold": "1"}))
        )
        thread.start()
        assert self.entered.wait(10), "the held request never reached its form"
        return thread, answers

    def release(self, thread: threading.Thread) -> None:
        self.released.set()
        thread.join(20)


def test_a_slow_request_that_only_reads_holds_up_no_writer(web, monkeypatch):
    hold = Hold(monkeypatch)
    slow, _, _ = _writer(web, "slow@example.com")
    client, post_id, token = _writer(web, "busy@example.com")
    form = _edit_form(client, post_id, "Saved while another request was slow.")
    thread, answers = hold.start(slow, "/posts/check", {"title": "A check that takes long"})
    try:  # each would wait for the slow request (5 s at most, then a 500) were it writing
        comment = client.post(f"/posts/{post_id}/comments", data={"body": "Meanwhile."})
        saved = client.post(f"/posts/{post_id}/edit", data=form)
        created = _api(client, "POST", "/posts", token, json=sample() | {"slug": "meanwhile"})
        listed = _api(client, "GET", "/posts", token)
    finally:
        hold.release(thread)
    assert (comment.status_code, saved.status_code) == (302, 302)
    assert (created.status_code, listed.status_code) == (201, 200)
    assert answers[0].status_code == 200


def test_a_get_answers_while_another_request_writes(web, monkeypatch):
    hold = Hold(monkeypatch)
    writer, post_id, _ = _writer(web, "slow@example.com")
    reader, own_post, token = _writer(web, "reader@example.com")
    form = _edit_form(writer, post_id, "A slow save.")
    thread, answers = hold.start(writer, f"/posts/{post_id}/edit", form)
    queued: list[Any] = []
    comment = threading.Thread(
        target=lambda: queued.append(
            reader.post(f"/posts/{own_post}/comments", data={"body": "Queued."})
        )
    )
    try:
        comment.start()  # waits for the write lock while the slow save holds it
        listed = _api(reader, "GET", "/posts", token)  # its token's first use is due a note
        read = _api(reader, "GET", f"/posts/{own_post}", token)
        page = reader.get(f"/posts/{own_post}/edit")
    finally:
        hold.release(thread)
        comment.join(20)
    assert (listed.status_code, read.status_code, page.status_code) == (200, 200, 200)
    assert answers[0].status_code == 302, "the slow save itself"
    assert queued[0].status_code == 302, "the comment queued behind the save, then was posted"


def test_writers_at_once_all_get_an_answer_beside_a_huge_form(web):
    """Six writers at once each comment on their post, save it and make a post through the
    API, twice (the second save is sent from the same page, so it is stale: a 409); meanwhile
    someone sends the editor 19,000 rows, which is refused (it held the write lock for half a
    minute). How fast alone is test_bad_input's to say: here the threads share one CPU."""
    people = [_writer(web, f"w{i}@example.com") for i in range(6)]
    huge = {f"entries-{i}-name": "e" for i in range(19_000)}
    statuses: list[tuple[str, int]] = []
    barrier = threading.Barrier(len(people) + 1)

    def write(index: int, client: Any, post_id: int, token: str) -> None:
        form = _edit_form(client, post_id, f"Summary by writer {index}.")
        barrier.wait(10)
        for round_ in range(2):
            answer = client.post(f"/posts/{post_id}/comments", data={"body": f"{index}/{round_}"})
            statuses.append(("comment", answer.status_code))
            answer = client.post(f"/posts/{post_id}/edit", data=form)
            statuses.append(("save", answer.status_code))
            data = sample() | {"slug": f"by-{index}-{round_}"}
            statuses.append(("api", _api(client, "POST", "/posts", token, json=data).status_code))

    def flood(client: Any) -> None:
        barrier.wait(10)
        answer = client.post("/posts/rows", data=huge | {"op": "add-entries"})
        statuses.append(("huge", answer.status_code))

    threads = [threading.Thread(target=write, args=(i, *p)) for i, p in enumerate(people)]
    threads.append(threading.Thread(target=flood, args=(people[0][0],)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    answers = dict.fromkeys(("comment", "save", "api", "huge"), ())
    for kind, status in statuses:
        if kind in answers:
            answers[kind] = (*answers[kind], status)
    assert sorted(answers["comment"]) == [302] * 12
    assert sorted(answers["save"]) == [302] * 6 + [409] * 6, "the second save is stale"
    assert sorted(answers["api"]) == [201] * 12
    assert answers["huge"] == (413,)
    with web.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 12
        assert db.session.scalar(db.select(db.func.count()).select_from(Post)) == 6 + 12
