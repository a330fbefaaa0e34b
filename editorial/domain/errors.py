"""Refusals: the one exception family that operations raise and every adapter translates.

Each kind carries the HTTP status it is answered with; the desk (``web/actions.py``), the API
(``api/views.py``) and the CLI (``cli.py``) each turn a refusal into an answer in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class Refusal(Exception):
    """An action refused, with a message written for the person who asked."""

    status: ClassVar[int] = 400
    # (field path, message) pairs when the refusal is about particular fields.
    problems: Sequence[tuple[str, str]] = ()

    @property
    def message(self) -> str:
        """What to tell a person about the refusal."""
        return str(self)


class InvalidInput(Refusal, ValueError):
    """Input that cannot be accepted; ``problems`` holds (field path, message) pairs."""

    status = 422

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {msg}" if path else msg for path, msg in problems))

    @classmethod
    def single(cls, field: str, message: str) -> InvalidInput:
        return cls([(field, message)])

    @property
    def message(self) -> str:
        """Every problem's message, without the field paths."""
        return " ".join(message for _, message in self.problems)


class PermissionDenied(Refusal):
    """The user may not do this to this object."""

    status = 403


class Conflict(Refusal):
    """The request was based on stale data (another save came first)."""

    status = 409

    def __init__(self, message: str, current_revision: int | None = None):
        self.current_revision = current_revision
        super().__init__(message)
