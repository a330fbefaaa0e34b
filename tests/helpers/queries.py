"""Counting the SQL statements a request runs, for the tests that lists load in constant queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from editorial.models import db


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the ``with`` block, in order."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def fresh_get(client: Any, path: str) -> str:
    """The text of ``path`` (asserted 200), fetched with an empty session, as each request
    starts in production: nothing the test loaded is reused."""
    db.session.remove()
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)
