"""Celery task names are pinned to the names they had before the modules moved, so a message
already queued by the old code (under the old name) is run by a worker of the new code."""

from __future__ import annotations

from typing import Any

import pytest

from editorial.domain.workflow import PostState
from editorial.models import db
from editorial.operations import outbox
from editorial.tasks import housekeeping, mail, newsletter, websub
from editorial.tasks import publishing as publisher
from tests.helpers.publisher import approve, feed_ids

PINNED = {
    "editorial.publisher.run_job": publisher.run_job,
    "editorial.publisher.sweep": publisher.sweep,
    "editorial.housekeeping.prune_sessions": housekeeping.prune_sessions,
    "editorial.housekeeping.flag_due_posts": housekeeping.flag_due_posts,
    "editorial.mail.send_invitation": mail.send_invitation,
    "editorial.mail.send_notification": mail.send_notification,
    "editorial.websub.ping": websub.ping,
    "editorial.newsletter.send_subscription_email": newsletter.send_subscription_email,
    "editorial.newsletter.send_mailing": newsletter.send_mailing,
    "editorial.newsletter.sweep": newsletter.sweep,
}


def test_every_task_keeps_its_pinned_name(app: Any) -> None:
    registry = app.extensions["celery"].tasks
    ours = {name for name in registry if name.startswith("editorial.")}
    assert ours == set(PINNED), "a task registered under a name that is not pinned"
    for name, task in PINNED.items():
        assert task.name == name


@pytest.mark.slow
def test_a_message_queued_under_the_old_name_is_run_by_a_real_worker(
    desk_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = desk_for(None)
    # The job is written, but sent only as the old code sent it: by name, not through the outbox.
    monkeypatch.setattr(outbox, "send", lambda job_ids: None)
    post = desk.make_post(1)
    job_id = approve(post, desk.reviewer).id
    db.session.rollback()  # hold no transaction while the worker writes (SQLite)
    desk.app.extensions["celery"].send_task("editorial.publisher.run_job", args=[job_id])
    worker = desk.start_worker()
    desk.wait_for(job_id)
    assert "editorial.publisher.run_job[" in worker.output
    db.session.refresh(post)
    assert post.state == PostState.PUBLISHED
    assert (desk.site / "posts" / post.public_slug / "index.html").is_file()
    assert post.feed_id in feed_ids(desk.site / "feed.atom")
