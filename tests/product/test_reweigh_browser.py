"""A reader weights the criteria of a scored ranking themselves, in a real browser: the page
re-orders the entries live and says where their order and the author's differ, the weights
travel in a link, and without JavaScript the page still shows the scores and the author's
weights (issue 18, point 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from editorial.domain.markdown import render_content
from editorial.models import utcnow
from editorial.site import build
from editorial.site.post_page import render_post_page
from tests.conftest import sample

ADDRESS = "/site/posts/best-backend-frameworks-2026/"


@pytest.fixture
def scored_page(live_app: Any) -> str:
    """The scored sample's public page in the live app's SITE_DIR, with the site's assets."""
    content = sample("backend-frameworks-2026")
    with live_app.app_context():
        html = render_post_page(
            content,
            render_content(content),
            author_name="Wren Writer",
            published_at=utcnow(),
            updated_at=None,
            assets="../../assets/",
            root="../../",
        )
        build.write_static()
        target = Path(live_app.config["SITE_DIR"]) / "posts" / content["slug"] / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html)
    return ADDRESS


def _order(page: Any) -> list[str]:
    return page.locator("#reweigh-result ol li a").all_inner_texts()


def test_a_reader_reweights_the_criteria_and_shares_the_link(page, scored_page, shots, browser):
    page.goto(scored_page)
    form = page.locator("#reweigh")
    form.wait_for(state="visible")
    status = page.locator("#reweigh-result")
    assert status.locator("p").inner_text() == "Your weights give the author's order."
    assert _order(page) == ["Django", "Ruby on Rails", "FastAPI", "Spring Boot"]
    shots(page, "author-weights")

    # With the keyboard: performance above everything puts FastAPI first.
    performance = page.get_by_label("Performance")
    performance.focus()
    performance.fill("80")
    page.get_by_label("Ecosystem maturity").fill("10")
    page.get_by_label("Ownership").fill("10")
    assert _order(page)[0] == "FastAPI"
    assert (
        status.locator("p")
        .inner_text()
        .startswith("Under your weights FastAPI ranks first (the author ranks it #3)")
    )
    assert "(author's #3)" in status.locator("li").first.inner_text()
    shots(page, "reader-weights")

    # The link carries the weights: a new tab opened on it shows the same order.
    link = page.locator("#reweigh-share").get_attribute("href")
    assert link.startswith("?w0=80&w1=10&w2=10")
    other = page.context.new_page()
    other.goto(scored_page + link)
    other.locator("#reweigh").wait_for(state="visible")
    assert other.get_by_label("Performance").input_value() == "80"
    assert _order(other)[0] == "FastAPI"
    other.close()

    # All weights at zero say so; reset brings back the author's order.
    for name in ("Performance", "Ecosystem maturity", "Ownership"):
        page.get_by_label(name).fill("0")
    assert status.inner_text() == "Give at least one criterion a weight above 0."
    page.get_by_role("button", name="Back to the author's weights").click()
    page.wait_for_function(
        "document.querySelector('#reweigh-result p')?.textContent.startsWith('Your weights give')"
    )
    assert _order(page) == ["Django", "Ruby on Rails", "FastAPI", "Spring Boot"]

    # Without JavaScript: no form, but the scores and the author's weights are on the page.
    bare = browser.new_context(base_url=page.url.split("/site/")[0], java_script_enabled=False)
    plain = bare.new_page()
    plain.goto(scored_page)
    assert not plain.locator("#reweigh").is_visible()
    headers = plain.locator("#scores thead th").all_inner_texts()
    assert headers == [
        "Entry",
        "Performance 25 %",
        "Ecosystem maturity 40 %",
        "Ownership 35 %",
        "Weighted score",
    ]
    first_row = plain.locator("#scores tbody tr").first.locator("th, td").all_inner_texts()
    assert first_row == ["#1 Django", "6", "10", "8", "8.3"]
    bare.close()
