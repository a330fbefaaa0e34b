"""`editorial posts import`, `export` and `check`: a bad file is refused whole and named, an
export imports back to the same content, and the check needs no database."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from editorial import cli
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Post, Role, db
from tests.conftest import sample
from tests.helpers.cli import (
    GOOD,
    OTHER,
    content_without_slug,
    import_counts,
    invoke,
    without_pick_else,
    write_file,
)


def _bad_url() -> dict[str, Any]:
    data = sample()
    data["entries"][1]["url"] = "javascript:alert(1)"
    return data


# ---- posts import ----------------------------------------------------------------------------


def test_import_prints_id_and_slug_per_file(app, runner, create_user):
    writer = create_user("w@example.com")
    result = invoke(runner, ["posts", "import", str(GOOD), str(OTHER), "--author", writer.email])
    assert result.exit_code == 0, result.output
    posts = db.session.scalars(sa.select(Post).order_by(Post.id)).all()
    assert result.stdout.splitlines() == [f"{p.id}\t{p.slug}" for p in posts]
    assert [p.slug for p in posts] == ["python-web-frameworks-2026", "password-managers-2026"]
    assert {(p.state, p.author_id) for p in posts} == {(PostState.DRAFT, writer.id)}
    assert posts[0].current_revision.content == parse_post(GOOD.read_bytes()).content()


def _no_bias() -> dict[str, Any]:
    data = sample()
    del data["bias"]
    return data


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('{"title": "cut short', "(whole file): not valid JSON"),
        (_bad_url(), "entries[1].url: must be a web address starting with http:// or https://"),
        (_no_bias(), "bias: Field required"),
    ],
    ids=["bad-json", "bad-url", "missing-bias"],
)
def test_a_bad_file_is_skipped_whole_and_the_good_ones_are_imported(
    app, runner, create_user, tmp_path, content, where
):
    writer = create_user("w@example.com")
    bad = write_file(tmp_path / "bad.json", content)
    before = import_counts()
    result = invoke(
        runner, ["posts", "import", str(GOOD), str(bad), str(OTHER), "--author", writer.email]
    )
    assert result.exit_code == 1
    assert f"{bad}: {where}" in result.stderr
    assert "1 of 3 file(s) not imported." in result.stderr
    slugs = db.session.scalars(sa.select(Post.slug).order_by(Post.id)).all()
    assert slugs == ["python-web-frameworks-2026", "password-managers-2026"]
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == slugs
    # Each good file wrote one post, one revision and one audit event; the bad one nothing.
    assert import_counts() == tuple(n + 2 for n in before)


def test_a_taken_slug_is_refused_naming_it(app, runner, create_user):
    writer = create_user("w@example.com")
    result = invoke(runner, ["posts", "import", str(GOOD), str(GOOD), "--author", writer.email])
    assert result.exit_code == 1
    post_id = db.session.scalar(sa.select(Post.id))
    assert result.stdout.splitlines() == [f"{post_id}\tpython-web-frameworks-2026"]
    assert (
        f'{GOOD}: slug: The slug "python-web-frameworks-2026" is already taken by another post.'
        in result.stderr
    )
    assert import_counts()[:2] == (1, 1)


def test_import_needs_an_author_who_writes(app, runner, create_user):
    reviewer = create_user("r@example.com", Role.REVIEWER)
    before = import_counts()
    result = invoke(runner, ["posts", "import", str(GOOD), "--author", reviewer.email])
    assert result.exit_code == 1
    assert "r@example.com is not an active writer." in result.stderr
    assert import_counts() == before


# ---- posts export ----------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["id", "slug"])
def test_export_then_import_gives_back_the_same_content(app, runner, create_user, tmp_path, by):
    writer = create_user("w@example.com")
    imported = invoke(runner, ["posts", "import", str(GOOD), "--author", writer.email])
    post_id, slug = imported.stdout.split()

    result = invoke(runner, ["posts", "export", post_id if by == "id" else slug])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.stdout)
    assert exported["meta"]["id"] == int(post_id)
    assert exported["meta"]["state"] == "draft"
    assert exported["meta"]["revision"] == 1
    assert exported["meta"]["author"] == {"email": writer.email, "name": writer.display_name}

    copy = write_file(tmp_path / "copy.json", {**exported, "slug": "a-copy"})
    again = invoke(runner, ["posts", "import", str(copy), "--author", writer.email])
    assert again.exit_code == 0, again.output
    copy_id, copy_slug = again.stdout.split()
    assert copy_slug == "a-copy"
    round_trip = json.loads(invoke(runner, ["posts", "export", copy_id]).stdout)
    assert round_trip["slug"] == "a-copy"
    assert content_without_slug(round_trip) == content_without_slug(GOOD.read_bytes())


@pytest.mark.parametrize("what", ["no-such-post", "999"])
def test_export_of_an_unknown_post_is_an_error(app, runner, what):
    result = invoke(runner, ["posts", "export", what])
    assert result.exit_code == 1
    assert f"No post with id or slug {what}." in result.stderr
    assert result.stdout == ""


# ---- posts check (no database needed) --------------------------------------------------------


def _check(*args: str, **kwargs: Any) -> Any:
    return CliRunner().invoke(cli.posts, ["check", *args], **kwargs)


def test_check_passes_a_complete_sample():
    result = _check(str(GOOD))
    assert result.exit_code == 0, result.output
    assert f"0 error(s), 0 warning(s) in {GOOD}." in result.stdout


def test_check_names_the_entry_without_a_pick_else_note(tmp_path):
    path = write_file(tmp_path / "post.json", without_pick_else())
    result = _check(str(path))
    assert result.exit_code == 1
    assert (
        'error: entries[2].pick_else: Entry #3 "Flask" has no "when to pick something else" note.'
        in result.stdout
    )
    assert f"1 error(s), 0 warning(s) in {path}." in result.stdout


def test_check_reads_stdin_for_a_dash():
    result = _check("-", input=json.dumps(without_pick_else()))
    assert result.exit_code == 1
    assert 'Entry #3 "Flask" has no' in result.stdout
    assert "1 error(s), 0 warning(s) in -." in result.stdout


@pytest.mark.parametrize(
    ("content", "where"),
    [("{", "(whole file): not valid JSON"), (_bad_url(), "entries[1].url: must be a web address")],
    ids=["bad-json", "bad-url"],
)
def test_check_of_a_malformed_file_names_it(tmp_path, content, where):
    path = write_file(tmp_path / "broken.json", content)
    result = _check(str(path))
    assert result.exit_code == 1
    assert f"{path}: {where}" in result.stderr
    assert "error(s)" not in result.stdout
