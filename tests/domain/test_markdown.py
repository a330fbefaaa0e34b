"""Markdown rendering and sanitising (no app)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from editorial.domain.markdown import ALLOWED_TAGS, render_content, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    '<svg onload="alert(1)">',
    '[x](https://ok.example "title" onmouseover=alert(1))',
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_comes_out_inert(text):
    parser = _Elements()
    parser.feed(render_markdown(text))
    for tag, attrs in parser.found:
        assert tag in ALLOWED_TAGS
        assert not any(name.startswith("on") for name in attrs)
        if tag == "a":
            assert urlsplit(attrs["href"] or "").scheme in ("http", "https", "mailto")


def test_formatting_survives():
    html = render_markdown("**bold** _it_ `code` [site](https://example.org)\n\n- one\n- two")
    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert "<code>code</code>" in html
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer">site</a>' in html
    assert "<li>one</li>" in html


def test_headings_are_shifted_below_the_page_heading():
    assert render_markdown("# Big\n\n## Less").startswith("<h3>Big</h3>")


def test_images_become_links_that_keep_their_alt_text():
    html = render_markdown("![Benchmark chart](https://example.org/chart.png)")
    assert "<img" not in html
    assert ">Benchmark chart</a>" in html


def test_render_content_mirrors_the_post():
    content = {
        "bias": "I *use* it.",
        "criteria": [{"name": "Speed", "description": "How **fast**."}],
        "entries": [{"verdict": "Good.", "pick_else": "Pick B.", "criteria": [{"note": "Fast"}]}],
        "faq": [{"question": "Q?", "answer": "A."}],
    }
    rendered = render_content(content)
    assert rendered["bias"] == "<p>I <em>use</em> it.</p>"
    assert rendered["criteria"] == ["<p>How <strong>fast</strong>.</p>"]
    assert rendered["entries"][0]["criteria"] == ["<p>Fast</p>"]
    assert rendered["intro"] == ""
