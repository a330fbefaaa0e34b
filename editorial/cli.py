"""The `editorial` command line: the same operations as the desk, as CLI commands."""

from __future__ import annotations

import json
import secrets
import sys
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.orm import selectinload

from editorial import create_app
from editorial.domain.errors import InvalidInput, Refusal
from editorial.domain.interchange import InterchangeError, parse_post
from editorial.domain.rules import Severity, check_post
from editorial.models import ApiToken, Post, Role, User, db, utcnow
from editorial.operations import accounts, freshness, newsletter, outbox, publishing, review, tokens
from editorial.operations import posts as ops
from editorial.operations.audit import record
from editorial.site import build as sitebuild
from editorial.site import rebuild as siterebuild

ROLE_CHOICE = click.Choice([r.value for r in Role], case_sensitive=False)


def _fail(message: str) -> click.ClickException:
    return click.ClickException(message)


class Commands(click.Group):
    """A group of commands that end a refused operation as a click error: the refusal's message
    on stderr and exit status 1, nothing the command did committed."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Refusal as refusal:
            # The command's own app context has ended with it (rolled back); under a caller's
            # (the tests'), what the command flushed is rolled back here.
            if has_app_context():
                db.session.rollback()
            raise _fail(refusal.message) from None


def _problems(exc: InvalidInput, where: str = "") -> str:
    prefix = f"{where}: " if where else ""
    return "\n".join(f"{prefix}{path or '(whole file)'}: {msg}" for path, msg in exc.problems)


def _user(email: str) -> User:
    user = accounts.find_user(email)
    if user is None:
        raise _fail(f"No user with e-mail {email}.")
    return user


# ---- users -----------------------------------------------------------------------------------

users = Commands("users", help="Manage accounts.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE_CHOICE)
@click.option("--password", help="Prompted for when absent.")
@with_appcontext
def users_create(
    email: str, display_name: str, roles: tuple[str, ...], password: str | None
) -> None:
    """Create an account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, display_name, password, accounts.parse_roles(roles))
    except InvalidInput as exc:  # each problem named by its option (email: …, password: …)
        raise _fail(_problems(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(r.value for r in user.roles))}).")


@users.command("list")
@with_appcontext
def users_list() -> None:
    """List accounts with their roles."""
    query = sa.select(User).options(selectinload(User.role_rows)).order_by(User.email)
    for user in db.session.scalars(query):
        roles = ",".join(sorted(r.value for r in user.roles)) or "-"
        status = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{user.display_name}\t{roles}\t{status}")


@users.command("set-roles")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE_CHOICE)
@with_appcontext
def users_set_roles(email: str, roles: tuple[str, ...]) -> None:
    """Replace an account's roles (the last active admin keeps the admin role)."""
    user = _user(email)
    accounts.set_roles(user, accounts.parse_roles(roles))
    db.session.commit()
    click.echo(f"{user.email} now has roles: {', '.join(sorted(r.value for r in user.roles))}.")


@users.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    """Deactivate an account: no more sign-ins, its sessions and API tokens end (for good: they
    stay ended if it is reactivated). Its history stays. Never the last active admin."""
    user = _user(email)
    accounts.set_active(user, False)
    db.session.commit()
    click.echo(f"{user.email} is deactivated.")


@users.command("activate")
@click.argument("email")
@with_appcontext
def users_activate(email: str) -> None:
    """Reactivate a deactivated account."""
    user = _user(email)
    accounts.set_active(user, True)
    db.session.commit()
    click.echo(f"{user.email} is active again.")


# ---- posts -----------------------------------------------------------------------------------

posts = Commands("posts", help="Import, export and check ranking posts.")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"{path}: cannot read: {exc.strerror}") from None


@posts.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--author", "author_email", required=True, help="E-mail of the writer who owns them.")
@with_appcontext
def posts_import(files: tuple[Path, ...], author_email: str) -> None:
    """Import posts from interchange JSON files as drafts; each file is all or nothing."""
    author = _user(author_email)
    failed = 0
    for path in files:
        try:
            with db.session.begin_nested():
                post = ops.create_post(parse_post(_read(path)), author)
        except click.ClickException as exc:
            click.echo(f"Error: {exc.message}", err=True)
            failed += 1
            continue
        except InvalidInput as exc:
            click.echo(f"Error: {_problems(exc, str(path))}", err=True)
            failed += 1
            continue
        db.session.commit()
        click.echo(f"{post.id}\t{post.slug}")
    if failed:
        raise _fail(f"{failed} of {len(files)} file(s) not imported.")


@posts.command("export")
@click.argument("id_or_slug")
@with_appcontext
def posts_export(id_or_slug: str) -> None:
    """Print a post's current content as interchange JSON."""
    post = ops.get_post(id_or_slug)
    if post is None:
        raise _fail(f"No post with id or slug {id_or_slug}.")
    click.echo(json.dumps(ops.export_post(post), indent=2, ensure_ascii=False))


@posts.command("check")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
def posts_check(file: Path) -> None:
    """Print the editorial rules' findings for a file; exit status 1 when any is an error."""
    data = sys.stdin.buffer.read() if str(file) == "-" else _read(file)
    try:
        post = parse_post(data)
    except InterchangeError as exc:
        raise _fail(_problems(exc, str(file))) from None
    findings = check_post(post)
    for finding in findings:
        click.echo(f"{finding.severity.value}: {finding.field}: {finding.message} [{finding.code}]")
    errors = sum(f.severity == Severity.ERROR for f in findings)
    click.echo(f"{errors} error(s), {len(findings) - errors} warning(s) in {file}.")
    if errors:
        sys.exit(1)


def _decide(id_or_slug: str, reviewer_email: str, revision: int, decide: Any, comment: str) -> Post:
    post = ops.get_post(id_or_slug)
    if post is None:
        raise _fail(f"No post with id or slug {id_or_slug}.")
    reviewer = _user(reviewer_email)
    # The checklist is ticked in the desk; the command line decides on what was ticked there,
    # and on the revision the reviewer names as the one they read (refused if it is not current).
    ticked = {c.item.key for c in review.checklist_for(post, reviewer) if c.ticked}
    decide(post, reviewer, ticked, comment, revision)
    db.session.commit()
    return post


_REVISION = click.option(
    "--revision",
    type=click.IntRange(min=1),
    required=True,
    help="The revision you reviewed (its number); refused if the post has a newer one.",
)


@posts.command("approve")
@click.argument("id_or_slug")
@click.option("--reviewer", "reviewer_email", required=True, help="E-mail of the reviewer.")
@_REVISION
@click.option("--comment", default="", help="A note to go with the approval.")
@with_appcontext
def posts_approve(id_or_slug: str, reviewer_email: str, revision: int, comment: str) -> None:
    """Approve a post in review; the reviewer must have ticked its whole checklist in the desk."""
    post = _decide(id_or_slug, reviewer_email, revision, review.approve, comment)
    click.echo(f"Approved revision {post.approved_revision.number} of {post.slug}.")


@posts.command("request-changes")
@click.argument("id_or_slug")
@click.option("--reviewer", "reviewer_email", required=True, help="E-mail of the reviewer.")
@_REVISION
@click.option("--comment", required=True, help="What should change.")
@with_appcontext
def posts_request_changes(
    id_or_slug: str, reviewer_email: str, revision: int, comment: str
) -> None:
    """Send a post in review back to its writer with a comment."""
    post = _decide(id_or_slug, reviewer_email, revision, review.request_changes, comment)
    click.echo(f"Sent {post.slug} back to {post.author.email}.")


@posts.command("recheck")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True)
@with_appcontext
def posts_recheck(batch_size: int) -> None:
    """Compute again the stored findings of every revision checked by older rules (or never)."""
    total = 0
    while count := ops.recheck_stale(batch_size):
        db.session.commit()  # one batch at a time: a long run keeps what it has done
        total += count
        click.echo(f"Rechecked {total} revision(s)…")
    click.echo(f"{total} revision(s) rechecked; every revision's findings are current.")


@posts.command("list")
@with_appcontext
def posts_list() -> None:
    """List posts with their state and author."""
    for post in db.session.scalars(sa.select(Post).order_by(Post.id)):
        click.echo(f"{post.id}\t{post.slug}\t{post.state.value}\t{post.author.email}")


# ---- demo ------------------------------------------------------------------------------------

DEMO_USERS = [
    ("writer@example.com", "Wren Writer", [Role.WRITER]),
    ("writer2@example.com", "Wally Writer", [Role.WRITER]),
    ("reviewer@example.com", "Rhea Reviewer", [Role.REVIEWER, Role.WRITER]),
    ("admin@example.com", "Ada Admin", [Role.ADMIN, Role.REVIEWER]),
]

# (sample file, author, what happens to it)
DEMO_POSTS = [
    # Live, and its review-by date three weeks past: due for re-review (issue 18, point 8).
    ("python-web-frameworks-2026.json", "writer@example.com", "due"),
    ("password-managers-2026.json", "writer2@example.com", "submit"),
    ("static-site-generators-2026.json", "writer@example.com", "request_changes"),
    ("note-taking-apps-2026.json", "writer@example.com", "draft"),
    # Scores, weights, pros and cons: the order checked against its own criteria.
    ("backend-frameworks-2026.json", "writer2@example.com", "approve"),
]


DEMO_DAYS_OVERDUE = 21


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Create demo accounts (new passwords printed each run) and sample posts in several states."""
    click.echo("Demo accounts (passwords are new on every run):")
    accounts_by_email = {}
    for email, name, roles in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        user = accounts.find_user(email)
        if user is None:
            user = accounts.create_user(email, name, password, roles)
        else:
            # Someone may have changed the account since the last run; make it a demo account again.
            user.password_hash = accounts.hash_password(password)
            accounts.set_active(user, True)
            if user.roles != set(roles):
                accounts.set_roles(user, roles)
        accounts_by_email[email] = user
        click.echo(f"  {email:<24} {password:<14} {', '.join(r.value for r in roles)}")
    reviewer = accounts_by_email["reviewer@example.com"]
    samples = resources.files("editorial") / "samples"
    for filename, email, fate in DEMO_POSTS:
        content = parse_post(samples.joinpath(filename).read_bytes())
        if ops.get_post(content.slug) is not None:
            continue
        post = ops.create_post(content, accounts_by_email[email])
        if fate != "draft":
            ops.submit_for_review(post, post.author)
        # The demo reviewer decides through the same verbs as the desk: the whole checklist
        # ticked to approve, a comment to send back.
        if fate in ("approve", "due"):
            review.approve(
                post,
                reviewer,
                review.checklist_keys(post),
                "Clear criteria, honest alternatives.",
                post.current_revision.number,
            )
        elif fate == "request_changes":
            review.request_changes(
                post,
                reviewer,
                set(),
                "Say which Hugo templating pain points you hit yourself.",
                post.current_revision.number,
            )
        if fate == "due":
            _publish_now(post)
            # As if its last review were a year and three weeks ago.
            post.review_due_at = utcnow() - timedelta(days=DEMO_DAYS_OVERDUE)
    # As the worker's beat does each hour: the due post is listed and its people told.
    freshness.flag_due()
    db.session.commit()
    click.echo("Sample posts:")
    now = utcnow()
    for post in db.session.scalars(sa.select(Post).order_by(Post.id)):
        due = post.review_due_at is not None and post.review_due_at <= now
        click.echo(
            f"  {post.slug:<36} {post.state.label:<18} by {post.author.email}"
            + (" (due for re-review)" if due else "")
        )


def _publish_now(post: Post) -> None:
    """Run the post's publish job here and now, as the worker's task does (tasks.publishing.run),
    so that the demo starts with a live post before any worker runs."""
    job = outbox.latest_job(post)
    started = publishing.start(job.id)
    db.session.commit()
    sitebuild.apply_and_write(job.id, started.updated_at)
    newsletter.plan_for_job(job.id)
    db.session.commit()


# ---- tokens ----------------------------------------------------------------------------------

token_group = Commands("tokens", help="API tokens for agents and scripts.")


@token_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What uses the token, e.g. the agent's name.")
@with_appcontext
def tokens_create(email: str, name: str) -> None:
    """Make a token for a user and print it (it is shown only this once)."""
    row, token = tokens.create_token(_user(email), name)
    db.session.commit()
    click.echo(f"Token {row.id} “{row.name}” for {email} (shown only now):", err=True)
    click.echo(token)


@token_group.command("list")
@click.argument("email")
@with_appcontext
def tokens_list(email: str) -> None:
    """List a user's tokens (never the tokens themselves)."""
    for row in tokens.list_tokens(_user(email)):
        used = row.last_used_at.isoformat() if row.last_used_at else "never"
        click.echo(f"{row.id}\t{row.prefix}…\t{row.name}\tcreated {row.created_at.isoformat()}"
                   f"\tlast used {used}")  # fmt: skip


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by its id (from `tokens list`)."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise _fail(f"No token with id {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record("token.revoked", details={"token": row.id, "name": row.name, "by": "command line"})
        db.session.commit()
    click.echo(f"Token {token_id} “{row.name}” is revoked.")


# ---- site ------------------------------------------------------------------------------------

site = Commands("site", help="The published static site.")


@site.command("rebuild")
@with_appcontext
def site_rebuild() -> None:
    """Rebuild the whole site from the database into a fresh directory and swap it in."""
    publishing.lock_site()  # publish jobs wait until the new site is in place
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(Post).where(Post.public_slug.is_not(None))
    )
    with click.progressbar(length=total, label="Writing posts", file=sys.stderr) as bar:
        build = siterebuild.rebuild(progress=bar.update)
    db.session.commit()
    siterebuild.remove_old_builds()  # the new site is in place; the old one can go
    click.echo(f"Rebuilt {total} post page(s) into {build}; {sitebuild.site_dir()} points there.")


def init_app(app: Flask) -> None:
    """Register the command groups on the app."""
    app.cli.add_command(users)
    app.cli.add_command(posts)
    app.cli.add_command(demo)
    app.cli.add_command(site)
    app.cli.add_command(token_group)


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """Manage the editorial desk (the same as `flask --app wsgi`)."""
