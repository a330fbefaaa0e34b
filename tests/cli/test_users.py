"""`editorial users`: creating accounts with their roles, listing them, setting roles,
deactivating (which ends sessions and API tokens) and activating; never the last admin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from editorial.models import AuditEvent, Post, Role, User, db
from editorial.operations import accounts, tokens
from tests.conftest import PASSWORD
from tests.helpers.cli import GOOD, count_rows, invoke, users_command

# ---- users -----------------------------------------------------------------------------------


def test_users_create_with_several_roles(app, runner):
    result = invoke(
        runner,
        users_command(
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
    result = invoke(
        runner,
        users_command("create", "--email", "w@example.com", "--name", "W", "--role", "writer"),
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
    result = invoke(
        runner,
        users_command(
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
    result = invoke(
        runner,
        users_command(
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
    assert count_rows(User) == 0


def test_users_list_shows_roles_and_status(app, runner, create_user):
    create_user("b@example.com", Role.ADMIN, name="Bea")
    create_user("a@example.com", Role.ADMIN, Role.WRITER, Role.REVIEWER, name="Al")
    accounts.set_active(accounts.find_user("b@example.com"), False)
    db.session.commit()
    result = invoke(runner, users_command("list"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "a@example.com\tAl\tadmin,reviewer,writer\tactive",
        "b@example.com\tBea\tadmin\tdeactivated",
    ]


def test_users_set_roles_replaces_them(app, runner, create_user):
    user = create_user("w@example.com", Role.WRITER)
    result = invoke(
        runner, users_command("set-roles", "W@example.com", "--role", "admin", "--role", "reviewer")
    )
    assert result.exit_code == 0, result.output
    assert "w@example.com now has roles: admin, reviewer." in result.stdout
    db.session.expire_all()
    assert user.roles == {Role.ADMIN, Role.REVIEWER}


def test_users_deactivate_ends_sessions_and_activate_restores(app, runner, create_user):
    user = create_user("w@example.com")
    token = user.session_token

    result = invoke(runner, users_command("deactivate", "w@example.com"))
    assert result.exit_code == 0, result.output
    assert "w@example.com is deactivated." in result.stdout
    db.session.expire_all()
    assert user.active is False
    assert user.session_token != token
    assert accounts.authenticate("w@example.com", PASSWORD) is None

    result = invoke(runner, users_command("activate", "w@example.com"))
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

    assert invoke(runner, users_command("deactivate", "w@example.com")).exit_code == 0
    assert invoke(runner, users_command("activate", "w@example.com")).exit_code == 0
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
        users_command("deactivate", "a@example.com"),
        users_command("set-roles", "a@example.com", "--role", "writer"),
    ],
    ids=["deactivate", "set-roles"],
)
def test_the_command_line_never_removes_the_last_admin(app, runner, create_user, args):
    create_user("a@example.com", Role.ADMIN)
    create_user("gone@example.com", Role.ADMIN)
    assert invoke(runner, users_command("deactivate", "gone@example.com")).exit_code == 0
    events = count_rows(AuditEvent)

    result = invoke(runner, args)
    assert result.exit_code == 1, result.output
    assert "This is the last admin; make someone else admin first." in result.stderr
    assert "Traceback" not in result.output
    db.session.expire_all()
    admin = accounts.find_user("a@example.com")
    assert admin.active and admin.roles == {Role.ADMIN}
    assert count_rows(AuditEvent) == events
    # With a second active admin, the same command goes through.
    assert invoke(runner, users_command("activate", "gone@example.com")).exit_code == 0
    assert invoke(runner, args).exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        users_command("set-roles", "nobody@example.com", "--role", "admin"),
        users_command("deactivate", "nobody@example.com"),
        users_command("activate", "nobody@example.com"),
        ["posts", "import", str(GOOD), "--author", "nobody@example.com"],
    ],
    ids=["set-roles", "deactivate", "activate", "import"],
)
def test_an_unknown_email_is_an_error(app, runner, create_user, args):
    create_user("w@example.com")
    result = invoke(runner, args)
    assert result.exit_code == 1
    assert "No user with e-mail nobody@example.com." in result.stderr
    assert count_rows(Post) == 0
