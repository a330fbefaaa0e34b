"""Helpers for the tests in a real browser (their fixtures are in tests/product/conftest.py)."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD


def playwright_expect() -> Any:
    """Playwright's ``expect``, imported only by a test that runs (Playwright is optional)."""
    from playwright.sync_api import expect

    return expect


def sign_in(page: Any, email: str) -> None:
    """Sign in through the sign-in form in the browser tab ``page``."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
