"""Role checks for views: the server decides, whatever the page shows."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from editorial.models import Post, Role, db
from editorial.operations.posts import can_view

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """Require a signed-in, active user holding at least one of ``roles`` (else 403)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def post_or_404(post_id: int, allowed: Callable[[Any, Any], bool] = can_view) -> Any:
    """The post with ``post_id`` (else 404) if ``allowed(post, current_user)`` (else 403); by
    default, if the signed-in user may see it."""
    post = db.get_or_404(Post, post_id)
    if not allowed(post, current_user):
        abort(403)
    return post
