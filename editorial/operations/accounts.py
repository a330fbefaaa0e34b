"""Account operations: the first admin, create, set roles, (de)activate, one's own name and
password, authenticate. They flush, never commit.

The People page, the first-run page and the command line call the same verbs, so the guards
that keep a newsroom from locking itself out hold on every path: there is always an active
admin, and no admin takes away their own admin role or deactivates themselves.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import selectinload

from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied
from editorial.domain.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from editorial.models import Role, User, UserRole, db, utcnow
from editorial.operations import sessions, tokens
from editorial.operations.audit import record


def normalise_email(email: str) -> str:
    """The canonical, lower-case form of an e-mail address, or raise InvalidInput."""
    try:
        info = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput.single("email", str(exc)) from None
    return info.normalized.lower()


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = (resources.files("editorial") / "data" / "common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line and not line.startswith("#")
    )


def check_password(password: str) -> None:
    """Raise InvalidInput unless ``password`` meets OWASP ASVS 5: at least 8 characters (15
    recommended), long ones welcome, no composition rules, and not a known common password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput.single(
            "password", f"Use at least {MIN_PASSWORD_LENGTH} characters (15 or more is better)."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput.single("password", f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    if password.strip().casefold() in _common_passwords():
        raise InvalidInput.single(
            "password",
            "That is one of the most common passwords, the first ones attackers try. "
            "A few unrelated words make a long password that is easy to remember.",
        )


def parse_roles(names: Iterable[str]) -> set[Role]:
    """Role names to roles, or raise InvalidInput naming the unknown one."""
    roles = set()
    for name in names:
        try:
            roles.add(Role(name.strip().lower()))
        except ValueError:
            choices = ", ".join(r.value for r in Role)
            raise InvalidInput.single(
                "role", f'Unknown role "{name}"; choose from {choices}.'
            ) from None
    return roles


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def people_query(search: str = "", role: Role | None = None) -> sa.Select[tuple[User]]:
    """Everyone, by name, for the People page: those whose name or e-mail contains ``search``
    (any case), and who hold ``role`` when given."""
    # Each row shows its roles: the page's come in one more statement.
    query = (
        sa.select(User).options(selectinload(User.role_rows)).order_by(User.display_name, User.id)
    )
    if search:
        query = query.where(
            sa.or_(
                User.display_name.icontains(search, autoescape=True),
                User.email.icontains(search, autoescape=True),
            )
        )
    if role is not None:
        query = query.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == role)))
    return query


def has_users() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) > 0


def create_user(
    email: str,
    display_name: str,
    password: str,
    roles: Iterable[Role],
    actor: User | None = None,
) -> User:
    """Create an active user with ``roles``."""
    email = normalise_email(email)
    display_name = display_name.strip()
    if not display_name:
        raise InvalidInput.single("name", "A display name is required.")
    if len(display_name) > 100:
        raise InvalidInput.single("name", "Use at most 100 characters.")
    check_password(password)
    roles = {Role(role) for role in roles}
    if find_user(email) is not None:
        raise InvalidInput.single("email", f"{email} already has an account.")
    user = User(email=email, display_name=display_name, password_hash=hash_password(password))
    user.role_rows = [UserRole(role=role) for role in sorted(roles)]
    db.session.add(user)
    db.session.flush()
    record("user.created", actor=actor, details={"user": email, "roles": _names(user.roles)})
    return user


def create_first_admin(email: str, name: str, password: str) -> User:
    """The first account, an admin; refused once any account exists."""
    lock_people()  # two first-run forms at once make one admin
    if has_users():
        raise Conflict("The first account exists already; sign in instead.")
    return create_user(email, name, password, {Role.ADMIN, Role.WRITER, Role.REVIEWER})


LAST_ADMIN = "This is the last admin; make someone else admin first."


def lock_people() -> None:
    """Serialise changes to who is an admin (SQLite: BEGIN IMMEDIATE already does)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(74731)"))


def active_admins() -> int:
    """How many active accounts have the admin role."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .join(UserRole)
        .where(UserRole.role == Role.ADMIN, User.active)
    )


def _refuse_last_admin(user: User, field: str) -> None:
    lock_people()
    if user.active and user.has_role(Role.ADMIN) and active_admins() <= 1:
        raise InvalidInput.single(field, LAST_ADMIN)


def set_roles(user: User, roles: Iterable[Role], actor: User | None = None) -> None:
    """Replace the user's roles. ``actor`` is the admin doing it (None: the command line); an
    admin never removes their own admin role, and the last active admin keeps it."""
    roles = {Role(role) for role in roles}
    if actor is not None:
        if not actor.has_role(Role.ADMIN):
            raise PermissionDenied("Only admins change roles.")
        if user.has_role(Role.ADMIN) and Role.ADMIN not in roles and user.id == actor.id:
            raise InvalidInput.single("roles", "You cannot remove your own admin role.")
    if Role.ADMIN not in roles:
        _refuse_last_admin(user, "roles")
    before = user.roles
    user.role_rows = [row for row in user.role_rows if row.role in roles] + [
        UserRole(role=role) for role in sorted(roles - before)
    ]
    db.session.flush()
    record(
        "user.roles_changed",
        actor=actor,
        details={"user": user.email, "before": _names(before), "after": _names(roles)},
    )


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    """Deactivate or reactivate a user. ``actor`` is the admin doing it (None: the command
    line); nobody deactivates themselves, nor the last active admin. Deactivating ends their
    sessions and API tokens for good: a reactivated person signs in again and makes new tokens."""
    if actor is not None:
        if not actor.has_role(Role.ADMIN):
            raise PermissionDenied("Only admins deactivate accounts.")
        if not active and user.id == actor.id:
            raise InvalidInput.single("active", "You cannot deactivate your own account.")
    if user.active == active:
        return
    if not active:
        _refuse_last_admin(user, "active")
    user.active = active
    # Tokens end on reactivation too: any made before a deactivation that predates this rule.
    tokens.revoke_all(user, actor)
    if not active:
        user.session_token = secrets.token_urlsafe(32)
        sessions.end_all(user)
    db.session.flush()
    record(
        "user.activated" if active else "user.deactivated",
        actor=actor,
        details={"user": user.email},
    )


def change_name(user: User, name: str) -> None:
    """Change one's own display name."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput.single("display_name", "A display name is required.")
    if len(name) > 100:
        raise InvalidInput.single("display_name", "Use at most 100 characters.")
    user.display_name = name
    db.session.flush()


def change_password(user: User, current: str, new: str, keep_session: str | None = None) -> None:
    """Change one's own password: the current one is required; other sessions end."""
    if not verify_password(user.password_hash, current):
        raise InvalidInput.single("current_password", "That is not your current password.")
    check_password(new)
    user.password_hash = hash_password(new)
    user.session_token = secrets.token_urlsafe(32)
    sessions.end_others(user, keep_session)  # every other signed-in browser is signed out
    db.session.flush()
    record("user.password_changed", actor=user, details={"user": user.email})


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; records the sign-in."""
    user = find_user(email) if email else None
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def _names(roles: Iterable[Role]) -> list[str]:
    return sorted(role.value for role in roles)
