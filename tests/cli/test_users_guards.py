"""`editorial users …` keeps the guards the People page keeps: the last active admin stays."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from editorial.models import AuditEvent, Role, User, db

LAST_ADMIN = "This is the last admin; make someone else admin first."


def _snapshot() -> tuple[list[tuple[str, bool, list[str]]], int]:
    """Every account's e-mail, active flag and roles, and how many audit entries there are."""
    db.session.expire_all()
    people = [
        (user.email, user.active, sorted(role.value for role in user.roles))
        for user in db.session.scalars(sa.select(User).order_by(User.email))
    ]
    return people, db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


@pytest.mark.parametrize(
    "args",
    [
        ["users", "deactivate", "admin@example.com"],
        ["users", "set-roles", "admin@example.com", "--role", "writer"],
    ],
    ids=["deactivate", "set-roles"],
)
def test_the_only_admin_is_neither_deactivated_nor_demoted(app, runner, create_user, args):
    create_user("admin@example.com", Role.ADMIN, Role.WRITER)
    create_user("writer@example.com", Role.WRITER)
    before = _snapshot()
    assert before[0][0] == ("admin@example.com", True, ["admin", "writer"])

    result = runner.invoke(args=args)
    db.session.rollback()  # see only what the command committed

    assert result.exit_code == 1, result.output
    assert f"Error: {LAST_ADMIN}" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert _snapshot() == before
