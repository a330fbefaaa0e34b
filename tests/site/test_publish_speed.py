"""What keeps a publish fast without changing what it writes: a job's files written in order
by a thread of their own, each list's cards kept per process by version, and the JSON Feed's
items written once."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from editorial.models import db, utcnow
from editorial.site import build, formats, pages
from editorial.tasks import publishing as publisher
from tests.helpers.publisher import approve, edit

pytestmark = pytest.mark.publisher


def test_a_job_files_land_in_the_order_given_each_fsynced_before_its_rename(
    tmp_path: Path, monkeypatch
):
    events: list[tuple[str, str]] = []
    fsync, replace = os.fsync, os.replace

    def fsyncing(fd: int) -> None:
        events.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}")).name))
        fsync(fd)

    def replacing(src, dst) -> None:
        events.append(("replace", Path(dst).name))
        replace(src, dst)

    monkeypatch.setattr(build.os, "fsync", fsyncing)
    monkeypatch.setattr(build.os, "replace", replacing)
    (tmp_path / "same").write_bytes(b"same")
    (tmp_path / "gone").mkdir()
    with build._tidying():
        build.write_file(tmp_path / "a", b"a")
        build.write_file(tmp_path / "same", b"same")  # identical: left alone
        build.remove_folder(tmp_path / "gone")
        build.write_file(tmp_path / "sub" / "b", b"b")
    assert [kind for kind, _ in events] == ["fsync", "replace"] * 2
    assert [name for kind, name in events if kind == "replace"] == ["a", "b"]
    assert all(name.endswith(".tmp") for kind, name in events if kind == "fsync")
    assert (tmp_path / "a").read_bytes() == b"a"
    assert (tmp_path / "sub" / "b").read_bytes() == b"b"
    assert not (tmp_path / "gone").exists()


def test_a_failed_write_stops_the_writes_after_it_and_fails_the_job(tmp_path: Path):
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OSError), build._tidying():
        build.write_file(tmp_path / "file" / "under-a-file", b"x")  # fails: not a folder
        build.write_file(tmp_path / "after", b"y")
    assert not (tmp_path / "after").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_job_error_waits_for_the_files_given_before_it(tmp_path: Path):
    with pytest.raises(RuntimeError, match="the job failed"), build._tidying():
        build.write_file(tmp_path / "before", b"x")
        raise RuntimeError("the job failed")
    assert (tmp_path / "before").read_bytes() == b"x"


def test_cards_are_read_once_per_version_and_show_the_live_one(app, publish, reviewer, site):
    posts = [publish(n) for n in range(1, 4)]
    db.session.expire_all()
    listed = pages.home_posts()
    assert not any(pages.loaded_version(post) for post in listed)  # lists read no content
    first = pages.cards(listed)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert pages.cards(listed) == first
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []  # the second time, from memory
    assert [card["title"] for card in first] == [
        post.published_revision.content["title"] for post in listed
    ]
    edit(posts[0], title="A new title for the first post", correction="Retitled.")
    assert publisher.run(approve(posts[0], reviewer).id, now=utcnow() + timedelta(days=1))
    db.session.expire_all()
    again = {card["slug"]: card["title"] for card in pages.cards(pages.home_posts())}
    assert again[posts[0].public_slug] == "A new title for the first post"
    assert "A new title for the first post" in (site / "index.html").read_text()


def test_tag_names_read_at_once_are_those_read_one_by_one(app, publish):
    for n in range(1, 4):
        publish(n)
    slugs = ["python", "series-1", "series-2", "no-such-tag"]
    assert pages.tag_names(slugs) == {
        slug: pages.tag_name(slug) for slug in slugs if pages.tag_name(slug)
    }
    assert pages.tag_names([]) == {}


def test_the_json_feed_is_what_json_dumps_writes(app):
    items = [
        formats.Item(
            id=f"urn:uuid:{n}",
            url=f"https://example.org/posts/ä-{n}/",
            title='Quotes " and \\ and \u2028 and \x01',
            summary="Summary <b>",
            content_html="<p>ü 😀</p>",
            author="A",
            published_at=datetime(2026, 1, n),
            updated_at=datetime(2026, 1, n + 1, tzinfo=UTC),
            tags=["a", "ü"],
        )
        for n in range(1, 4)
    ]
    for hubs in ((), ("https://hub.example/",)):
        channel = formats.Channel(
            "Site", "https://example.org/", "https://example.org/feed", "d", hubs=hubs
        )
        for given in ([], items, [formats.Entry.of(item) for item in items]):
            data = json.loads(formats.json_feed(channel, given))
            entries = [
                formats.Entry.of(item) if isinstance(item, formats.Item) else item for item in given
            ]
            assert data["items"] == [entry.json for entry in entries]
            whole = {**data, "items": [entry.json for entry in entries]}
            expected = (json.dumps(whole, ensure_ascii=False) + "\n").encode()
            assert formats.json_feed(channel, given) == expected
