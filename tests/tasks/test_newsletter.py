"""The newsletter task against a real SMTP server in this process (aiosmtpd): one e-mail per
matching subscriber, with one-click unsubscribe; nobody twice when the task runs again or a
worker dies mid-batch; corrections to those sent the original, not to who left since.

The task's body runs here (``send_batches``), as the worker runs it; the worker process
itself is exercised by the publishing and mail tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from editorial.models import Mailing, MailingKind, db
from editorial.operations import newsletter
from editorial.operations import subscriptions as subs
from editorial.tasks import newsletter as task
from editorial.tasks import publishing as publisher
from tests.helpers.processes import free_port
from tests.helpers.publisher import approve, edit

pytestmark = pytest.mark.publisher


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self) -> list[str]:
        return sorted(m["To"] for m in self.messages)


@pytest.fixture
def inbox(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, DESK_URL="https://desk.example.org/"
    )
    # Queued tasks are run below, by hand, as the worker would.
    monkeypatch.setattr(subs, "queue_task", lambda *args: None)
    monkeypatch.setattr(newsletter, "queue_task", lambda *args: None)
    yield handler
    controller.stop()


def subscribed(address: str, all_posts: bool = True, tags: tuple[str, ...] = ()) -> None:
    email = subs.subscribe(address, all_posts, tags)
    db.session.commit()
    subs.confirm(email.token)
    db.session.commit()


def mailing_of(post: Any, kind: MailingKind = MailingKind.NEW) -> Mailing:
    return db.session.scalar(sa.select(Mailing).filter_by(post_id=post.id, kind=kind))


def test_the_confirmation_email_carries_a_link_that_confirms(app, inbox):
    email = subs.subscribe("reader@example.org", True)
    db.session.commit()
    task.send_subscription_email.run(email.subscriber_id, email.kind, email.token)
    (message,) = inbox.messages
    assert message["To"] == "reader@example.org"
    assert f"https://desk.example.org/subscribe/confirm/{email.token}" in message.get_content()


def test_a_publish_mails_each_matching_subscriber_once_with_one_click_unsubscribe(
    app, inbox, publish, client, reviewer
):
    publish(1)
    subscribed("all@example.org")
    subscribed("python@example.org", False, ("python",))
    subscribed("other@example.org", False, ("series-1",))
    post = publish(2)
    mailing = mailing_of(post)
    assert task.send_batches(mailing.id) == 2
    assert inbox.to() == ["all@example.org", "python@example.org"]
    assert task.send_batches(mailing.id) == 0  # the task again: nobody twice
    assert len(inbox.messages) == 2

    message = next(m for m in inbox.messages if m["To"] == "all@example.org")
    assert (
        message["Subject"]
        == f"[{app.config['SITE_TITLE']}] New: {post.current_revision.content['title']}"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://desk.example.org/subscription/") and url.endswith("/unsubscribe")
    assert url.removesuffix("/unsubscribe") in message.get_content()  # the manage link
    assert f"https://example.org/site/posts/{post.public_slug}/" in message.get_content()

    # One click, as a mail client sends it; the correction then skips this reader.
    response = client.post(urlsplit(url).path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    edit(post, correction="The second entry's licence was wrong.")
    publisher.run(approve(post, reviewer).id)
    correction = mailing_of(post, MailingKind.CORRECTION)
    assert task.send_batches(correction.id) == 1
    assert inbox.messages[-1]["To"] == "python@example.org"
    assert inbox.messages[-1]["Subject"].endswith(
        f"Correction: {post.current_revision.content['title']}"
    )


def test_a_worker_that_dies_mid_batch_leaves_the_rest_to_the_next_and_nobody_twice(
    app, inbox, publish, monkeypatch
):
    for n in range(7):
        subscribed(f"r{n}@example.org")
    post = publish(1)
    mailing = mailing_of(post)

    class Killed(BaseException):
        """The worker's process ends (SIGKILL): nothing after this runs."""

    sent = 0
    real_mark_sent = newsletter.mark_sent

    def dies_after_three(delivery_id: int, now: Any = None) -> None:
        nonlocal sent
        if sent == 3:
            raise Killed
        real_mark_sent(delivery_id, now)
        sent += 1

    monkeypatch.setattr(newsletter, "BATCH", 5)
    monkeypatch.setattr(newsletter, "this_worker", lambda: "host-a:1")
    monkeypatch.setattr(newsletter, "mark_sent", dies_after_three)
    with pytest.raises(Killed):
        task.send_batches(mailing.id)
    db.session.rollback()
    # The fourth message reached SMTP, but the worker died before it was marked sent.
    assert len(inbox.messages) == 4

    monkeypatch.setattr(newsletter, "mark_sent", real_mark_sent)
    monkeypatch.setattr(newsletter, "this_worker", lambda: "host-b:2")
    assert task.send_batches(mailing.id) == 2  # its batch is still claimed by host-a
    assert newsletter.unfinished() == []  # host-a's claim is live: the sweep leaves it
    later = db.session.get(Mailing, mailing.id)
    later_now = newsletter.utcnow() + newsletter.CLAIM + timedelta(seconds=1)
    monkeypatch.setattr(newsletter, "utcnow", lambda: later_now)
    assert newsletter.unfinished(later_now) == [mailing.id]
    assert task.send_batches(later.id) == 2  # the claim ran out: the rest of its batch goes out
    recipients = inbox.to()
    assert sorted(set(recipients)) == [f"r{n}@example.org" for n in range(7)]  # nobody missed
    # At most the one message SMTP took just before the worker died twice, with the same
    # Message-ID, so that the mail system can tell it is the same message.
    assert len(recipients) == 8
    twice = [m for m in inbox.messages if recipients.count(m["To"]) == 2]
    assert len({m["Message-ID"] for m in twice}) == 1
    assert db.session.get(Mailing, mailing.id).finished_at is not None


def test_the_sweep_sends_unfinished_mailings_again_and_beat_runs_it(
    app, inbox, publish, monkeypatch
):
    subscribed("reader@example.org")
    post = publish(1)
    queued: list[tuple] = []
    monkeypatch.setattr(newsletter, "queue_task", lambda *args: queued.append(args))
    assert task.sweep.run() == 1  # its send after the commit was lost (a broker outage)
    assert queued == [(newsletter.SEND_MAILING, mailing_of(post).id)]
    task.send_batches(mailing_of(post).id)
    assert task.sweep.run() == 0
    schedule = app.config["CELERY"]["beat_schedule"].values()
    assert {"task": "editorial.newsletter.sweep", "schedule": 60.0} in schedule


@pytest.mark.slow
def test_a_real_worker_killed_mid_batch_misses_nobody_and_mails_nobody_twice(
    make_app: Any, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Two real `celery worker` processes in turn; the first is SIGKILLed mid-batch."""
    import asyncio
    import os
    import signal
    import subprocess
    import time

    from aiosmtpd.controller import Controller

    from tests.conftest import sample
    from tests.helpers.processes import ROOT, start_worker

    class SlowInbox(Inbox):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            await asyncio.sleep(0.05)  # a slow mail server: the batch takes a while
            return await super().handle_DATA(server, session, envelope)

    handler = SlowInbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "SECRET_KEY", "MAIL_USERNAME", "MAIL_USE_TLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(controller.port))
    monkeypatch.setenv("DESK_URL", "https://desk.example.org/")
    app = make_app(WTF_CSRF_ENABLED=False, SITE_DIR=str(tmp_path / "site"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "EDITORIAL_INSTANCE_PATH": app.instance_path,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SITE_DIR": str(tmp_path / "site"),
        "PYTHONPATH": str(ROOT),
    }
    count = 40  # readers; the desk also e-mails its two people while the post is reviewed
    workers: list[subprocess.Popen[str]] = []
    try:
        with app.app_context():
            monkeypatch.setattr(subs, "queue_task", lambda *args: None)
            monkeypatch.setattr(newsletter, "queue_task", lambda *args: None)
            for n in range(count):
                subscribed(f"r{n:02}@example.org")
            from editorial.domain.interchange import parse_post
            from editorial.models import Role
            from editorial.operations import accounts, posts

            writer = accounts.create_user("w@example.com", "W", "pass phrase long", [Role.WRITER])
            checker = accounts.create_user(
                "r@example.com", "R", "pass phrase long", [Role.REVIEWER]
            )
            post = posts.create_post(parse_post(sample()), writer)
            db.session.commit()
            assert publisher.run(approve(post, checker).id)
            mailing_id = mailing_of(post).id
            db.session.rollback()  # SQLite: leave the database to the workers

            celery = app.extensions["celery"]
            workers.append(start_worker(env, ROOT))
            celery.send_task(newsletter.SEND_MAILING, args=[mailing_id])
            deadline = time.monotonic() + 60
            while len(handler.messages) < 10 and time.monotonic() < deadline:
                assert workers[0].poll() is None, workers[0].stdout.read()
                time.sleep(0.02)
            os.kill(workers[0].pid, signal.SIGKILL)  # mid-batch: no chance to mark anything
            workers[0].wait(10)
            killed_at = len(handler.messages)
            assert 10 <= killed_at < count

            workers.append(start_worker(env, ROOT))
            celery.send_task(newsletter.SEND_MAILING, args=[mailing_id])  # as the sweep sends
            deadline = time.monotonic() + 60
            while len(set(handler.to())) < count + 2 and time.monotonic() < deadline:
                assert workers[1].poll() is None, workers[1].stdout.read()
                time.sleep(0.1)
            time.sleep(0.5)  # a message too many would have arrived by now
            # (The desk's own notices to the reviewer go to example.com: not readers.)
            recipients = [to for to in handler.to() if to.endswith("@example.org")]
            assert sorted(set(recipients)) == [f"r{n:02}@example.org" for n in range(count)]
            # Only a message SMTP had taken when the worker died can come twice.
            assert len(recipients) <= count + 1, recipients
            # The worker marks the mailing finished after its last message, in a commit of
            # its own: wait for that, up to a deadline, rather than assume 0.5 s was enough.
            deadline = time.monotonic() + 30
            while True:
                finished_at = db.session.get(Mailing, mailing_id).finished_at
                db.session.rollback()  # read afresh next time; hold nothing the worker needs
                if finished_at is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert finished_at is not None
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(20)
                except subprocess.TimeoutExpired:
                    worker.kill()
        controller.stop()
