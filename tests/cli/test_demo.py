"""`editorial demo` (accounts and posts in several states, run as often as one likes), and the
console script as a real process on a fresh instance."""

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

from editorial import cli
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Notification, Post, Role, db, utcnow
from editorial.operations import accounts, freshness
from tests.conftest import PASSWORD
from tests.helpers.cli import (
    GOOD,
    content_without_slug,
    import_counts,
    invoke,
    users_command,
    without_pick_else,
    write_file,
)

# ---- demo ------------------------------------------------------------------------------------


DEMO_LINE = re.compile(r"^  (\S+@example\.com) +(\S+) +(.+)$", re.MULTILINE)


def _demo(runner: Any) -> dict[str, str]:
    """Run `demo`; the printed password of each demo account."""
    result = invoke(runner, ["demo"])
    assert result.exit_code == 0, result.output
    return {email: password for email, password, _roles in DEMO_LINE.findall(result.stdout)}


def test_demo_creates_accounts_and_posts_in_several_states(app, runner):
    passwords = _demo(runner)
    assert sorted(passwords) == sorted(email for email, _name, _roles in cli.DEMO_USERS)
    for email, password in passwords.items():
        assert accounts.authenticate(email, password) is not None, email
    states = dict(db.session.execute(sa.select(Post.slug, Post.state)).all())
    assert states == {
        "python-web-frameworks-2026": PostState.PUBLISHED,
        "password-managers-2026": PostState.IN_REVIEW,
        "static-site-generators-2026": PostState.CHANGES_REQUESTED,
        "note-taking-apps-2026": PostState.DRAFT,
        "best-backend-frameworks-2026": PostState.APPROVED,
    }


def test_demo_has_a_live_post_due_for_re_review_and_its_people_told(app, runner):
    result = invoke(runner, ["demo"])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"python-web-frameworks-2026 +Published +by \S+ \(due for re-review\)", result.stdout
    )
    due = db.session.scalars(freshness.due_posts_query()).all()
    assert [post.slug for post in due] == ["python-web-frameworks-2026"]
    post = due[0]
    # Live on the site, its review-by day three weeks past, and listed by the beat's check.
    assert post.published_revision_id == post.current_revision_id
    assert (Path(app.config["SITE_DIR"]) / "posts" / post.slug / "index.html").exists()
    assert 20 <= (utcnow() - post.review_due_at).days <= 21
    assert post.due_notified_at is not None
    told = db.session.execute(
        sa.select(Notification.user_id, Notification.kind).where(Notification.post_id == post.id)
    ).all()
    reviewers = {accounts.find_user(e).id for e in ("reviewer@example.com", "admin@example.com")}
    assert {(uid, kind) for uid, kind in told if kind == "due"} == {(post.author_id, "due")} | {
        (uid, "due") for uid in reviewers
    }

    invoke(runner, ["demo"])  # again: nobody told twice, nothing published twice
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.post_id == post.id)
    ) == len(told)


def test_demo_runs_twice_with_new_passwords_and_no_duplicates(app, runner):
    first = _demo(runner)
    counts = import_counts()[:2]
    second = _demo(runner)
    assert import_counts()[:2] == counts
    assert second.keys() == first.keys()
    for email in first:
        assert second[email] != first[email]
        assert accounts.authenticate(email, first[email]) is None
        assert accounts.authenticate(email, second[email]) is not None


def test_demo_restores_a_changed_demo_account(app, runner, create_user):
    create_user("writer@example.com", Role.REVIEWER)
    invoke(runner, users_command("deactivate", "writer@example.com"))
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

    copy = write_file(tmp_path / "copy.json", {**data, "slug": "a-copy"})
    again = run("posts", "import", str(copy), "--author", "w@example.com")
    assert again.stdout == "2\ta-copy\n", again.stderr
    round_trip = json.loads(run("posts", "export", "2").stdout)
    assert content_without_slug(round_trip) == content_without_slug(GOOD.read_bytes())

    broken = write_file(tmp_path / "broken.json", without_pick_else())
    checked = run("posts", "check", str(broken))
    assert checked.returncode == 1
    assert 'Entry #3 "Flask" has no "when to pick something else" note.' in checked.stdout
    assert "Traceback" not in checked.stderr
