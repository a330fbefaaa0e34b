"""What keeps a publish fast without changing what it writes: a job's files written in order
by a thread of their own, and the JSON Feed's items written once."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from editorial.site import build
from editorial.site import feeds as sitefeeds

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


def test_the_json_feed_is_what_json_dumps_writes(app):
    items = [
        sitefeeds.Item(
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
        channel = sitefeeds.Channel(
            "Site", "https://example.org/", "https://example.org/feed", "d", hubs=hubs
        )
        for given in ([], items, [sitefeeds.Entry.of(item) for item in items]):
            data = json.loads(sitefeeds.json_feed(channel, given))
            entries = [
                sitefeeds.Entry.of(item) if isinstance(item, sitefeeds.Item) else item
                for item in given
            ]
            assert data["items"] == [entry.json for entry in entries]
            whole = {**data, "items": [entry.json for entry in entries]}
            expected = (json.dumps(whole, ensure_ascii=False) + "\n").encode()
            assert sitefeeds.json_feed(channel, given) == expected
