"""A desk home row while its post is being published: the row asks for itself again, so the
post's state and its status on the site change together, and each cell is labelled for the
phone's card layout."""

from __future__ import annotations

import re
import threading

import pytest

from editorial.models import db
from editorial.operations import outbox
from editorial.tasks import publishing as publisher
from tests.conftest import PASSWORD, SITE_URL
from tests.helpers.publisher import approve, content

pytestmark = pytest.mark.publisher


def _row(page, post_id):
    found = re.search(rf'<tr id="post-row-{post_id}".*?</tr>', page, re.S)
    assert found, page
    return found.group(0)


def _cells(row):
    cells = re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', row, re.S)
    return {
        label: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip() for label, text in cells
    }


def test_a_row_being_published_refreshes_its_state_and_status_together(
    app, client, auth, create_post, writer, reviewer, site
):
    post = create_post(writer, content(1))
    other = create_post(writer, content(2)).id
    job = approve(post, reviewer)
    post_id, slug = post.id, content(1)["slug"]
    writer_email, reviewer_email = writer.email, reviewer.email
    auth.login(writer_email, PASSWORD)

    page = client.get("/").get_data(as_text=True)
    row = _row(page, post_id)
    assert _cells(row)["State"] == "Approved" and _cells(row)["On the site"] == "Queued"
    # The row polls for itself; the status inside it does not poll on its own.
    assert f'hx-get="/?row={post_id}"' in row and 'hx-trigger="every 2s"' in row
    assert "hx-disable" in row
    assert "hx-get" not in _row(page, other)  # nothing under way: no polling
    # Every cell but the title is labelled: on a phone each row is a card of labelled lines.
    assert set(_cells(row)) == {
        "State",
        "Open findings",
        "Revision",
        "Last edit",
        "On the site",
        "Review by",
    }

    assert publisher.run(job.id)
    answer = client.get(f"/?row={post_id}", headers={"HX-Request": "true"})
    row = answer.get_data(as_text=True)
    assert row.strip().startswith(f'<tr id="post-row-{post_id}"') and row.count("<tr") == 1
    assert _cells(row)["State"] == "Published"
    assert _cells(row)["On the site"] == "Live (revision 1)"
    assert f'href="{SITE_URL}posts/{slug}/"' in row
    assert "hx-get" not in row  # done: the row stops asking

    # Only htmx asks for one row, and only for the signed-in writer's own posts.
    assert "<h1>My posts</h1>" in client.get(f"/?row={post_id}").get_data(as_text=True)
    auth.logout()
    auth.login(reviewer_email, PASSWORD)
    answer = client.get(f"/?row={post_id}", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and answer.get_data(as_text=True) == ""


def test_a_status_read_while_a_worker_finishes_shows_live_or_keeps_asking(
    app, client, auth, create_post, writer, reviewer, site, monkeypatch
):
    """The status a writer polls while a job is under way, read as a worker finishes the job:
    after the post is loaded, before its job is. It never reads as "Not published" (which
    stops the polling, so the desk would say so until reloaded)."""
    post = create_post(writer, content(1))
    post_id, job_id = post.id, approve(post, reviewer).id
    auth.login(writer.email, PASSWORD)
    latest_job = outbox.latest_job

    def a_worker_finishes_first(of_post):
        def publish() -> None:  # in a session of its own, as in a worker process
            with app.app_context():
                assert publisher.run(job_id)

        worker = threading.Thread(target=publish)
        worker.start()
        worker.join(30)
        return latest_job(of_post)

    monkeypatch.setattr(outbox, "latest_job", a_worker_finishes_first)
    status = client.get(f"/posts/{post_id}/publishing").get_data(as_text=True)
    assert "Not published" not in status
    # PostgreSQL reads each statement afresh: the job is done and the post live. SQLite reads
    # the request in one snapshot, from before the job: still queued, and still asking.
    live = f'href="{SITE_URL}posts/{content(1)["slug"]}/">Live</a> (revision 1)'
    assert live in status or ("Queued" in status and "hx-get" in status), status
    monkeypatch.undo()
    db.session.rollback()  # the test's requests share its session: the next one reads afresh
    assert live in client.get(f"/posts/{post_id}/publishing").get_data(as_text=True)
