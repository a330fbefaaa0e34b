"""Fixtures for the product's tests in a real browser: headless Debian Chromium driven by
Playwright (never a downloaded one), a live server, a writer's account, and screenshots."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from editorial.models import Role, db
from editorial.operations import accounts
from tests.conftest import PASSWORD, need_service
from tests.helpers.browser import axe_violations

ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        need_service("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def live_app(make_app: Callable[..., Any], request: pytest.FixtureRequest) -> Any:
    """The app the browser talks to: CSRF on, as in production. A test parametrized
    indirectly on ``live_app`` with a dict gets that configuration on top."""
    return make_app(**{"EDITOR_AUTOSAVE_MS": 400, **getattr(request, "param", {})})


@pytest.fixture
def live_server(live_app: Any) -> Iterator[str]:
    """``live_app`` served from a thread on a free port; its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def expected_console_errors() -> list[str]:
    """Patterns of console errors a test provokes on purpose (a 409 it asks for, say)."""
    return []


@pytest.fixture
def page(browser: Any, live_server: str, expected_console_errors: list[str]) -> Iterator[Any]:
    """A fresh browser tab on the live server; a JavaScript error, or any error logged to the
    console that the test did not expect, fails the test."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda message: (
            errors.append(f"console: {message.text} ({message.location})")
            if message.type == "error"
            else None
        ),
    )
    yield page
    context.close()
    unexpected = [e for e in errors if not any(re.search(p, e) for p in expected_console_errors)]
    assert not unexpected, f"JavaScript or console errors on the page: {unexpected}"


@pytest.fixture
def writer(live_app: Any) -> str:
    """A writer account on the live app; its e-mail."""
    with live_app.app_context():
        accounts.create_user("writer@example.com", "Wren Writer", PASSWORD, [Role.WRITER])
        db.session.commit()
    return "writer@example.com"


class Shots:
    """Numbered screenshots of one test, under test-results/screenshots/<test name>/. Every
    page photographed is also checked with axe-core; the test fails at its end if any of them
    had an accessibility violation."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.count = 0
        self.violations: list[str] = []

    def __call__(self, page: Any, step: str) -> None:
        self.count += 1
        # JPEG: a whole long page encodes in about half the CPU a PNG takes, and reads as well.
        path = self.directory / f"{self.count:02d}-{step}.jpg"
        page.screenshot(path=str(path), full_page=True, type="jpeg", quality=80)
        self.violations += [f"step {step}: {v}" for v in axe_violations(page)]


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Iterator[Shots]:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    directory = ROOT / "test-results" / "screenshots" / name
    shutil.rmtree(directory, ignore_errors=True)
    # rmtree ignores its errors and may leave the folder (a file it could not remove, or one
    # written into it meanwhile): that is no reason to fail the test.
    directory.mkdir(parents=True, exist_ok=True)
    taken = Shots(directory)
    yield taken
    assert not taken.violations, "axe-core found accessibility violations:\n" + "\n".join(
        taken.violations
    )
