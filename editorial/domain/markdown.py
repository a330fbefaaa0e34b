"""Markdown to safe HTML: markdown-it-py without raw HTML, then sanitised by nh3."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape, unescape
from typing import Any

import nh3
from markdown_it import MarkdownIt

from editorial.domain.disclosure import is_affiliate

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "js-default": CommonMark with raw HTML off and links validated; plus tables, strikethrough.
    md = MarkdownIt("js-default", {"linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )
    md.add_render_rule("image", _image_as_link)
    return md


def _image_as_link(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    # No remote images in posts (they would track readers and reviewers): keep the alt text
    # as a link to the image instead of dropping it.
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escape(src)}">{escape(alt)}</a>'


def render_markdown(text: str | None) -> str:
    """Render one Markdown field to sanitised HTML ('' for empty input)."""
    if not text:
        return ""
    clean = _sanitised(text)
    # An affiliate link says so to search engines: rel="sponsored" (the sanitiser gave every
    # link the same rel, after its href and title, which it escaped). Which links are affiliate
    # is configured, so this is done on every call, after the cache.
    return _LINK_REL.sub(_sponsored, clean) if "<a " in clean else clean


@lru_cache(maxsize=4096)
def _sanitised(text: str) -> str:
    """A field's sanitised HTML, kept by its text: a save, an autosave or a findings refresh
    renders every field of the post again, and nearly all of them are as they were (a 50-entry,
    20-criterion post has some 1,100). Rendering depends on the text alone."""
    html = _parser().render(text)
    # Writers' headings sit inside a page that owns h1/h2; shift them down.
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        filter_style_properties={"text-align"},
    ).strip()


_LINK_REL = re.compile(r'<a href="([^"]*)"([^>]*) rel="nofollow noopener noreferrer">')


def _sponsored(match: re.Match[str]) -> str:
    if not is_affiliate(unescape(match.group(1))):
        return match.group(0)
    return (
        f'<a href="{match.group(1)}"{match.group(2)} rel="sponsored nofollow noopener noreferrer">'
    )


def render_content(content: dict[str, Any]) -> dict[str, Any]:
    """Render every Markdown field of interchange content, mirroring its shape."""
    return {
        "bias": render_markdown(content.get("bias")),
        "intro": render_markdown(content.get("intro")),
        "disclosure": render_markdown(content.get("disclosure")),
        "correction": render_markdown(content.get("correction")),
        "criteria": [render_markdown(c.get("description")) for c in content.get("criteria", [])],
        "entries": [
            {
                "verdict": render_markdown(e.get("verdict")),
                "pick_else": render_markdown(e.get("pick_else")),
                "override": render_markdown(e.get("override")),
                "criteria": [render_markdown(n.get("note")) for n in e.get("criteria", [])],
            }
            for e in content.get("entries", [])
        ],
        "faq": [render_markdown(f.get("answer")) for f in content.get("faq", [])],
    }
