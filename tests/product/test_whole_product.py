"""The whole product in a real browser, with a real `celery worker` on this machine's Redis:
a writer drafts and submits a ranking, another user reviews and approves it, the worker
publishes it into SITE_DIR, and the published page and the RSS and Atom feeds show it.

The live server serves the desk's app (the one ``desk_for`` configures with SITE_DIR and the
run's own Redis queue), so the approval made in the browser reaches the worker. Screenshots
of each step go to ``test-results/screenshots/<test name>/``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.conftest import SITE_URL  # what desk_for gives the worker
from tests.helpers.browser import playwright_expect, sign_in
from tests.helpers.publisher import assert_site_whole
from tests.helpers.publisher_processes import TIMEOUT, Desk

pytestmark = pytest.mark.slow

# The desk, its real worker processes and the run's own Redis queue, as the publisher tests use.

TITLE = "The best task runners in 2026, ranked"
ENTRIES = ["Alpha", "Bravo", "Charlie"]
VERDICT = "It earns this place because it is quick to learn, well documented and dependable."


@pytest.fixture
def desk(desk_for, redis_queue) -> Desk:
    """The desk on this machine's Redis, with a worker consuming the run's own queue."""
    url, queue = redis_queue
    desk = desk_for(url, queue)
    desk.start_worker("-Q", queue, name=queue)
    return desk


@pytest.fixture
def live_app(desk: Desk) -> Any:
    """The browser talks to the desk's app (CSRF on), whose approvals reach the worker."""
    return desk.app


def _fill_entry(page: Any, index: int, name: str, pick_else: str) -> None:
    entry = page.locator(f"#entries-{index}")
    entry.get_by_label("Name", exact=True).fill(name)
    entry.get_by_label("Verdict: why it earns this rank").fill(VERDICT)
    entry.get_by_label("Note on “Speed”").fill(f"{name} answers in a few milliseconds.")
    entry.get_by_label("Note on “Ecosystem”").fill(f"{name} has plenty of plugins.")
    entry.get_by_label("When to pick something else instead").fill(pick_else)


def _wait_published(desk: Desk) -> Path:
    """Poll SITE_DIR until the post's page is there; its directory."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        pages = sorted((desk.site / "posts").glob("*/index.html"))
        if pages and (desk.site / "feed.atom").is_file() and (desk.site / "feed.rss").is_file():
            assert len(pages) == 1, pages
            return pages[0].parent
        worker = desk.workers[-1]
        assert worker.proc.poll() is None, f"the worker exited:\n{worker.output}"
        assert time.monotonic() < deadline, f"nothing published after {TIMEOUT}s:\n" + (
            worker.output
        )
        time.sleep(0.1)


def test_write_review_publish_and_read_the_feeds(page, desk, shots, expected_console_errors):
    # A feed opened in the tab is raw XML with no icon link: Chromium asks the host's root.
    expected_console_errors.append(r"status of 404 .*/favicon\.ico'")
    expect = playwright_expect()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))

    # 1. The writer drafts a ranking of three entries and submits it.
    sign_in(page, "writer@example.com")
    page.get_by_role("link", name="New ranking").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill("Three task runners for small Python teams, ranked.")
    page.get_by_label("Your bias").fill("I maintain plugins for Bravo and was given nothing.")
    page.locator("#criteria-0").get_by_label("Name").fill("Speed")
    page.locator("#criteria-1").get_by_label("Name").fill("Ecosystem")
    if page.locator("#entries-2").count() == 0:
        page.get_by_role("button", name="Add an entry").click()
        # The new row's name takes the focus once htmx has settled the rows (as a writer sees
        # it); typing before that lands in whichever field has the focus at that moment.
        expect(page.locator("#entries-2-name")).to_be_focused()
    expect(page.locator("#entries-2").get_by_label("Note on “Ecosystem”")).to_be_visible()
    _fill_entry(page, 0, "Alpha", "Pick Bravo if you need a big plugin ecosystem.")
    _fill_entry(page, 1, "Bravo", "Pick Alpha if startup speed matters most to you.")
    _fill_entry(page, 2, "Charlie", "Pick Alpha if you want the fastest runner of the three.")
    # The live check clears the findings once every note is in: submitting is allowed.
    submit = page.get_by_role("button", name="Save and submit for review")
    try:
        expect(submit).to_be_enabled(timeout=15_000)
    except AssertionError:  # say what the page shows, so that a failure can be understood
        shots(page, "writer-cannot-submit")
        findings = page.locator("#findings").inner_text()
        status = page.locator("#save-status").inner_text()
        raise AssertionError(f"submit stays disabled; findings: {findings!r}; {status!r}") from None
    shots(page, "writer-drafted")
    submit.click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    shots(page, "writer-submitted")
    page.get_by_role("button", name="Sign out").click()

    # 2. Another user reviews it: claims it, ticks every box, approves.
    sign_in(page, "rev@example.com")
    page.get_by_role("link", name="Review queue").click()
    shots(page, "review-queue")
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("button", name="Claim it").click()
    expect(page.get_by_text("You are reviewing this post until").first).to_be_visible()
    boxes = page.locator("input.check-item")
    # The bias, the criteria, the presentation, and two for each of 3 entries.
    expect(boxes).to_have_count(9)
    for box in boxes.all():
        with page.expect_response(lambda r: r.url.endswith("/decide") and r.status == 204):
            box.check()
    shots(page, "reviewer-ticked")
    page.get_by_role("button", name=re.compile(r"^Approve revision \d+$")).click()
    expect(
        page.get_by_text("Approved. The publisher will publish exactly this revision.")
    ).to_be_visible()
    shots(page, "reviewer-approved")

    # 3. The worker publishes it; the published page shows the ranking.
    post_dir = _wait_published(desk)
    slug = post_dir.name
    assert "editorial.publisher.run_job" in desk.workers[-1].output
    page.goto(f"/site/posts/{slug}/")
    expect(page.locator("article.post h1")).to_have_text(TITLE)
    names = page.locator("ol.entries > li h2")
    expect(names).to_have_count(3)
    for i, name in enumerate(ENTRIES):
        expect(names.nth(i)).to_contain_text(f"#{i + 1}")
        expect(names.nth(i)).to_contain_text(name)
    pick_else = page.locator(".pick-else h3", has_text="When to pick something else")
    expect(pick_else).to_have_count(3)
    shots(page, "published-page")

    # The feeds parse cleanly and list the post at its public address.
    url = f"{SITE_URL}posts/{slug}/"
    for name in ("feed.rss", "feed.atom"):
        feed = feedparser.parse((desk.site / name).read_bytes())
        assert feed.bozo == 0, (name, feed.get("bozo_exception"))
        assert [(e.title, e.link) for e in feed.entries] == [(TITLE, url)], name
    page.goto("/site/feed.atom")
    shots(page, "feed-atom")
    assert_site_whole(desk.site)

    assert dialogs == [], f"dialogs appeared: {dialogs}"
