"""E-mail subscriptions: double opt-in without address enumeration, the choice, unsubscribing,
and the newsletter's mailings and deliveries (planned once, claimed, never twice)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain.errors import InvalidInput
from editorial.models import (
    Delivery,
    Mailing,
    MailingKind,
    Subscriber,
    SubscriberStatus,
    db,
    utcnow,
)
from editorial.operations import newsletter, outbox
from editorial.operations import subscriptions as subs
from editorial.tasks import publishing as publisher
from tests.helpers.publisher import approve, edit

pytestmark = pytest.mark.publisher


@pytest.fixture
def mail_on(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Mail configured; what would be queued to the worker, kept instead."""
    app.config.update(MAIL_SERVER="127.0.0.1", DESK_URL="https://desk.example.org/")
    queued: list[tuple] = []
    monkeypatch.setattr(subs, "queue_task", lambda *args: queued.append(args))
    monkeypatch.setattr(newsletter, "queue_task", lambda *args: queued.append(args))
    return queued


def subscribed(address: str, all_posts: bool = True, tags: tuple[str, ...] = ()) -> Subscriber:
    """A confirmed subscriber (through the form and the link, as a reader does it)."""
    email = subs.subscribe(address, all_posts, tags)
    db.session.commit()
    subscriber = subs.confirm(email.token)
    db.session.commit()
    return subscriber


def test_subscribing_needs_the_link_which_works_once_and_expires(app, mail_on):
    now = utcnow()
    email = subs.subscribe("  Reader@Example.ORG ", True, now=now)
    db.session.commit()
    subscriber = db.session.get(Subscriber, email.subscriber_id)
    assert subscriber.address == "reader@example.org"
    assert subscriber.status == SubscriberStatus.PENDING
    assert email.kind == "confirm" and email.token
    assert email.token not in (subscriber.confirm_token_hash, subscriber.manage_token_hash)
    assert mail_on == [(subs.SEND_EMAIL, subscriber.id, "confirm", email.token)]

    assert subs.confirm(email.token, now + subs.CONFIRM_FOR) is None  # expired
    assert subs.confirm(email.token, now + timedelta(hours=1)) is subscriber
    assert subscriber.status == SubscriberStatus.CONFIRMED
    assert subs.confirm(email.token, now + timedelta(hours=1)) is None  # once


def test_the_same_answer_whether_or_not_the_address_is_known_and_an_email_an_hour(
    app, mail_on, publish
):
    publish(1)
    now = utcnow()
    first = subs.subscribe("a@example.org", True, now=now)
    again = subs.subscribe("A@example.org", True, now=now + timedelta(minutes=59))
    assert again is None  # nothing re-sent within the hour
    later = subs.subscribe("a@example.org", True, now=now + timedelta(minutes=61))
    assert later.kind == "confirm" and later.token != first.token
    assert subs.confirm(first.token) is None  # the newer link replaced it
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 1

    subs.confirm(later.token, now + timedelta(minutes=62))
    known = subs.subscribe("a@example.org", False, ["python"], now=now + timedelta(hours=3))
    assert known.kind == "already" and known.token is None
    subscriber = subs.find("a@example.org")
    assert subscriber.all_posts and subscriber.status == SubscriberStatus.CONFIRMED  # unchanged


def test_bad_input_is_refused_without_touching_anything(app, mail_on, publish):
    with pytest.raises(InvalidInput):
        subs.subscribe("not an address", True)
    with pytest.raises(InvalidInput, match="at least one tag"):
        subs.subscribe("b@example.org", False, [])
    with pytest.raises(InvalidInput, match="from the list"):
        subs.subscribe("b@example.org", False, ["no-such-tag"])
    publish(1)
    assert subs.subscribe("b@example.org", False, ["python"]).kind == "confirm"


def test_the_manage_token_finds_the_subscriber_until_the_secret_changes(app, mail_on):
    subscriber = subscribed("c@example.org")
    token = subs.manage_token(subscriber)
    assert subs.by_manage_token(token) is subscriber
    other = "1" if token.endswith("0") else "0"  # one in 16 tokens ends in "0" already
    assert subs.by_manage_token(token[:-1] + other) is None
    subs.unsubscribe(subscriber)
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert subs.by_manage_token(token) is subscriber  # the page still says so
    app.config["SECRET_KEY"] = "rotated"
    assert subs.by_manage_token(token) is None


def _deliveries(mailing: Mailing) -> list[str]:
    return sorted(
        db.session.scalars(
            sa.select(Subscriber.address)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.mailing_id == mailing.id)
        )
    )


def test_a_publish_plans_one_mailing_for_those_whose_choice_matches(
    app, mail_on, publish, reviewer
):
    publish(1)  # tags: python, series 1
    subscribed("all@example.org")
    subscribed("python@example.org", False, ("python",))
    subscribed("series1@example.org", False, ("series-1",))
    subs.subscribe("pending@example.org", True)
    gone = subscribed("gone@example.org")
    subs.unsubscribe(gone)
    db.session.commit()
    mail_on.clear()

    post = publish(2, tags=["python", "series 2"])
    mailing = db.session.scalar(sa.select(Mailing).where(Mailing.post_id == post.id))
    assert mailing.kind == MailingKind.NEW
    assert mail_on == [(newsletter.SEND_MAILING, mailing.id)]  # after the commit
    assert newsletter.plan_deliveries(mailing) == 2
    assert newsletter.plan_deliveries(mailing) == 0  # once
    assert _deliveries(mailing) == ["all@example.org", "python@example.org"]

    # A run of the same job again plans nothing more.
    job = outbox.latest_job(post)
    assert not publisher.run(job.id)
    assert db.session.scalars(sa.select(Mailing.id).where(Mailing.post_id == post.id)).all() == [
        mailing.id
    ]


def test_corrections_and_retractions_go_to_those_sent_the_original(app, mail_on, publish, reviewer):
    early = subscribed("early@example.org")
    post = publish(1)
    original = db.session.scalar(sa.select(Mailing).where(Mailing.post_id == post.id))
    newsletter.plan_deliveries(original)
    for delivery in newsletter.claim_batch(original):
        newsletter.mark_sent(delivery.id)
    assert newsletter.finish_if_sent(original)
    db.session.commit()
    subscribed("late@example.org")  # after the original went out

    edit(post, correction="The second entry's licence was wrong.")
    publisher.run(approve(post, reviewer).id)
    correction = db.session.scalar(sa.select(Mailing).where(Mailing.kind == MailingKind.CORRECTION))
    newsletter.plan_deliveries(correction)
    assert _deliveries(correction) == ["early@example.org"]

    edit(post, summary="An update without a correction note sends nothing.")
    publisher.run(approve(post, reviewer).id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mailing)) == 2

    job = outbox.request_retract(post, reviewer)
    db.session.commit()
    publisher.run(job.id)
    retraction = db.session.scalar(sa.select(Mailing).where(Mailing.kind == MailingKind.RETRACTION))
    newsletter.plan_deliveries(retraction)
    assert _deliveries(retraction) == ["early@example.org"]
    # Retracting the retracted post again mails nobody again.
    again = outbox.request_retract(post, reviewer) if post.published_revision_id else None
    assert again is None
    assert early.status == SubscriberStatus.CONFIRMED


def test_a_claimed_batch_is_not_claimed_again_until_its_claim_runs_out(
    app, mail_on, publish, monkeypatch
):
    for n in range(5):
        subscribed(f"r{n}@example.org")
    post = publish(1)
    mailing = db.session.scalar(sa.select(Mailing).where(Mailing.post_id == post.id))
    newsletter.plan_deliveries(mailing)
    now = utcnow()
    monkeypatch.setattr(newsletter, "this_worker", lambda: "host-a:1")
    first = newsletter.claim_batch(mailing, now, size=3)
    newsletter.mark_sent(first[0].id, now)
    monkeypatch.setattr(newsletter, "this_worker", lambda: "host-b:2")
    second = newsletter.claim_batch(mailing, now, size=3)
    assert {d.id for d in first}.isdisjoint(d.id for d in second)
    assert len(second) == 2
    monkeypatch.setattr(newsletter, "this_worker", lambda: "host-c:3")
    assert newsletter.claim_batch(mailing, now) == []
    # Worker A died: after its claim runs out, its two unsent deliveries go out; the sent one not.
    later = newsletter.claim_batch(mailing, now + newsletter.CLAIM + timedelta(seconds=1))
    assert sorted(d.id for d in later) == sorted(d.id for d in first[1:] + second)
    # Someone who unsubscribes before their turn is not sent it.
    subs.unsubscribe(later[0].subscriber)
    retry = newsletter.claim_batch(mailing, now + 2 * newsletter.CLAIM)
    assert later[0].subscriber_id not in {d.subscriber_id for d in retry}


def test_removing_a_subscriber_removes_them_from_the_export_and_counts(
    app, mail_on, publish, create_user
):
    from editorial.models import Role

    admin = create_user("admin@example.com", Role.ADMIN)
    publish(1)
    subscribed("one@example.org", False, ("python",))
    two = subscribed("two@example.org")
    assert subs.tag_counts() == [("python", 1)]
    assert subs.counts()["confirmed"] == 2 and subs.counts()["all"] == 1
    subs.remove(two, admin)
    db.session.commit()
    assert [row[0] for row in subs.export_rows()] == ["one@example.org"]
    assert subs.find("two@example.org") is None


def test_a_batch_of_a_worker_whose_process_ended_is_free_at_once(
    app, mail_on, publish, monkeypatch
):
    import socket
    import subprocess

    for n in range(3):
        subscribed(f"r{n}@example.org")
    post = publish(1)
    mailing = db.session.scalar(sa.select(Mailing).where(Mailing.post_id == post.id))
    newsletter.plan_deliveries(mailing)
    ended = subprocess.Popen(["true"])  # a process of this host, ended and reaped
    ended.wait()
    dead = f"{socket.gethostname()}:{ended.pid}"
    monkeypatch.setattr(newsletter, "this_worker", lambda: dead)
    now = utcnow()
    assert len(newsletter.claim_batch(mailing, now)) == 3
    db.session.commit()
    monkeypatch.setattr(newsletter, "this_worker", lambda: "elsewhere:7")
    assert len(newsletter.claim_batch(mailing, now)) == 3  # its claims had not run out
