"""Invitations: an admin invites an e-mail address with roles; the link makes the account once.

Verbs flush, never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied
from editorial.models import Invitation, Role, User, db, utcnow
from editorial.operations import accounts
from editorial.operations.audit import record

INVITATION_DAYS = 7


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
