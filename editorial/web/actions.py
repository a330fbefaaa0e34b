"""How a desk action ends: its operations committed, or rolled back and the refusal said.

Every view that changes something runs its operations inside ``attempt``::

    with attempt(back=url_for("review.page", post_id=post.id), refused="Not claimed: {}"):
        held = review.claim(post, current_user, minutes)
    flash(f"You are reviewing this post until {held.expires_at:%H:%M} UTC.", "success")
    return redirect(url_for("review.page", post_id=post.id))

Only operations go inside the block: a form read there could be refused as if it were the
action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import abort, flash, make_response, redirect

from editorial.domain.errors import Refusal
from editorial.extensions import db


@contextmanager
def attempt(
    back: str | None = None,
    refused: str | Callable[[Refusal], str] = "{}",
    *,
    answer: Callable[[Refusal], Any] | None = None,
) -> Iterator[None]:
    """Commit what the block did. On a refusal roll it back and end the request: with the
    response ``answer(refusal)`` makes (a form shown again with the message, at the refusal's
    status), or else with ``refused`` flashed as an error (a format for the refusal's message,
    or a function of the refusal) and a redirect to ``back``."""
    if (back is None) == (answer is None):
        raise TypeError("attempt() takes either back or answer")
    try:
        yield
        db.session.commit()
    except Refusal as refusal:
        db.session.rollback()
        if answer is not None:
            abort(make_response(answer(refusal)))
        say = refused(refusal) if callable(refused) else refused.format(refusal.message)
        flash(say, "error")
        abort(redirect(back))
