"""API tokens: made, listed and revoked by their user; checked on every API request. Verbs flush.

A token is ``edt_`` and 32 random bytes (URL-safe base64). Only its SHA-256 is stored: the
token has that much entropy, so a slow password hash would add nothing but latency to every
request. It is shown once, when made.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from editorial.database import SQLITE_BUSY_MS
from editorial.domain.errors import InvalidInput, PermissionDenied
from editorial.models import ApiToken, Role, User, db, utcnow
from editorial.operations.audit import record

PREFIX = "edt_"
NAME_LIMIT = 100
TOKEN_LIMIT = 50  # live tokens per user
LAST_USED_EVERY = timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Make a named token for ``user``; returns the row and the token (shown only now)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput.single("name", "Name the token (for example, the agent that uses it).")
    if len(name) > NAME_LIMIT:
        raise InvalidInput.single("name", f"At most {NAME_LIMIT} characters; this has {len(name)}.")
    live = db.session.scalar(sa.select(sa.func.count()).select_from(tokens_query(user).subquery()))
    if live >= TOKEN_LIMIT:
        raise InvalidInput.single(
            "name", f"You have {TOKEN_LIMIT} tokens already; revoke one you no longer use."
        )
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_digest(token),
        prefix=token[: len(PREFIX) + 6],
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    record("token.created", actor=user, details={"token": row.id, "name": name})
    return row, token


def tokens_query(user: User) -> sa.Select[tuple[ApiToken]]:
    """The user's tokens that are not revoked, newest first (for a page of them)."""
    return (
        sa.select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def list_tokens(user: User) -> list[ApiToken]:
    """The user's tokens that are not revoked, newest first."""
    return list(db.session.scalars(tokens_query(user)))


def revoke_token(token: ApiToken, actor: User) -> None:
    """Revoke a token: its owner may, and an admin."""
    if token.user_id != actor.id and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only the token's owner or an admin can revoke it.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        record("token.revoked", actor=actor, details={"token": token.id, "name": token.name})


def revoke_all(user: User, actor: User | None) -> int:
    """Revoke every live token of ``user`` (they are deactivated): how many were live."""
    live = list_tokens(user)
    now = utcnow()
    for token in live:
        token.revoked_at = now
    db.session.flush()
    if live:
        record(
            "token.revoked",
            actor=actor,
            details={"user": user.email, "tokens": [t.id for t in live], "reason": "deactivated"},
        )
    return len(live)


def _live_token(token: str) -> ApiToken | None:
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    digest = _digest(token)
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if not hmac.compare_digest(row.token_hash, digest):  # pragma: no cover - same by lookup
        return None
    return row


def token_identity(token: str) -> int | None:
    """The id of the live token presented, or None: what the API's rate limit counts, so that
    every spelling of one token's header is one count."""
    row = _live_token(token)
    return row.id if row is not None else None


def user_for_token(token: str) -> User | None:
    """The active user a presented token belongs to, or None (unknown, revoked, inactive)."""
    row = _live_token(token)
    if row is None:
        return None
    now = utcnow()
    # Noted at most every few minutes: not a database write on every request.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY:
        _note_use(row, now)
    return row.user


def _note_use(row: ApiToken, now: datetime) -> None:
    # Written at once, or not at all: a request that only reads must not fail, nor wait, for
    # a note. On SQLite a read cannot become a write while another request writes: it would
    # wait out the busy timeout, then fail; here it gives up at once and a later request
    # notes the use.
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        with db.session.begin_nested():
            row.last_used_at = now
    except sa.exc.OperationalError:
        pass
    finally:
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
