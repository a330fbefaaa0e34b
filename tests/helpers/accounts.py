"""Accounts through the test client: people made directly, signing in through the form (with or
without the CSRF token it carries), and the CSRF token of a page's form."""

from __future__ import annotations

import re
from typing import Any

from editorial.models import Role, User, db
from editorial.operations import accounts, tokens
from tests.conftest import PASSWORD

NEW_PASSWORD = "purple elephants juggle quietly"


def add_user(email: str, *roles: Role, name: str | None = None, password: str = PASSWORD) -> User:
    """Create and commit a user: a writer unless ``roles`` say otherwise."""
    user = accounts.create_user(
        email, name or email.split("@")[0].title(), password, roles or (Role.WRITER,)
    )
    db.session.commit()
    return user


def add_user_with_token(email: str, *roles: Role, label: str = "agent") -> tuple[User, str]:
    """Create and commit a user (as ``add_user``) and an API token of theirs; both."""
    user = add_user(email, *roles)
    _, token = tokens.create_token(user, label)
    db.session.commit()
    return user, token


def add_admin(email: str = "admin@example.com", name: str = "Ada Admin") -> User:
    return add_user(email, Role.ADMIN, Role.WRITER, name=name)


def csrf_of(client: Any, path: str = "/login") -> str:
    """The CSRF token in the form of the page at ``path``."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def sign_in_as(client: Any, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the form, on an app with CSRF off."""
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def sign_in_with_csrf(client: Any, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the form, with the CSRF token it carries."""
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(client, "/login")},
    )
    assert response.status_code == 302
    return response
