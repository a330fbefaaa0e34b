"""WebSub pings: after each publication, correction and retraction the worker tells every hub
in WEBSUB_HUBS which feeds changed (the site's and the tags' it touched), by a task of its own
queued after the publish job commits, retried with backoff while a hub is down.

End to end: flask-websub's hub as a real process, flask-websub's subscriber discovering our
feeds and receiving each new version, and a real `celery worker` publishing."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from celery.exceptions import Retry

from editorial.models import PublishJob, db, utcnow
from editorial.operations import outbox, websub
from editorial.tasks import publishing as publisher
from editorial.tasks.websub import ping as ping_task
from tests.conftest import SITE_URL
from tests.helpers.publisher import approve, content, edit
from tests.helpers.websub import HubProcess, StandInHub, serving, subscriber

HUBS = ("https://hub.example.net/", "https://websub.example.org/hub")


def _feeds(*folders: str) -> list[str]:
    return [
        f"{SITE_URL}{folder}feed.{kind}" for folder in folders for kind in ("rss", "atom", "json")
    ]


@pytest.fixture
def pings(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str], str]]:
    """The ping tasks queued: (hub, feeds, the job's status as stored at that moment)."""
    app.config["WEBSUB_HUBS"] = HUBS
    queued: list[tuple[str, list[str], str]] = []

    def queue_task(name: str, hub: str, feeds: list[str]) -> None:
        assert name == "editorial.websub.ping"
        with db.engine.connect() as conn:  # what another process sees: committed or not
            newest = sa.select(PublishJob.status).order_by(PublishJob.id.desc()).limit(1)
            queued.append((hub, feeds, conn.execute(newest).scalar_one().value))

    monkeypatch.setattr(websub, "queue_task", queue_task)
    return queued


@pytest.mark.publisher
def test_each_publication_correction_and_retraction_pings_every_hub_after_the_commit(
    app, pings, create_post, writer, reviewer
):
    first = create_post(writer, content(1))
    job = approve(first, reviewer)
    assert pings == []  # approving writes the job; the worker pings once it has published
    assert publisher.run(job.id)
    published = _feeds("", "tags/python/", "tags/series-1/")
    assert pings == [(hub, published, "done") for hub in HUBS]

    pings.clear()
    second = create_post(writer, content(2))
    assert publisher.run(approve(second, reviewer).id)
    edit(second, correction="The verdict was wrong.", title="Corrected title")
    assert publisher.run(approve(second, reviewer).id, now=utcnow() + timedelta(days=1))
    assert not publisher.run(job.id)  # a job already done publishes nothing, and pings nobody
    changed = _feeds("", "tags/python/", "tags/series-2/")
    assert pings == [(hub, changed, "done") for hub in HUBS] * 2

    pings.clear()
    retraction = outbox.request_retract(second, reviewer)
    db.session.commit()
    assert publisher.run(retraction.id)
    # "series 2" had only this post: its page and feeds are gone, and nobody is told of them.
    assert pings == [(hub, _feeds("", "tags/python/"), "done") for hub in HUBS]


@pytest.mark.publisher
def test_without_hubs_nothing_is_pinged(app, pings, publish):
    app.config["WEBSUB_HUBS"] = ()
    publish(1)
    assert pings == []


@pytest.fixture
def stand_in_hub() -> Iterator[StandInHub]:
    hub = StandInHub()
    yield hub
    hub.close()


@pytest.fixture
def retries(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the task asked Celery to retry (called directly, it has no worker to ask)."""
    asked: list[dict[str, Any]] = []

    def retry(**options: Any) -> Retry:
        asked.append(options)
        return Retry()

    monkeypatch.setattr(ping_task, "retry", retry)
    return asked


def test_the_task_posts_each_feed_to_the_hub_as_a_form(stand_in_hub, retries):
    feeds = _feeds("", "tags/python/")
    ping_task.run(stand_in_hub.url, feeds)
    assert stand_in_hub.topics() == feeds
    for ping in stand_in_hub.pings:
        assert ping.path == "/hub"
        assert ping.content_type == "application/x-www-form-urlencoded"
        assert ping.form["hub.mode"] == ["publish"]
        assert ping.form["hub.topic"] == ping.form["hub.url"]
    assert retries == []


def test_a_hub_that_fails_is_asked_again_later_for_what_it_did_not_take(stand_in_hub, retries):
    feeds = _feeds("")
    stand_in_hub.answers[feeds[1]] = 503
    with pytest.raises(Retry):
        ping_task.run(stand_in_hub.url, feeds)
    assert stand_in_hub.topics() == feeds[:2]  # it stops at the first failure
    [retry] = retries
    assert retry["args"] == (stand_in_hub.url, feeds[1:])
    assert 0 <= retry["countdown"] <= 2  # the first retry; each later one waits up to twice more


@pytest.fixture
def down() -> Iterator[str]:
    """A hub address where nothing listens, for the whole test: its port is held bound and
    not listening, so a connection is refused (a port found free and let go could be taken
    by another test's server in between)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}/hub"


def test_a_hub_that_is_down_is_retried_and_one_that_refuses_is_not(stand_in_hub, retries, down):
    with pytest.raises(Retry):
        ping_task.run(down, _feeds(""))
    assert retries[0]["args"] == (down, _feeds(""))

    retries.clear()
    feeds = _feeds("")
    stand_in_hub.answers[feeds[0]] = 400  # a hub that does not serve this feed: no use retrying
    ping_task.run(stand_in_hub.url, feeds)
    assert stand_in_hub.topics() == feeds and retries == []


def test_the_task_gives_up_after_its_last_retry(retries, down):
    ping_task.push_request(retries=ping_task.max_retries)
    try:
        ping_task.run(down, _feeds(""))
    finally:
        ping_task.pop_request()
    assert retries == []


def test_a_hub_that_never_answers_holds_a_ping_no_longer_than_its_timeout():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        with pytest.raises(websub.HubError) as raised:
            websub.ping(f"http://127.0.0.1:{silent.getsockname()[1]}/", SITE_URL, timeout=0.3)
        assert time.monotonic() - started < 3
    assert raised.value.transient


def _wait_for_line(worker: Any, pattern: str, count: int, seconds: float = 30) -> None:
    """Wait until ``count`` lines of the worker's log match ``pattern``."""
    deadline = time.monotonic() + seconds
    while len([line for line in worker.lines if re.search(pattern, line)]) < count:
        assert time.monotonic() < deadline, f"no {pattern!r} in:\n{worker.output}"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_subscriber_gets_each_new_version_through_a_real_hub_even_one_that_was_down(
    desk_for, make_app, tmp_path
):
    desk = desk_for(None)
    hub = HubProcess(tmp_path)
    (tmp_path / "subscriber").mkdir()
    # The site served by the desk at a real address, with the Link headers WebSub asks for.
    site_app = make_app(SITE_DIR=str(desk.site))
    with serving(site_app) as base, subscriber(tmp_path / "subscriber") as reader:
        site_url = f"{base}/site/"
        site_app.config.update(SITE_URL=site_url, WEBSUB_HUBS=(hub.url,))
        desk.env.update(SITE_URL=site_url, WEBSUB_HUBS=hub.url)
        atom, tag_json = f"{site_url}feed.atom", f"{site_url}tags/python/feed.json"
        try:
            hub.start()
            worker = desk.start_worker()

            def publish(n: int) -> Any:
                post = desk.make_post(n)
                job_id = approve(post, desk.reviewer).id
                db.session.rollback()  # hold no transaction while the worker writes (SQLite)
                desk.wait_for(job_id)
                return post

            publish(1)
            # The reader finds the hub from the feed itself, and subscribes there.
            assert reader.subscribe(atom) == {"hub_url": hub.url, "topic_url": atom}
            assert reader.subscribe(tag_json) == {"hub_url": hub.url, "topic_url": tag_json}
            second = publish(2)
            title = content(2)["title"]
            assert b"<title>" + title.encode() in reader.wait_for(atom, title)
            assert title in reader.wait_for(tag_json, title).decode()

            _wait_for_line(worker, r"websub\.ping\[.*\] succeeded", 2)  # both pings through

            # The hub goes down: the retraction is published all the same, and the ping waits.
            hub.stop()
            seen = len(reader.received[atom])
            job_id = outbox.request_retract(second, desk.reviewer).id
            db.session.commit()
            desk.wait_for(job_id)
            _wait_for_line(worker, r"websub\.ping\[.*\] retry: Retry in .* Connection refused", 1)
            hub.start()
            # The retry reaches the hub, which brings the reader the feed without the post.
            assert title.encode() not in reader.wait_for_next(atom, seen)
        except BaseException:
            print(hub.output)
            print("".join(desk.workers[-1].lines) if desk.workers else "")
            raise
        finally:
            hub.stop()
