"""People: first-run setup, invitations, role changes with their guards, own account changes.

Verbs flush, never commit. The guards keep a newsroom from locking itself out: there is always
an active admin, and nobody takes away their own admin role.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied
from editorial.domain.passwords import hash_password, verify_password
from editorial.models import Invitation, Role, User, db, utcnow
from editorial.operations import accounts, sessions
from editorial.operations.audit import record

INVITATION_DAYS = 7


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def has_users() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) > 0


def create_first_admin(email: str, name: str, password: str) -> User:
    """The first account, an admin; refused once any account exists."""
    accounts.lock_people()  # two first-run forms at once make one admin
    if has_users():
        raise Conflict("The first account exists already; sign in instead.")
    return accounts.create_user(email, name, password, {Role.ADMIN, Role.WRITER, Role.REVIEWER})


def invite(
    email: str, roles: Iterable[Role], actor: User, now: datetime | None = None
) -> tuple[Invitation, str]:
    """Invite ``email`` with ``roles``; returns the invitation and its one-time token."""
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only admins invite people.")
    email = accounts.normalise_email(email)
    roles = {Role(r) for r in roles}
    if not roles:
        raise InvalidInput.single("roles", "Give the new account at least one role.")
    if accounts.find_user(email) is not None:
        raise InvalidInput.single("email", f"{email} already has an account.")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        roles=sorted(r.value for r in roles),
        token_hash=_digest(token),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    record("user.invited", actor=actor, details={"user": email, "roles": invitation.roles})
    return invitation, token


def invitation_for(token: str, now: datetime | None = None) -> Invitation:
    """The usable invitation for ``token``, or raise Conflict saying why it cannot be used."""
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == _digest(token or ""))
    )
    if invitation is None:
        raise Conflict("This invitation link is not valid. Ask an admin for a new one.")
    if invitation.used_at is not None:
        raise Conflict("This invitation has been used already. Sign in, or ask for a new one.")
    if invitation.expires_at <= (now or utcnow()):
        raise Conflict("This invitation has expired. Ask an admin for a new one.")
    return invitation


def accept(token: str, name: str, password: str, now: datetime | None = None) -> User:
    """Make the invited account; the link works once."""
    invitation = invitation_for(token, now)
    db.session.execute(
        sa.select(Invitation.id).where(Invitation.id == invitation.id).with_for_update()
    )
    db.session.refresh(invitation)
    invitation = invitation_for(token, now)  # checked again under the lock
    user = accounts.create_user(
        invitation.email, name, password, {Role(r) for r in invitation.roles}
    )
    invitation.used_at, invitation.user_id = now or utcnow(), user.id
    db.session.flush()
    return user


def change_roles(user: User, roles: Iterable[Role], actor: User) -> None:
    """An admin changes someone's roles; never their own admin role, never the last admin's."""
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only admins change roles.")
    roles = {Role(r) for r in roles}
    if user.has_role(Role.ADMIN) and Role.ADMIN not in roles and user.id == actor.id:
        raise InvalidInput.single("roles", "You cannot remove your own admin role.")
    accounts.set_roles(user, roles, actor)  # never the last admin's


def change_active(user: User, active: bool, actor: User) -> None:
    """An admin deactivates or reactivates someone; never themselves, never the last admin."""
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only admins deactivate accounts.")
    if not active and user.id == actor.id:
        raise InvalidInput.single("active", "You cannot deactivate your own account.")
    accounts.set_active(user, active, actor)  # never the last admin


def change_name(user: User, name: str) -> None:
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
    accounts.check_password(new)
    user.password_hash = hash_password(new)
    user.session_token = secrets.token_urlsafe(32)
    sessions.end_others(user, keep_session)  # every other signed-in browser is signed out
    db.session.flush()
    record("user.password_changed", actor=user, details={"user": user.email})
