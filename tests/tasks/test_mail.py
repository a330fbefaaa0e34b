"""Notification e-mail through a real Celery worker process and a real SMTP conversation.

The worker runs on the embedded filesystem broker in the test's instance folder, on the run's
test database; an aiosmtpd server in this process stands in for the mail server. Both the app
and the worker read MAIL_SERVER and MAIL_PORT from the environment, as in production.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.models import Notification, Role, User, db
from editorial.operations import accounts, posts
from editorial.tasks import mail
from tests.conftest import PASSWORD, sample
from tests.helpers.processes import ROOT, free_port, start_worker

WAIT = 30  # seconds: a worker that has not delivered by then is not going to


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.arrived:
            self.messages.append((list(envelope.rcpt_tos), message))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, worker: subprocess.Popen[str], output: list[str]) -> None:
        deadline = time.monotonic() + WAIT
        with self.arrived:
            while len(self.messages) < count and time.monotonic() < deadline:
                assert worker.poll() is None, "the worker died:\n" + "".join(output)
                self.arrived.wait(0.5)
        assert len(self.messages) >= count, (
            f"{len(self.messages)} of {count} e-mails arrived in {WAIT} s; the worker said:\n"
            + "".join(output)
        )


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


def _people() -> dict[str, User]:
    """A writer, a writer who also reviews, and two reviewers."""
    people = {
        "writer": accounts.create_user(
            "writer@example.com", "Wren Writer", PASSWORD, [Role.WRITER]
        ),
        "ada": accounts.create_user(
            "ada@example.com", "Ada Author", PASSWORD, [Role.WRITER, Role.REVIEWER]
        ),
        "rhea": accounts.create_user(
            "rhea@example.com", "Rhea Reviewer", PASSWORD, [Role.REVIEWER]
        ),
        "rob": accounts.create_user("rob@example.com", "Rob Reviewer", PASSWORD, [Role.REVIEWER]),
    }
    db.session.commit()
    return people


def _submit(author: User, name: str = "python-web-frameworks-2026") -> None:
    post = posts.create_post(parse_post(sample(name)), author)
    posts.submit_for_review(post, author)
    db.session.commit()


def _queued(instance: Path) -> list[Path]:
    return sorted((instance / "broker" / "queue").iterdir())


@pytest.mark.slow
def test_submitting_a_post_emails_every_reviewer_through_the_worker(
    make_app: Callable[..., Any],
    database_url: str,
    inbox: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    handler, port = inbox
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "SECRET_KEY", "MAIL_USERNAME", "MAIL_USE_TLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(port))
    monkeypatch.setenv("DESK_URL", "http://desk.example.org/")
    app = make_app(WTF_CSRF_ENABLED=False)  # its instance folder: tmp_path / "instance"
    instance = Path(app.instance_path)
    assert instance == tmp_path / "instance"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "EDITORIAL_INSTANCE_PATH": str(instance),
        "PYTHONPATH": str(ROOT),
    }
    worker = start_worker(env, ROOT)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(worker.stdout.readline, "")))
    reader.start()
    try:
        with app.app_context():
            people = _people()
            _submit(people["ada"])  # a writer who also reviews: she is not told of her own post
            notes = {
                n.user.email: n.id
                for n in db.session.scalars(sa.select(Notification).order_by(Notification.id))
            }
            db.session.rollback()  # SQLite: leave the database free for the worker to write
            handler.wait_for(len(notes), worker, output)
            time.sleep(0.5)  # an e-mail too many would have arrived with the others
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        reader.join(5)

    recipients = sorted(to for rcpt_tos, _ in handler.messages for to in rcpt_tos)
    assert recipients == ["rhea@example.com", "rob@example.com"]
    assert sorted(notes) == recipients
    for rcpt_tos, message in handler.messages:
        assert message["To"] == rcpt_tos[0]
        assert message["From"] == "editorial@localhost"
        assert message["Subject"] == (
            "[Honest Rankings] New in the review queue: "
            "“The best Python web frameworks in 2026, ranked” by Ada Author."
        )
        assert "http://desk.example.org/notifications" in message.get_content()
    # Each was sent once and marked as sent (a second run of its task sends nothing).
    with app.app_context():
        deadline = time.monotonic() + WAIT
        while True:
            sent = db.session.scalars(
                sa.select(Notification.id).where(Notification.emailed_at.is_not(None))
            ).all()
            db.session.rollback()
            if len(sent) == len(notes) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert sorted(sent) == sorted(notes.values()), "".join(output)


def test_without_a_mail_server_nothing_is_queued(
    make_app: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    app = make_app(WTF_CSRF_ENABLED=False)
    instance = Path(app.instance_path)
    with app.app_context():
        people = _people()
        _submit(people["writer"])
        notified = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
        assert notified == 3, "the desk still shows the notifications"
        assert _queued(instance) == []

        # The same app with a mail server configured queues one e-mail a notification.
        app.config["MAIL_SERVER"] = "127.0.0.1"
        _submit(people["writer"], "static-site-generators-2026")
        assert len(_queued(instance)) == 3


def test_an_invitation_is_emailed_when_mail_is_configured(
    app: Any, client: Any, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from editorial.tasks import mail

    handler, port = inbox
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="desk@example.org")
    accounts.create_user("admin@example.com", "Ann Admin", PASSWORD, [Role.ADMIN])
    db.session.commit()
    sent: list[tuple[int, str]] = []
    monkeypatch.setattr(mail.send_invitation, "delay", lambda *args: sent.append(args))
    client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    response = client.post(
        "/admin/people/invite", data={"email": "new@example.com", "role": "writer"}
    )
    # Mail is configured: the link goes by e-mail (after the commit), not onto the page.
    assert response.status_code == 302
    assert len(sent) == 1
    invitation_id, link = sent[0]
    assert "/invite/" in link
    mail.send_invitation.run(invitation_id, link)  # what the worker runs
    ((recipients, message),) = handler.messages
    assert recipients == ["new@example.com"]
    assert link in message.get_content()
    assert message["Subject"].endswith("Your invitation")


def test_without_mail_the_admin_is_shown_the_invitation_link(app: Any, client: Any) -> None:
    accounts.create_user("admin@example.com", "Ann Admin", PASSWORD, [Role.ADMIN])
    db.session.commit()
    client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    response = client.post(
        "/admin/people/invite", data={"email": "new@example.com", "role": "writer"}
    )
    assert response.status_code == 200
    assert "/invite/" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_long_notification_is_cut_between_words_in_the_subject():
    message = (
        "Rhea Reviewer requested changes on “The best static site generators in 2026, ranked”: "
        "see the comments on the post and its entries before you resubmit it."
    )
    subject = mail.subject_of(message)
    assert len(subject) <= mail.SUBJECT_WIDTH and subject.endswith(" …")
    assert message.startswith(subject.removesuffix(" …"))
    assert subject.removesuffix(" …").split()[-1] in message.split()  # a whole word
    assert mail.subject_of("Short and whole.") == "Short and whole."
