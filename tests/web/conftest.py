"""Fixtures for the review desk's tests: its people, and a browser each (on the module's
``app``, which has CSRF on)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from editorial.models import User
from tests.helpers.review import PEOPLE, Desk, add_people


@pytest.fixture
def people(app: Any) -> dict[str, User]:
    return add_people()


@pytest.fixture
def desk(app: Any, people: dict[str, User]) -> Callable[[str | None], Desk]:
    """``desk("rhea")``: a browser signed in as Rhea; ``desk(None)``: nobody signed in."""
    return lambda who: Desk(app.test_client(), PEOPLE[who][0] if who else None)
