"""The publisher in-process, on each database: the outbox, publish jobs, the files they write,
republication, retraction, scheduling, and a job that keeps failing. (The incremental build
against a full rebuild is in tests/site/test_build.py; the publishing status, retry and
retract in the desk are in tests/web/test_publishing.py.)"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import feedparser
import lxml.html
import pytest
import sqlalchemy as sa

from editorial.domain.workflow import PostState
from editorial.models import AuditEvent, JobStatus, Publication, PublishJob, db, utcnow
from editorial.operations import outbox, posts, review
from editorial.tasks import publishing as publisher
from tests.conftest import SITE_URL
from tests.helpers.publisher import (
    FEEDS,
    approve,
    assert_site_whole,
    content,
    digest,
    edit,
    feed_ids,
    links,
    mark_running,
    mtimes,
    page_path,
    sitemap_locs,
)

# The app writes the site to ``site``, at SITE_URL, and sends jobs to a private queue.
pytestmark = pytest.mark.publisher


def _queued(tmp_path: Path) -> list[Path]:
    """Messages waiting in the embedded broker's queue (sent to the worker)."""
    return sorted((tmp_path / "broker-instance" / "broker" / "queue").glob("*"))


def _every_feed(site: Path) -> list[Path]:
    return [site / name for name in FEEDS] + sorted((site / "tags").glob("*/feed.*"))


def _every_list(site: Path) -> list[Path]:
    return [site / "index.html", *sorted((site / "page").glob("*/index.html"))] + sorted(
        (site / "tags").glob("*/index.html")
    )


# --- the outbox -------------------------------------------------------------------------------


def test_approval_writes_its_job_in_the_same_transaction(
    app, create_post, writer, reviewer, tmp_path
):
    post = create_post(writer, content(1))
    posts.submit_for_review(post, writer)
    db.session.commit()
    review.approve(post, reviewer, review.checklist_keys(post), "Good.", 1)
    job = outbox.latest_job(post)
    assert (job.action, job.status) == ("publish", JobStatus.PENDING)
    assert (job.revision_id, job.created_by_id) == (post.current_revision_id, reviewer.id)
    db.session.rollback()
    assert post.state == PostState.IN_REVIEW
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishJob)) == 0
    assert _queued(tmp_path) == [], "a job was sent for an approval that was rolled back"

    job = approve(post, reviewer)
    assert db.session.scalars(sa.select(PublishJob.id)).all() == [job.id]
    assert len(_queued(tmp_path)) == 1, "the committed approval's job was not sent"
    assert json.loads(_queued(tmp_path)[0].read_bytes())["headers"]["argsrepr"] == f"({job.id},)"


# --- publishing -------------------------------------------------------------------------------


def test_publishing_writes_the_page_and_lists_it_everywhere(app, publish, site):
    post = publish(1)
    assert post.state == PostState.PUBLISHED
    assert post.published_revision.number == 1
    assert (post.public_slug, post.site_seq) == ("python-web-frameworks-part-1", 1)
    assert post.feed_id.startswith("urn:uuid:")
    assert outbox.latest_job(post).status == JobStatus.DONE

    page = lxml.html.fromstring(page_path(site, post).read_bytes())
    assert page.findtext(".//h1") == "Python web frameworks, ranked (part 1)"
    href = f"posts/{post.public_slug}/"
    assert href in links(site / "index.html")
    assert not (site / "page").exists()  # one post: the home page is the whole list
    for tag in ("python", "series-1"):
        assert f"../../{href}" in links(site / "tags" / tag / "index.html")
    for feed in _every_feed(site):
        assert feed_ids(feed) == [post.feed_id], feed
    assert len(_every_feed(site)) == 9
    assert sitemap_locs(site) == [
        SITE_URL,
        f"{SITE_URL}tags/python/",
        f"{SITE_URL}tags/series-1/",
        f"{SITE_URL}{href}",
    ]
    assert (site / "robots.txt").read_text().endswith(f"Sitemap: {SITE_URL}sitemap.xml\n")
    assert (site / "assets" / "site.css").is_file()
    assert assert_site_whole(site) >= 16


def test_running_a_job_again_writes_the_same_bytes(app, publish, site):
    post = publish(1)
    publish(2)
    before, touched = digest(site), mtimes(site)
    job = outbox.latest_job(post)
    assert publisher.run(job.id) is False  # done: nothing to do

    # A worker that died after writing but before marking the job done: the job runs again.
    job = db.session.scalars(sa.select(PublishJob).order_by(PublishJob.id)).first()
    mark_running(job, "elsewhere:1")
    assert publisher.run(job.id) is True
    assert digest(site) == before
    assert mtimes(site) == touched, "identical files were written again"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 2
    assert post.site_seq == 1


def test_an_older_job_run_late_does_not_overwrite_the_newer_version(
    app, create_post, writer, reviewer, site
):
    post = create_post(writer, content(1))
    older = approve(post, reviewer)
    edit(post, title="Second take on Python web frameworks")  # withdraws the approval
    assert post.state == PostState.DRAFT
    newer = approve(post, reviewer)
    assert publisher.run(newer.id)
    after_newer = digest(site)
    publisher.run(older.id)

    assert post.published_revision.number == 2
    assert db.session.scalars(sa.select(Publication.revision_id)).all() == [2]
    assert lxml.html.fromstring(page_path(site, post).read_bytes()).findtext(".//h1") == (
        "Second take on Python web frameworks"
    )
    assert digest(site) == after_newer


def test_a_superseded_job_publishes_nothing(app, create_post, writer, reviewer, site):
    post = create_post(writer, content(1))
    job = approve(post, reviewer)
    edit(post, title="Changed after approval")
    publisher.run(job.id)
    db.session.refresh(post)
    assert post.state == PostState.DRAFT
    assert (post.published_revision_id, post.public_slug, post.site_seq) == (None, None, None)
    assert not (site / "posts").exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0
    for feed in (site / name for name in FEEDS):
        assert feed_ids(feed) == []
    assert sitemap_locs(site) == [SITE_URL]


def test_a_republished_post_keeps_its_address_and_feed_id_and_shows_the_correction(
    app, publish, reviewer, site
):
    post = publish(1)
    url, feed_id, first_at = post.public_slug, post.feed_id, post.published_at
    edit(
        post,
        title="Python web frameworks, ranked again",
        slug="python-web-frameworks-ranked-again",
        correction="We had **Django's** licence wrong; fixed in the second entry.",
    )
    assert post.state == PostState.DRAFT
    # The edit is a draft: the site still shows the live version.
    page = lxml.html.fromstring(page_path(site, post).read_bytes())
    assert page.findtext(".//h1") == "Python web frameworks, ranked (part 1)"

    job = approve(post, reviewer)
    later = first_at + timedelta(days=3)
    assert publisher.run(job.id, now=later)
    assert (post.public_slug, post.feed_id) == (url, feed_id)
    assert post.published_at == first_at
    assert post.site_seq == 1
    assert not (site / "posts" / "python-web-frameworks-ranked-again").exists()

    page = lxml.html.fromstring(page_path(site, post).read_bytes())
    assert page.findtext(".//h1") == "Python web frameworks, ranked again"
    byline = page.find_class("byline")[0].text_content()
    assert f"Updated {later.day} {later.strftime('%B %Y')}" in " ".join(byline.split())
    text = " ".join(page.text_content().split())
    assert "We had Django's licence wrong; fixed in the second entry." in text

    for name in ("feed.atom", "feed.rss"):
        (entry,) = feedparser.parse((site / name).read_bytes()).entries
        assert entry.id == feed_id
        assert entry.title == "Python web frameworks, ranked again"
        assert "licence wrong" in entry.content[0].value
    (entry,) = feedparser.parse((site / "feed.atom").read_bytes()).entries
    assert entry.updated_parsed[:6] == later.timetuple()[:6]
    assert entry.published_parsed[:6] == first_at.timetuple()[:6]
    (item,) = json.loads((site / "feed.json").read_bytes())["items"]
    assert (item["id"], item["url"]) == (feed_id, f"{SITE_URL}posts/{url}/")
    assert item["date_modified"].startswith(later.strftime("%Y-%m-%dT%H:%M:%S"))
    assert item["date_published"].startswith(first_at.strftime("%Y-%m-%dT%H:%M:%S"))
    publications = db.session.scalars(sa.select(Publication).order_by(Publication.id))
    assert [p.correction is not None for p in publications] == [False, True]


# --- retraction -------------------------------------------------------------------------------


def test_retracting_takes_the_post_off_every_list_feed_and_sitemap(app, publish, reviewer, site):
    gone, kept = publish(1), publish(2)
    job = outbox.request_retract(gone, reviewer)
    db.session.commit()
    assert publisher.run(job.id)

    assert gone.state == PostState.RETRACTED
    assert gone.published_revision_id is None
    page = page_path(site, gone).read_text()
    assert "This ranking was retracted" in page
    assert 'content="noindex"' in page
    for feed in _every_feed(site):
        assert gone.feed_id not in feed_ids(feed), feed
        assert gone.feed_id not in feed.read_text(), feed
    assert feed_ids(site / "feed.atom") == [kept.feed_id]
    for listing in _every_list(site):
        assert not any(gone.public_slug in href for href in links(listing)), listing
    assert any(kept.public_slug in href for href in links(site / "tags/python/index.html"))
    assert not (site / "tags" / "series-1").exists(), "a tag page with no post left stays"
    assert f"{SITE_URL}tags/series-1/" not in sitemap_locs(site)
    assert not any(gone.public_slug in loc for loc in sitemap_locs(site))
    assert any(kept.public_slug in loc for loc in sitemap_locs(site))
    assert_site_whole(site)

    actions = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.actor_id)
        .where(AuditEvent.post_id == gone.id)
        .order_by(AuditEvent.id)
    ).all()
    assert ("post.retract_requested", reviewer.id) in actions
    assert actions[-1].action == "post.retract"


def test_retracting_a_scheduled_post_keeps_it_off_the_site(
    app, create_post, writer, reviewer, site
):
    """Retract is offered while the publication is pending; it must win over the schedule."""
    post = create_post(writer, content(1))
    publish_at = utcnow() + timedelta(hours=1)
    scheduled = approve(post, reviewer, publish_at=publish_at)
    retract = outbox.request_retract(post, reviewer)
    db.session.commit()
    publisher.run(retract.id)
    publisher.run(scheduled.id, now=publish_at + timedelta(seconds=1))
    db.session.refresh(post)
    assert post.published_revision_id is None, "the retracted post went live on schedule"
    assert not (site / "posts").exists()


# --- scheduling -------------------------------------------------------------------------------


def test_a_scheduled_job_waits_for_its_time(app, create_post, writer, reviewer, site, tmp_path):
    post = create_post(writer, content(1))
    now = utcnow()
    publish_at = now + timedelta(hours=2)
    job = approve(post, reviewer, publish_at=publish_at)
    assert _queued(tmp_path) == [], "a job that is not due yet was sent"
    assert job.not_before == publish_at

    assert publisher.run(job.id) is False
    assert publisher.run(job.id, now=publish_at - timedelta(seconds=1)) is False
    assert not site.exists()
    assert job.id not in outbox.due_jobs(now)
    assert job.id not in outbox.due_jobs(publish_at - timedelta(seconds=1))
    assert job.id in outbox.due_jobs(publish_at + timedelta(seconds=1))
    assert outbox.latest_job(post).status == JobStatus.PENDING

    assert publisher.run(job.id, now=publish_at + timedelta(seconds=1))
    assert post.state == PostState.PUBLISHED
    assert page_path(site, post).is_file()
    assert job.id not in outbox.due_jobs(publish_at + timedelta(hours=1))


def test_the_sweep_resends_stale_jobs_only(app, create_post, writer, reviewer):
    post = create_post(writer, content(1))
    job = approve(post, reviewer)
    now = utcnow()
    assert job.id not in outbox.due_jobs(now), "just sent: the sweep must not send it again"
    assert job.id in outbox.due_jobs(now + outbox.STALE_PENDING + timedelta(seconds=1))
    # A running job is sent again only once its worker is gone (test_publishing_recovery.py).
    mark_running(job, "elsewhere:1")
    assert job.id not in outbox.due_jobs(now + timedelta(days=1))
    job.status = JobStatus.DONE
    db.session.commit()
    assert outbox.due_jobs(now + timedelta(days=1)) == []


def test_the_sweep_does_not_resend_a_scheduled_job_it_has_just_sent(
    app, create_post, writer, reviewer, tmp_path
):
    post = create_post(writer, content(1))
    job = approve(post, reviewer, publish_at=utcnow() + timedelta(hours=1))
    # Two hours later, nobody has run it yet (the worker was down).
    hours = timedelta(hours=2)
    job.created_at, job.not_before, job.updated_at = (
        job.created_at - hours,
        job.not_before - hours,
        job.updated_at - hours,
    )
    db.session.commit()
    assert publisher.sweep() == 1
    assert len(_queued(tmp_path)) == 1
    assert publisher.sweep() == 0, "sent again at once: a duplicate every 30 s until it runs"
    assert len(_queued(tmp_path)) == 1


# --- failures ---------------------------------------------------------------------------------


def test_a_job_that_keeps_failing_is_marked_failed(app, create_post, writer, reviewer, tmp_path):
    """The task retries transient errors, then gives up and says so (eager: no waiting)."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app.config["SITE_DIR"] = str(blocker / "site")
    post = create_post(writer, content(1))
    job_id = approve(post, reviewer).id
    db.session.rollback()  # the task's own session must not wait for this one (SQLite)
    publisher.run_job.apply(args=[job_id])
    job = db.session.get(PublishJob, job_id)
    assert job.status == JobStatus.FAILED, "the job was left running after its last retry"
    assert job.attempts == publisher.run_job.max_retries + 1
    assert "Not a directory" in job.last_error
