"""The editor's live findings and its preview, through the test client with real CSRF on:
findings link to their field and gate the submit button; the preview shows the unsaved form
with the public template."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.conftest import sample
from tests.helpers.desk import element, open_editor, revision_numbers

pytestmark = pytest.mark.csrf  # CSRF on, as in production


# --- live findings ----------------------------------------------------------------------------


def _check(client: Any, fields: dict[str, str], htmx: bool = False) -> str:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post("/posts/check", data=fields, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_findings_link_to_their_field_and_gate_the_submit_button(browser, post):
    fields = open_editor(browser, post)
    pick_else = fields["entries-2-pick_else"]

    fields["entries-2-pick_else"] = ""
    findings = _check(browser, fields)
    assert '<a href="#entries-2-pick_else"' in findings
    assert "Entry #3 &#34;Flask&#34; has no" in findings
    assert element(findings, "submit-button") is None  # only htmx gets the button

    findings = _check(browser, fields, htmx=True)
    button = element(findings, "submit-button")
    assert button["hx-swap-oob"] == "true"
    assert "disabled" in button

    fields["entries-2-pick_else"] = pick_else
    findings = _check(browser, fields, htmx=True)
    assert "#entries-2-pick_else" not in findings
    assert "Nothing: ready for review." in findings
    assert "disabled" not in element(findings, "submit-button")


def test_a_finding_points_at_its_row_when_blank_rows_are_left_out(browser, post):
    fields = open_editor(browser, post)
    # The first FAQ row is blank (left out of the content), so the third form row is the
    # content's second item: the finding must still point at the third row.
    fields |= {"faq-0-question": "", "faq-0-answer": "", "faq-2-answer": ""}
    findings = _check(browser, fields)
    assert '<a href="#faq-2-answer"' in findings


def test_a_field_that_does_not_validate_is_listed_too(browser, post):
    fields = open_editor(browser, post)
    fields["entries-0-url"] = "ftp://x"
    findings = _check(browser, fields, htmx=True)
    assert '<a href="#entries-0-url"' in findings
    assert "must be a web address" in findings
    assert "disabled" in element(findings, "submit-button")


def test_a_field_that_does_not_validate_is_named_in_the_findings(browser, post):
    fields = open_editor(browser, post) | {"title": "T" * 250, "entries-0-url": "ftp://x"}
    findings = html.unescape(_check(browser, fields))
    assert "Title: at most 200 characters; this has 250." in findings
    assert 'Entry #1 "Django", web address: this must be a web address' in findings


def test_a_taken_slug_is_a_finding_while_typing(browser, writer, post, create_post):
    create_post(writer, sample("static-site-generators-2026"))
    taken = 'The slug "static-site-generators-2026" is already taken by another post.'
    fields = open_editor(browser, post)
    assert taken not in html.unescape(_check(browser, fields))  # its own slug is not taken

    fields["slug"] = "static-site-generators-2026"
    findings = _check(browser, fields, htmx=True)
    assert taken in html.unescape(findings)
    assert '<a href="#slug"' in findings
    assert "disabled" in element(findings, "submit-button")
    # A new post, whose slug is made from its title, hears of it too.
    new = open_editor(browser) | {"title": "Static site generators 2026", "slug": ""}
    assert taken in html.unescape(_check(browser, new))


def test_the_outline_lists_every_entry_with_its_count_of_findings(browser, post):
    fields = open_editor(browser, post) | {"entries-2-pick_else": ""}
    findings = _check(browser, fields)
    outline = findings[findings.index('<nav class="editor-outline"') : findings.index("</nav>")]
    entries = re.findall(r'<a href="#(entries-\d+)" data-jump>(#\d+ \w+)', outline)
    assert entries == [
        ("entries-0", "#1 Django"),
        ("entries-1", "#2 FastAPI"),
        ("entries-2", "#3 Flask"),
        ("entries-3", "#4 Litestar"),
    ]
    assert element(findings, "outline-heading") is not None
    assert 'data-count="entries-2" data-errors="1" data-total="1"' in outline
    assert 'data-count="entries-1" data-errors="0" data-total="0"' in outline
    assert 'data-count="entries" data-errors="1"' in outline


# --- preview ----------------------------------------------------------------------------------


def test_preview_shows_the_unsaved_form_with_the_public_template(browser, post):
    fields = open_editor(browser, post)
    fields["title"] = "An unsaved title"
    fields["entries-0-verdict"] = "Django is **the safe default**."
    response = browser.post("/posts/preview", data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Preview — not published." in page
    assert "<h1>An unsaved title</h1>" in page
    assert '<ol class="entries"' in page
    for name in ("Django", "FastAPI", "Flask", "Litestar"):
        assert f"{name}</a></h2>" in page
    assert "<strong>the safe default</strong>" in page
    assert "By Wren Writer" in page
    assert revision_numbers(post) == [1]


def test_preview_of_a_form_that_does_not_validate_says_what_to_fix(browser, post):
    fields = open_editor(browser, post)
    fields["entries-0-url"] = "javascript:alert(1)"
    response = browser.post("/posts/preview", data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing to preview yet" in page
    assert "must be a web address" in page
