"""Helpers for the tests in a real browser (their fixtures are in tests/product/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD, need_service


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


AXE = Path(__file__).resolve().parent.parent.parent / "node_modules" / "axe-core" / "axe.min.js"
# The standards axe-core checks a page against: WCAG 2.2 A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page: Any) -> list[str]:
    """Run axe-core (the npm package scripts/test installs) on the page as it is now; one line
    per violation: the rule, its impact, and the first few elements it found."""
    if not AXE.exists():
        need_service("axe-core", f"{AXE} is missing (scripts/test installs it with npm ci)")
    if page.evaluate("() => document.contentType") != "text/html":
        return []  # a feed or a JSON file shown by the browser: not a page to check
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, so the page's strict CSP still holds for
        # everything the page itself loads.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))",
        AXE_TAGS,
    )
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}"
        for v in result
    ]
