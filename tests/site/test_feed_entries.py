"""Feed entries made once per process and used again while nothing they show has changed:
each publish renders only the entries it has not made before, and a correction, a retraction,
a renamed author or another worker's publish reaches every feed at once."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from editorial.models import Publication, db, utcnow
from editorial.operations import accounts, outbox
from editorial.site import feeds as sitefeeds
from editorial.tasks import publishing as publisher
from tests.helpers.publisher import approve, edit, feed_ids

pytestmark = pytest.mark.publisher


def _entries(path: Path) -> dict[str, dict]:
    """The JSON Feed's entries, by id."""
    return {item["id"]: item for item in json.loads(path.read_bytes())["items"]}


@pytest.fixture
def renders(monkeypatch):
    """The feed entries rendered from here on (their content template's renders)."""
    rendered: list[str] = []
    original = sitefeeds.render_site

    def counting(name, **context):
        if name == "site/_feed_content.html":
            rendered.append(context["post"]["slug"])
        return original(name, **context)

    monkeypatch.setattr(sitefeeds, "render_site", counting)
    return rendered


def test_publishing_renders_only_the_new_post_entry(app, publish, site, renders):
    for n in range(1, 4):
        publish(n)
    renders.clear()
    post = publish(4)
    # The site's feed and the "python" feed list posts 1-4, "series 4" post 4: all made before
    # but the new one, which is made once for all three.
    assert renders == [post.public_slug]
    assert len(feed_ids(site / "feed.atom")) == 4


def test_a_correction_a_renamed_author_and_a_retraction_reach_the_feeds(
    app, publish, reviewer, writer, site
):
    posts = [publish(n) for n in range(1, 4)]
    edit(posts[0], correction="The *first* verdict was wrong.")
    assert publisher.run(approve(posts[0], reviewer).id, now=utcnow() + timedelta(days=1))
    corrected = _entries(site / "feed.json")[posts[0].feed_id]
    assert "The <em>first</em> verdict was wrong." in corrected["content_html"]

    accounts.change_name(writer, "Wren Renamed")
    db.session.commit()
    publish(4)
    for folder in (site, site / "tags" / "python"):
        names = {item["authors"][0]["name"] for item in _entries(folder / "feed.json").values()}
        assert names == {"Wren Renamed"}

    job = outbox.request_retract(posts[1], reviewer)
    db.session.commit()
    assert publisher.run(job.id)
    assert posts[1].feed_id not in _entries(site / "feed.json")
    assert posts[1].feed_id not in feed_ids(site / "tags" / "python" / "feed.atom")


def test_an_entry_follows_its_corrections_even_when_nothing_else_moved(app, publish):
    post = publish(1)
    (before,) = [e.item for e in sitefeeds.feed_entries([post])]
    assert "Corrections" not in before.content_html
    db.session.add(
        Publication(
            post_id=post.id,
            revision_id=post.published_revision_id,
            published_at=post.published_at,
            correction="<p>A note that came with no other change.</p>",
        )
    )
    db.session.flush()
    (after,) = [e.item for e in sitefeeds.feed_entries([post])]
    assert "A note that came with no other change." in after.content_html
    assert [e.item for e in sitefeeds.feed_entries([post])] == [after]


def test_an_entry_follows_the_site_address(app, publish):
    post = publish(1)
    (before,) = [e.item for e in sitefeeds.feed_entries([post])]
    app.config["SITE_URL"] = "https://elsewhere.example/"
    (after,) = [e.item for e in sitefeeds.feed_entries([post])]
    assert after.url == f"https://elsewhere.example/posts/{post.public_slug}/"
    assert before.url != after.url


def test_another_worker_correction_reaches_this_worker_feeds(
    app, make_app, publish, reviewer, site
):
    posts = [publish(n) for n in range(1, 3)]  # this worker has made both entries
    other = make_app(**{k: app.config[k] for k in ("SITE_DIR", "SITE_URL", "CELERY")})
    edit(posts[0], correction="Corrected by the other worker.")
    job_id = approve(posts[0], reviewer).id
    db.session.commit()  # this worker's transaction ends: on SQLite it holds the write lock
    with other.app_context():  # its own process: its own entries
        assert publisher.run(job_id, now=utcnow() + timedelta(days=1))
    db.session.expire_all()
    publish(3)  # this worker writes the feeds again
    entry = _entries(site / "feed.json")[posts[0].feed_id]
    assert "Corrected by the other worker." in entry["content_html"]
