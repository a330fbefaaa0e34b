"""Freshness (issue 18, point 8): each live post has a review-by date; the worker's beat lists
the posts that reach it as due and tells their author and the reviewers; re-approving the live
revision as it is records a new review without touching the content, its dates or its feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import lxml.html
import pytest
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.domain.workflow import IllegalTransition, PostState
from editorial.models import AuditEvent, Notification, Publication, db, utcnow
from editorial.operations import freshness, outbox, posts
from editorial.site.pages import stamp
from editorial.tasks import housekeeping
from editorial.tasks import publishing as publisher
from tests.helpers.publisher import approve, feed_ids, page_path

pytestmark = pytest.mark.publisher


def test_months_are_added_by_the_calendar() -> None:
    at = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    assert freshness.add_months(at, 1) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert freshness.add_months(at, 12) == datetime(2027, 1, 31, 9, 30, tzinfo=UTC)
    assert freshness.add_months(at, 25) == datetime(2028, 2, 29, 9, 30, tzinfo=UTC)


def test_publishing_records_the_review_and_when_the_next_is_due(app, publish) -> None:
    post = publish(1)
    # When the reviewer approved it (the job is made then), not when the worker ran.
    assert post.last_reviewed_at == outbox.latest_job(post).created_at <= post.published_at
    assert post.review_due_at == freshness.add_months(post.last_reviewed_at, 12)
    app.config["REVIEW_AFTER_MONTHS"] = 3
    # A day ahead of today whenever the test runs (a day already past is ignored), and not
    # where the 3 months' default would fall.
    day = (utcnow() + timedelta(days=150)).date()
    other = publish(2, review_by=day.isoformat())
    assert other.review_due_at == datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_a_due_post_is_listed_and_its_people_told_once(app, publish, reviewer) -> None:
    post = publish(1)
    fresh = publish(2)
    later = post.review_due_at + timedelta(hours=1)
    due = db.session.scalars(freshness.due_posts_query(later)).all()
    assert [p.id for p in due] == [post.id, fresh.id]  # the longest overdue first
    assert [p.id for p in freshness.flag_due(post.review_due_at - timedelta(days=1))] == []
    flagged = freshness.flag_due(later)
    db.session.commit()
    assert post in flagged and post.due_notified_at == later
    told = db.session.execute(
        sa.select(Notification.user_id, Notification.kind).where(Notification.post_id == post.id)
    ).all()
    assert (post.author_id, "due") in told
    assert (reviewer.id, "due") in told  # their link leads to the queue's due list
    assert "is due for re-review" in db.session.scalar(
        sa.select(Notification.message).where(
            Notification.post_id == post.id, Notification.kind == "due"
        )
    )
    assert post.state == PostState.PUBLISHED  # it stays live
    # The next run tells nobody again.
    assert post not in freshness.flag_due(later + timedelta(days=1))
    events = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.post_id == post.id)
    ).all()
    assert events.count("post.due") == 1


def test_the_beat_task_flags_and_commits(app, publish) -> None:
    post = publish(1)
    post.review_due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert housekeeping.flag_due_posts.run() == 1
    db.session.expire_all()
    assert post.due_notified_at is not None
    assert housekeeping.flag_due_posts.run() == 0
    schedule = app.config["CELERY"]["beat_schedule"].values()
    assert "editorial.housekeeping.flag_due_posts" in {entry["task"] for entry in schedule}


def _publications(post) -> int:
    query = sa.select(sa.func.count()).select_from(Publication)
    return db.session.scalar(query.where(Publication.post_id == post.id))


def test_re_approving_the_live_revision_as_it_is_records_a_review_and_nothing_else(
    app, publish, reviewer, site
) -> None:
    post = publish(1)
    # Published a month ago, so that today's review shows beside the publication date.
    post.published_at -= timedelta(days=30)
    db.session.commit()
    before = {
        "revision": post.published_revision_id,
        "published": post.published_at,
        "updated": post.live_updated_at,
        "publications": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Publication)
            .where(Publication.post_id == post.id)
        ),
        "feed": feed_ids(site / "feed.atom"),
    }
    post.review_due_at = utcnow() - timedelta(days=1)
    freshness.flag_due()
    db.session.commit()
    reviewed_before = post.last_reviewed_at

    posts.submit_for_review(post, post.author)  # as it is: no new revision
    db.session.commit()
    assert post.state == PostState.IN_REVIEW
    job = approve(post, reviewer)
    assert publisher.run(job.id, now=utcnow() + timedelta(minutes=5))
    db.session.expire_all()

    assert post.state == PostState.PUBLISHED
    assert post.published_revision_id == before["revision"]
    assert (post.published_at, post.live_updated_at) == (before["published"], before["updated"])
    assert post.last_reviewed_at == job.created_at and post.last_reviewed_at > reviewed_before
    assert post.due_notified_at is None
    assert post.review_due_at == freshness.add_months(post.last_reviewed_at, 12)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Publication)
            .where(Publication.post_id == post.id)
        )
        == before["publications"]
    )
    assert feed_ids(site / "feed.atom") == before["feed"]
    assert (
        "post.rereview"
        in db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.post_id == post.id)
        ).all()
    )
    page = lxml.html.fromstring(page_path(site, post).read_bytes())
    byline = " ".join(page.xpath("string(//p[@class='byline'])").split())
    assert f"Last reviewed {post.last_reviewed_at.day} " in byline
    # In the JSON-LD: the page's lastReviewed moves; dateModified stays with the content.
    article = json.loads(page.xpath("//script[@type='application/ld+json']/text()")[1])
    assert article["mainEntityOfPage"]["lastReviewed"] == stamp(post.last_reviewed_at)
    assert article["dateModified"] == article["datePublished"] == stamp(post.published_at)


def test_a_changed_revision_approved_later_also_counts_as_a_review(app, publish, reviewer) -> None:
    day = (utcnow() + timedelta(days=40)).date()
    post = publish(1, review_by=day.isoformat())
    assert post.review_due_at == datetime(day.year, day.month, day.day, tzinfo=UTC)
    data = {**post.current_revision.content, "summary": "A new summary for this year."}
    data.pop("review_by")
    posts.save_revision(post, parse_post(data), post.author)
    db.session.commit()
    job = approve(post, reviewer)
    assert publisher.run(job.id)
    assert post.last_reviewed_at == job.created_at
    assert post.review_due_at == freshness.add_months(job.created_at, 12)
    assert post.live_updated_at is not None


def test_a_review_by_day_already_past_is_not_the_next_due_date(app, publish, reviewer) -> None:
    # Re-approved as it is after its review-by day: due again in REVIEW_AFTER_MONTHS, not at
    # once (which would list it and tell everyone again within the hour, after every review).
    post = publish(1, review_by="2099-06-01")
    freshness.reviewed(post, datetime(2099, 5, 1, tzinfo=UTC))
    assert post.review_due_at == datetime(2099, 6, 1, tzinfo=UTC)
    at = datetime(2099, 6, 20, 9, 0, tzinfo=UTC)
    freshness.reviewed(post, at)
    assert post.review_due_at == freshness.add_months(at, 12)


def test_only_a_live_post_with_nothing_unpublished_goes_back_as_it_is(app, publish) -> None:
    post = publish(1)
    data = {**post.current_revision.content, "summary": "Changed, not yet published."}
    posts.save_revision(post, parse_post(data), post.author)
    db.session.commit()
    assert post.state == PostState.DRAFT
    with pytest.raises(IllegalTransition, match="no unpublished changes"):
        freshness.submit_as_it_is(post, post.author)
    db.session.rollback()

    other = publish(2)
    freshness.submit_as_it_is(other, other.author)
    db.session.commit()
    assert other.state == PostState.IN_REVIEW
    assert other.current_revision_id == other.published_revision_id  # no new revision
