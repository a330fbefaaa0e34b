"""Exceptions shared by operations and every adapter (views, API, CLI)."""

from __future__ import annotations


class InvalidInput(ValueError):
    """Input that cannot be accepted; ``problems`` holds (field path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {msg}" if path else msg for path, msg in problems))

    @classmethod
    def single(cls, field: str, message: str) -> InvalidInput:
        return cls([(field, message)])


class PermissionDenied(Exception):
    """The user may not do this to this object."""


class Conflict(Exception):
    """The request was based on stale data (another save came first)."""

    def __init__(self, message: str, current_revision: int | None = None):
        self.current_revision = current_revision
        super().__init__(message)


def user_message(exc: Exception) -> str:
    """What to tell a person about a refused action: every problem's message, or the error."""
    if isinstance(exc, InvalidInput):
        return " ".join(message for _, message in exc.problems)
    return str(exc)
