"""The `editorial` command line: accounts, import/export/check of posts, and the demo data."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from editorial import cli
from editorial.domain import checklist
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import AuditEvent, Post, Revision, Role, User, db
from editorial.operations import accounts, review, tokens
from editorial.operations import posts as operations
from tests.conftest import PASSWORD, SAMPLES, sample

GOOD = SAMPLES / "python-web-frameworks-2026.json"
OTHER = SAMPLES / "password-managers-2026.json"


def _write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _count(model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _counts() -> tuple[int, int, int]:
    """Posts, revisions and audit events: what an import writes."""
    return _count(Post), _count(Revision), _count(AuditEvent)


def _without_slug(data: Any) -> dict[str, Any]:
    content = parse_post(data).content()
    del content["slug"]
    return content


def _invoke(runner: Any, args: list[str], **kwargs: Any) -> Any:
    """Run a command, then drop whatever it left uncommitted: tests see what it committed."""
    result = runner.invoke(args=args, **kwargs)
    db.session.rollback()
    return result


def _users(*args: str) -> list[str]:
    return ["users", *args]


# ---- users -----------------------------------------------------------------------------------


def test_users_create_with_several_roles(app, runner):
    result = _invoke(
        runner,
        _users(
            "create",
            "--email",
            "Wren@Example.com",
            "--name",
            "Wren",
            "--role",
            "writer",
            "--role",
            "reviewer",
            "--password",
            PASSWORD,
        ),
    )
    assert result.exit_code == 0, result.output
    assert "Created wren@example.com (reviewer, writer)." in result.stdout
    user = accounts.find_user("wren@example.com")
    assert user.display_name == "Wren"
    assert user.roles == {Role.WRITER, Role.REVIEWER}
    assert accounts.authenticate("wren@example.com", PASSWORD) == user


def test_users_create_prompts_for_the_password_twice(app, runner):
    result = _invoke(
        runner,
        _users("create", "--email", "w@example.com", "--name", "W", "--role", "writer"),
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1
    assert "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output
    assert accounts.authenticate("w@example.com", PASSWORD) is not None


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", PASSWORD, "email: An email address must have an @-sign."),
        ("new@example.com", "short", "password: Use at least 8 characters"),
        ("Taken@example.com", PASSWORD, "email: taken@example.com already has an account."),
    ],
    ids=["bad-email", "short-password", "duplicate-email"],
)
def test_users_create_refuses_bad_input(app, runner, create_user, email, password, message):
    create_user("taken@example.com", Role.ADMIN, name="First")
    result = _invoke(
        runner,
        _users(
            "create",
            "--email",
            email,
            "--name",
            "Second",
            "--role",
            "writer",
            "--password",
            password,
        ),
    )
    assert result.exit_code == 1
    assert message in result.stderr
    assert db.session.scalars(sa.select(User.display_name)).all() == ["First"]


def test_users_create_rejects_an_unknown_role(app, runner):
    result = _invoke(
        runner,
        _users(
            "create",
            "--email",
            "w@example.com",
            "--name",
            "W",
            "--role",
            "boss",
            "--password",
            PASSWORD,
        ),
    )
    assert result.exit_code == 2
    assert "Invalid value for '--role': 'boss' is not one of" in result.stderr
    assert _count(User) == 0


def test_users_list_shows_roles_and_status(app, runner, create_user):
    create_user("b@example.com", Role.ADMIN, name="Bea")
    create_user("a@example.com", Role.ADMIN, Role.WRITER, Role.REVIEWER, name="Al")
    accounts.set_active(accounts.find_user("b@example.com"), False)
    db.session.commit()
    result = _invoke(runner, _users("list"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "a@example.com\tAl\tadmin,reviewer,writer\tactive",
        "b@example.com\tBea\tadmin\tdeactivated",
    ]


def test_users_set_roles_replaces_them(app, runner, create_user):
    user = create_user("w@example.com", Role.WRITER)
    result = _invoke(
        runner, _users("set-roles", "W@example.com", "--role", "admin", "--role", "reviewer")
    )
    assert result.exit_code == 0, result.output
    assert "w@example.com now has roles: admin, reviewer." in result.stdout
    db.session.expire_all()
    assert user.roles == {Role.ADMIN, Role.REVIEWER}


def test_users_deactivate_ends_sessions_and_activate_restores(app, runner, create_user):
    user = create_user("w@example.com")
    token = user.session_token

    result = _invoke(runner, _users("deactivate", "w@example.com"))
    assert result.exit_code == 0, result.output
    assert "w@example.com is deactivated." in result.stdout
    db.session.expire_all()
    assert user.active is False
    assert user.session_token != token
    assert accounts.authenticate("w@example.com", PASSWORD) is None

    result = _invoke(runner, _users("activate", "w@example.com"))
    assert result.exit_code == 0, result.output
    assert "w@example.com is active again." in result.stdout
    db.session.expire_all()
    assert user.active is True
    assert accounts.authenticate("w@example.com", PASSWORD) == user


def test_deactivating_ends_api_tokens_for_good(app, runner, create_user):
    user = create_user("w@example.com")
    _, token = tokens.create_token(user, "agent")
    db.session.commit()
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/posts", headers=bearer).status_code == 200

    assert _invoke(runner, _users("deactivate", "w@example.com")).exit_code == 0
    assert _invoke(runner, _users("activate", "w@example.com")).exit_code == 0
    # Active again, the person signs in; the old token stays dead and a new one works.
    assert accounts.authenticate("w@example.com", PASSWORD) is not None
    assert api.get("/api/v1/posts", headers=bearer).status_code == 401
    db.session.expire_all()
    assert tokens.list_tokens(accounts.find_user("w@example.com")) == []
    _, fresh_token = tokens.create_token(accounts.find_user("w@example.com"), "agent")
    db.session.commit()
    fresh = {"Authorization": f"Bearer {fresh_token}"}
    assert api.get("/api/v1/posts", headers=fresh).status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        _users("deactivate", "a@example.com"),
        _users("set-roles", "a@example.com", "--role", "writer"),
    ],
    ids=["deactivate", "set-roles"],
)
def test_the_command_line_never_removes_the_last_admin(app, runner, create_user, args):
    create_user("a@example.com", Role.ADMIN)
    create_user("gone@example.com", Role.ADMIN)
    assert _invoke(runner, _users("deactivate", "gone@example.com")).exit_code == 0
    events = _count(AuditEvent)

    result = _invoke(runner, args)
    assert result.exit_code == 1, result.output
    assert "This is the last admin; make someone else admin first." in result.stderr
    assert "Traceback" not in result.output
    db.session.expire_all()
    admin = accounts.find_user("a@example.com")
    assert admin.active and admin.roles == {Role.ADMIN}
    assert _count(AuditEvent) == events
    # With a second active admin, the same command goes through.
    assert _invoke(runner, _users("activate", "gone@example.com")).exit_code == 0
    assert _invoke(runner, args).exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        _users("set-roles", "nobody@example.com", "--role", "admin"),
        _users("deactivate", "nobody@example.com"),
        _users("activate", "nobody@example.com"),
        ["posts", "import", str(GOOD), "--author", "nobody@example.com"],
    ],
    ids=["set-roles", "deactivate", "activate", "import"],
)
def test_an_unknown_email_is_an_error(app, runner, create_user, args):
    create_user("w@example.com")
    result = _invoke(runner, args)
    assert result.exit_code == 1
    assert "No user with e-mail nobody@example.com." in result.stderr
    assert _count(Post) == 0


# ---- posts import ----------------------------------------------------------------------------


def test_import_prints_id_and_slug_per_file(app, runner, create_user):
    writer = create_user("w@example.com")
    result = _invoke(runner, ["posts", "import", str(GOOD), str(OTHER), "--author", writer.email])
    assert result.exit_code == 0, result.output
    posts = db.session.scalars(sa.select(Post).order_by(Post.id)).all()
    assert result.stdout.splitlines() == [f"{p.id}\t{p.slug}" for p in posts]
    assert [p.slug for p in posts] == ["python-web-frameworks-2026", "password-managers-2026"]
    assert {(p.state, p.author_id) for p in posts} == {(PostState.DRAFT, writer.id)}
    assert posts[0].current_revision.content == parse_post(GOOD.read_bytes()).content()


def _bad_url() -> dict[str, Any]:
    data = sample()
    data["entries"][1]["url"] = "javascript:alert(1)"
    return data


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
    bad = _write(tmp_path / "bad.json", content)
    before = _counts()
    result = _invoke(
        runner, ["posts", "import", str(GOOD), str(bad), str(OTHER), "--author", writer.email]
    )
    assert result.exit_code == 1
    assert f"{bad}: {where}" in result.stderr
    assert "1 of 3 file(s) not imported." in result.stderr
    slugs = db.session.scalars(sa.select(Post.slug).order_by(Post.id)).all()
    assert slugs == ["python-web-frameworks-2026", "password-managers-2026"]
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == slugs
    # Each good file wrote one post, one revision and one audit event; the bad one nothing.
    assert _counts() == tuple(n + 2 for n in before)


def test_a_taken_slug_is_refused_naming_it(app, runner, create_user):
    writer = create_user("w@example.com")
    result = _invoke(runner, ["posts", "import", str(GOOD), str(GOOD), "--author", writer.email])
    assert result.exit_code == 1
    post_id = db.session.scalar(sa.select(Post.id))
    assert result.stdout.splitlines() == [f"{post_id}\tpython-web-frameworks-2026"]
    assert (
        f'{GOOD}: slug: The slug "python-web-frameworks-2026" is already taken by another post.'
        in result.stderr
    )
    assert _counts()[:2] == (1, 1)


def test_import_needs_an_author_who_writes(app, runner, create_user):
    reviewer = create_user("r@example.com", Role.REVIEWER)
    before = _counts()
    result = _invoke(runner, ["posts", "import", str(GOOD), "--author", reviewer.email])
    assert result.exit_code == 1
    assert "r@example.com is not an active writer." in result.stderr
    assert _counts() == before


# ---- posts export ----------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["id", "slug"])
def test_export_then_import_gives_back_the_same_content(app, runner, create_user, tmp_path, by):
    writer = create_user("w@example.com")
    imported = _invoke(runner, ["posts", "import", str(GOOD), "--author", writer.email])
    post_id, slug = imported.stdout.split()

    result = _invoke(runner, ["posts", "export", post_id if by == "id" else slug])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.stdout)
    assert exported["meta"]["id"] == int(post_id)
    assert exported["meta"]["state"] == "draft"
    assert exported["meta"]["revision"] == 1
    assert exported["meta"]["author"] == {"email": writer.email, "name": writer.display_name}

    copy = _write(tmp_path / "copy.json", {**exported, "slug": "a-copy"})
    again = _invoke(runner, ["posts", "import", str(copy), "--author", writer.email])
    assert again.exit_code == 0, again.output
    copy_id, copy_slug = again.stdout.split()
    assert copy_slug == "a-copy"
    round_trip = json.loads(_invoke(runner, ["posts", "export", copy_id]).stdout)
    assert round_trip["slug"] == "a-copy"
    assert _without_slug(round_trip) == _without_slug(GOOD.read_bytes())


@pytest.mark.parametrize("what", ["no-such-post", "999"])
def test_export_of_an_unknown_post_is_an_error(app, runner, what):
    result = _invoke(runner, ["posts", "export", what])
    assert result.exit_code == 1
    assert f"No post with id or slug {what}." in result.stderr
    assert result.stdout == ""


# ---- posts approve / request-changes -------------------------------------------------------


@pytest.fixture
def in_review(app, create_user):
    """A post in review by a writer who also reviews; another reviewer; the post's id."""
    author = create_user("ada@example.com", Role.WRITER, Role.REVIEWER)
    create_user("rob@example.com", Role.REVIEWER)
    post = operations.create_post(parse_post(sample()), author)
    operations.submit_for_review(post, author)
    db.session.commit()
    return post.id


def _tick_everything(post_id: int, email: str) -> None:
    post = db.session.get(Post, post_id)
    keys = {item.key for item in checklist.items(post.current_revision.content)}
    review.sign_off(post, accounts.find_user(email), keys)
    db.session.commit()


def _approve(post_id: int, reviewer: str) -> list[str]:
    return ["posts", "approve", str(post_id), "--reviewer", reviewer, "--revision", "1"]


def test_a_reviewer_approves_what_they_ticked_in_the_desk(app, runner, in_review):
    _tick_everything(in_review, "rob@example.com")
    result = _invoke(runner, _approve(in_review, "rob@example.com"))
    assert result.exit_code == 0, result.output
    assert "Approved revision 1" in result.stdout
    assert db.session.get(Post, in_review).state == PostState.APPROVED


def test_nobody_approves_their_own_post_from_the_command_line(app, runner, in_review):
    result = _invoke(runner, _approve(in_review, "ada@example.com"))
    assert result.exit_code == 1
    assert "Nobody reviews their own post" in result.stderr
    assert db.session.get(Post, in_review).state == PostState.IN_REVIEW


def test_approving_needs_the_whole_checklist_ticked(app, runner, in_review):
    result = _invoke(runner, _approve(in_review, "rob@example.com"))
    assert result.exit_code == 1
    assert "Tick every checklist item before approving" in result.stderr
    assert "Traceback" not in result.output
    assert db.session.get(Post, in_review).state == PostState.IN_REVIEW


@pytest.mark.parametrize(
    ("reviewer", "exit_code", "state", "said"),
    [
        ("rob@example.com", 0, PostState.CHANGES_REQUESTED, "Sent python-web-frameworks-2026"),
        ("ada@example.com", 1, PostState.IN_REVIEW, "Nobody reviews their own post"),
    ],
)
def test_request_changes_from_the_command_line(
    app, runner, in_review, reviewer, exit_code, state, said
):
    args = ["posts", "request-changes", str(in_review), "--reviewer", reviewer, "--revision", "1"]
    result = _invoke(runner, [*args, "--comment", "Name a real alternative to Flask."])
    assert result.exit_code == exit_code, result.output
    assert said in result.output
    assert db.session.get(Post, in_review).state == state


# ---- posts check (no database needed) --------------------------------------------------------


def _check(*args: str, **kwargs: Any) -> Any:
    return CliRunner().invoke(cli.posts, ["check", *args], **kwargs)


def _without_pick_else() -> dict[str, Any]:
    data = sample()
    data["entries"][2]["pick_else"] = ""
    return data


def test_check_passes_a_complete_sample():
    result = _check(str(GOOD))
    assert result.exit_code == 0, result.output
    assert f"0 error(s), 0 warning(s) in {GOOD}." in result.stdout


def test_check_names_the_entry_without_a_pick_else_note(tmp_path):
    path = _write(tmp_path / "post.json", _without_pick_else())
    result = _check(str(path))
    assert result.exit_code == 1
    assert (
        'error: entries[2].pick_else: Entry #3 "Flask" has no "when to pick something else" note.'
        in result.stdout
    )
    assert f"1 error(s), 0 warning(s) in {path}." in result.stdout


def test_check_reads_stdin_for_a_dash():
    result = _check("-", input=json.dumps(_without_pick_else()))
    assert result.exit_code == 1
    assert 'Entry #3 "Flask" has no' in result.stdout
    assert "1 error(s), 0 warning(s) in -." in result.stdout


@pytest.mark.parametrize(
    ("content", "where"),
    [("{", "(whole file): not valid JSON"), (_bad_url(), "entries[1].url: must be a web address")],
    ids=["bad-json", "bad-url"],
)
def test_check_of_a_malformed_file_names_it(tmp_path, content, where):
    path = _write(tmp_path / "broken.json", content)
    result = _check(str(path))
    assert result.exit_code == 1
    assert f"{path}: {where}" in result.stderr
    assert "error(s)" not in result.stdout


# ---- demo ------------------------------------------------------------------------------------

DEMO_LINE = re.compile(r"^  (\S+@example\.com) +(\S+) +(.+)$", re.MULTILINE)


def _demo(runner: Any) -> dict[str, str]:
    """Run `demo`; the printed password of each demo account."""
    result = _invoke(runner, ["demo"])
    assert result.exit_code == 0, result.output
    return {email: password for email, password, _roles in DEMO_LINE.findall(result.stdout)}


def test_demo_creates_accounts_and_posts_in_several_states(app, runner):
    passwords = _demo(runner)
    assert sorted(passwords) == sorted(email for email, _name, _roles in cli.DEMO_USERS)
    for email, password in passwords.items():
        assert accounts.authenticate(email, password) is not None, email
    states = dict(db.session.execute(sa.select(Post.slug, Post.state)).all())
    assert states == {
        "python-web-frameworks-2026": PostState.APPROVED,
        "password-managers-2026": PostState.IN_REVIEW,
        "static-site-generators-2026": PostState.CHANGES_REQUESTED,
        "note-taking-apps-2026": PostState.DRAFT,
    }


def test_demo_runs_twice_with_new_passwords_and_no_duplicates(app, runner):
    first = _demo(runner)
    counts = _counts()[:2]
    second = _demo(runner)
    assert _counts()[:2] == counts
    assert second.keys() == first.keys()
    for email in first:
        assert second[email] != first[email]
        assert accounts.authenticate(email, first[email]) is None
        assert accounts.authenticate(email, second[email]) is not None


def test_demo_restores_a_changed_demo_account(app, runner, create_user):
    create_user("writer@example.com", Role.REVIEWER)
    _invoke(runner, _users("deactivate", "writer@example.com"))
    passwords = _demo(runner)
    writer = accounts.find_user("writer@example.com")
    assert writer.roles == {Role.WRITER}
    assert accounts.authenticate("writer@example.com", passwords["writer@example.com"]) == writer
    draft = db.session.scalar(sa.select(Post).where(Post.slug == "note-taking-apps-2026"))
    assert draft.author == writer


# ---- the console script, as a real process ---------------------------------------------------


@pytest.mark.slow
def test_the_console_script_on_a_fresh_instance(tmp_path):
    script = Path(sys.executable).parent / "editorial"
    if not script.exists():
        script = Path(shutil.which("editorial") or "editorial")
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "CELERY_BROKER_URL", "FLASK_APP"}
    }
    env["EDITORIAL_INSTANCE_PATH"] = str(tmp_path / "instance")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )

    assert run("db", "upgrade").returncode == 0
    assert (tmp_path / "instance" / "editorial.sqlite3").exists()
    created = run(
        "users",
        "create",
        "--email",
        "w@example.com",
        "--name",
        "W",
        "--role",
        "writer",
        "--password",
        PASSWORD,
    )
    assert created.returncode == 0, created.stderr
    imported = run("posts", "import", str(GOOD), "--author", "w@example.com")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == "1\tpython-web-frameworks-2026\n"

    exported = run("posts", "export", "python-web-frameworks-2026")
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["meta"]["author"]["email"] == "w@example.com"
    assert parse_post(data).content() == parse_post(GOOD.read_bytes()).content()

    copy = _write(tmp_path / "copy.json", {**data, "slug": "a-copy"})
    again = run("posts", "import", str(copy), "--author", "w@example.com")
    assert again.stdout == "2\ta-copy\n", again.stderr
    round_trip = json.loads(run("posts", "export", "2").stdout)
    assert _without_slug(round_trip) == _without_slug(GOOD.read_bytes())

    broken = _write(tmp_path / "broken.json", _without_pick_else())
    checked = run("posts", "check", str(broken))
    assert checked.returncode == 1
    assert 'Entry #3 "Flask" has no "when to pick something else" note.' in checked.stdout
    assert "Traceback" not in checked.stderr
