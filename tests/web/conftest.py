"""Fixtures for the desk's tests: the writer's browser in the editor, the review desk's
browsers (on the module's ``app``: CSRF on where the module is marked ``csrf``), and a test
client on ``csrf_app``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from editorial.models import User
from tests.helpers.desk import login
from tests.helpers.review import PEOPLE, Desk


@pytest.fixture
def browser(client: Any, writer: User) -> Any:
    """The test client, signed in as the writer."""
    return login(client)


@pytest.fixture
def desk(app: Any, people: dict[str, User]) -> Callable[[str | None], Desk]:
    """``desk("rhea")``: a browser signed in as Rhea; ``desk(None)``: nobody signed in."""
    return lambda who: Desk(app.test_client(), PEOPLE[who][0] if who else None)


@pytest.fixture
def csrf_client(csrf_app: Any) -> Any:
    return csrf_app.test_client()
