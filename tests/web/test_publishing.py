"""Publishing in the desk, on each database: a post's publishing status, retrying a failed job,
who may retract a live post, and the site as the desk serves it at /site/."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from editorial.models import JobStatus, PublishJob, Role, db, utcnow
from editorial.operations import outbox, publishing
from editorial.tasks import publishing as publisher
from tests.conftest import PASSWORD, SITE_URL
from tests.helpers.publisher import approve, content, mark_running

# The app writes the site to ``site``, at SITE_URL, and sends jobs to a private queue.
pytestmark = pytest.mark.publisher

# --- the publishing status and retries --------------------------------------------------------


def test_desk_shows_a_failed_job_with_its_error_and_retry(
    app, client, auth, create_post, writer, reviewer, site
):
    post = create_post(writer, content(1))
    job = approve(post, reviewer)
    auth.login(writer.email, PASSWORD)
    status = client.get(f"/posts/{post.id}/publishing").get_data(as_text=True)
    assert "Queued" in status
    assert f'hx-get="/posts/{post.id}/publishing"' in status

    # The status while a worker holds the job:
    mark_running(job, outbox.this_worker())
    assert "Publishing…" in client.get(f"/posts/{post.id}/publishing").get_data(as_text=True)

    publishing.fail(job.id, OSError(28, "No space left on device"))
    db.session.commit()
    status = client.get(f"/posts/{post.id}/publishing").get_data(as_text=True)
    assert "Publishing failed" in status
    assert "No space left on device" in status
    assert f'name="job" value="{job.id}"' in status
    assert ">Retry</button>" in status
    assert "hx-get" not in status, "a failed job is not polled"
    history = client.get(f"/posts/{post.id}/history").get_data(as_text=True)
    assert "No space left on device" in history

    response = client.post(f"/posts/{post.id}/publishing/retry", data={"job": job.id})
    assert response.status_code == 302
    db.session.rollback()
    job = db.session.get(PublishJob, job.id)
    assert (job.status, job.attempts, job.last_error) == (JobStatus.PENDING, 0, None)
    assert "Queued" in client.get(f"/posts/{post.id}/publishing").get_data(as_text=True)

    assert publisher.run(job.id)
    status = client.get(f"/posts/{post.id}/publishing").get_data(as_text=True)
    assert f'href="{SITE_URL}posts/{post.public_slug}/">Live</a> (revision 1)' in status
    assert "hx-get" not in status
    assert "Live" in client.get("/").get_data(as_text=True)


def test_retry_refuses_a_job_that_did_not_fail(app, client, auth, create_post, writer, reviewer):
    post = create_post(writer, content(1))
    job = approve(post, reviewer)
    auth.login(writer.email, PASSWORD)
    client.post(f"/posts/{post.id}/publishing/retry", data={"job": job.id})
    db.session.rollback()
    assert db.session.get(PublishJob, job.id).status == JobStatus.PENDING
    assert "Only a failed job can be retried." in client.get("/").get_data(as_text=True)


def test_the_status_shows_a_scheduled_job(app, client, auth, create_post, writer, reviewer):
    post = create_post(writer, content(1))
    publish_at = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    approve(post, reviewer, publish_at=publish_at)
    auth.login(writer.email, PASSWORD)
    status = client.get(f"/posts/{post.id}/publishing").get_data(as_text=True)
    assert f'Scheduled for <time datetime="{publish_at.isoformat()}">' in status
    assert publish_at.strftime("%Y-%m-%d %H:%M") + " UTC" in status


# --- the site as the desk serves it -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("", "text/html"),
        ("feed.rss", "application/rss+xml"),
        ("feed.atom", "application/atom+xml"),
        ("feed.json", "application/feed+json"),
        ("tags/python/feed.atom", "application/atom+xml"),
        ("sitemap.xml", "application/xml"),
    ],
)
def test_the_site_is_served_at_site(app, client, publish, site, path, mimetype):
    post = publish(1)
    response = client.get(f"/site/{path}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.data == (site / (path or "index.html")).read_bytes()
    if path == "":
        assert post.public_slug.encode() in response.data


def test_the_site_redirects_a_folder_and_refuses_to_leave_it(app, client, publish):
    post = publish(1)
    response = client.get(f"/site/posts/{post.public_slug}")
    assert response.status_code == 301
    assert response.location.endswith(f"/site/posts/{post.public_slug}/")
    assert client.get(f"/site/posts/{post.public_slug}/").status_code == 200
    assert client.get("/site/../instance/secret_key").status_code == 404
    assert client.get("/site/%2e%2e/instance/secret_key").status_code == 404
    assert client.get("/site/..%2Finstance/secret_key").status_code == 404
    # Nor does it tell which folders exist beside SITE_DIR (the instance folder is one).
    assert client.get("/site/..%2Finstance").status_code == 404
    assert client.get("/site/..%2Fno-such-folder").status_code == 404


# --- who may retract --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("author", True), ("other writer", False), ("reviewer", True)],
)
def test_who_may_retract_a_live_post(app, client, auth, publish, create_user, who, allowed):
    post = publish(1)
    emails = {"author": "writer@example.com", "reviewer": "rev@example.com"}
    email = emails.get(who) or create_user("other@example.com", Role.WRITER).email
    auth.login(email, PASSWORD)
    history = client.get(f"/posts/{post.id}/history")
    response = client.post(f"/posts/{post.id}/retract")
    jobs = db.session.scalars(sa.select(PublishJob.action).order_by(PublishJob.id)).all()
    if allowed:
        assert response.status_code == 302
        assert jobs == ["publish", "retract"]
        assert "Retract “" in history.get_data(as_text=True)
    else:
        assert response.status_code == 403
        assert history.status_code == 403
        assert jobs == ["publish"]
