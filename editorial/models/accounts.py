"""People: users and their roles, signed-in sessions, API tokens and invitations."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.models.base import UTCDateTime, db, enum_type, utcnow


class Role(StrEnum):
    WRITER = "writer"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint("length(display_name) > 0", name="display_name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.text("true"))
    # Sessions carry this token, not the id: rotating it signs the user out everywhere.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Loaded when asked for, or eagerly by who needs them: the signed-in user's with the session
    # (operations.sessions.load), a list's with its page. Not with every user a post query
    # joins (Post.author), which would cost each of those queries one more statement.
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        # The signed-in browser's session (operations.sessions), set when it was started or loaded.
        return getattr(self, "session_id", None) or ""

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class UserSession(db.Model):
    """One signed-in browser: its id is what the session cookie carries.

    Signing out ends just this row; a password change ends the user's other rows; a new id is
    made at every sign-in, so a session id planted before sign-in is worth nothing after it.
    """

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A named token a user (or their agent) sends as ``Authorization: Bearer …``.

    Only a SHA-256 hash of the token is stored; the token itself is shown once, when made.
    The token acts with its user's roles (and loses them with the user), never more.
    """

    __tablename__ = "api_token"
    __table_args__ = (sa.CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters, to tell tokens apart in lists without revealing them.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Invitation(db.Model):
    """An admin's invitation: a link that makes one account, once, before it expires."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    roles: Mapped[list[str]] = mapped_column(sa.JSON)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
