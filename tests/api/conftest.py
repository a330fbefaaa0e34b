"""Fixtures for the API's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from editorial.models import db


@pytest.fixture
def api(make_app: Callable[..., Any]) -> Iterator[Any]:
    """An app for API clients, inside an app context: CSRF on (the API must not need it), and
    a rate limit no test reaches (the schema tests send hundreds of requests)."""
    app = make_app(API_RATE_LIMIT="100000 per minute")
    with app.app_context():
        yield app
        db.session.rollback()
