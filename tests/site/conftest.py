"""A demo site as readers get it: posts by several authors (one full of hostile text, one
corrected, one retracted), built by the publisher into ``site``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from editorial.models import Post, Role, User, db, utcnow
from editorial.operations import outbox
from editorial.tasks import publishing as publisher
from tests.conftest import sample
from tests.helpers.publisher import approve, content, edit

# Hostile text in every field (after tests/product/test_hostile_content.py): Markdown and HTML
# that try to run script or leave their element, and plain text with markup, quotes and
# direction overrides.
PAYLOADS = [
    "<script>alert('xss-script')</script>",
    '"><img src=x onerror=alert("xss-img")>',
    "[click](javascript:alert('xss-md'))",
    '[spaced link](https://example.org/a b<c>?q="x")',
    '<a href="https://example.org/<x>">a raw link</a>',
    "<details open ontoggle=alert('xss-details')>x</details>",
    "</title><script>alert('xss-title')</script>",
    "</script><script>alert('xss-json-ld')</script>",
    "]]><script>alert('xss-cdata')</script><![CDATA[",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-mxss')>",
    "<style>body{display:none}</style>",
    "\u202eright-to-left override\u202c, zero\u200bwidth, emoji 😀🏳️‍🌈",
]
SHORT = [
    "<script>alert('t')</script>",
    '"><img src=x onerror=alert(1)>',
    "]]>&amp;<b>",
    "\u202eevil",
]
MARKDOWN = {"bias", "intro", "description", "note", "verdict", "pick_else", "answer"}
HOSTILE_URL = "https://example.org/ä/a?b=\"><script>alert('url')</script>&c=`{d}`"


def hostile_content() -> dict[str, Any]:
    """The sample post with hostile text in every field, still a valid post."""
    content = copy.deepcopy(sample())
    body = "\n\n".join(PAYLOADS)

    def walk(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        return f"{node}\n\n{body}" if key in MARKDOWN else node

    content = walk(content)
    for i, entry in enumerate(content["entries"]):
        entry["name"] = f"{entry['name']} {SHORT[i % len(SHORT)]}"
        entry["best_for"] = f"{entry.get('best_for') or 'Teams'} {SHORT[-1]}"
        entry["url"] = HOSTILE_URL
        entry["pros"] = [SHORT[i % len(SHORT)], SHORT[-1]]
        entry["cons"] = [SHORT[(i + 1) % len(SHORT)]]
        entry["override"] = body
    for i, item in enumerate(content["faq"]):
        item["question"] = f"{item['question']} {SHORT[i % len(SHORT)]}"
    content["title"] = f"Honest rankings {SHORT[0]} {SHORT[2]}"
    content["slug"] = "honest-rankings"
    content["summary"] = f"{content['summary']} {' '.join(SHORT)}"
    takeaways = zip(content["takeaways"], PAYLOADS, strict=False)
    content["takeaways"] = [f"{takeaway} {payload}" for takeaway, payload in takeaways]
    content["tags"] = ["python", *SHORT]
    return content


@dataclass
class DemoSite:
    root: Path
    authors: list[User]
    posts: dict[str, Post] = field(default_factory=dict)

    def html_pages(self) -> list[Path]:
        return sorted(self.root.resolve().rglob("*.html"))


@pytest.fixture
def demo_site(
    app: Any, site: Path, create_user: Callable[..., User], create_post: Callable[..., Any]
) -> DemoSite:
    """Four samples by three authors, a hostile post, a correction and a retraction."""
    reviewer = create_user("rhea.reviewer@example.net", Role.REVIEWER, name="Rhea Reviewer")
    authors = [
        create_user("wren.writer@example.com", name="Wren Writer"),
        create_user("ada@example.org", name="Ada <b>Lovelace</b> & Co"),
        create_user("grace.h@example.co.uk", name="Grace Hopper"),
    ]
    demo = DemoSite(site, authors)

    def publish(key: str, author: User, content: dict[str, Any]) -> Post:
        post = create_post(author, content)
        assert publisher.run(approve(post, reviewer).id)
        demo.posts[key] = post
        return post

    names = [
        "python-web-frameworks-2026",
        "password-managers-2026",
        "static-site-generators-2026",
        "backend-frameworks-2026",  # scored: weights, the score table, pros and cons
    ]
    for i, name in enumerate(names):
        publish(name, authors[i % len(authors)], sample(name))
    publish("hostile", authors[1], hostile_content())
    publish("retracted", authors[2], content(9))

    corrected = demo.posts["password-managers-2026"]
    edit(corrected, correction=f"A corrected verdict. {PAYLOADS[3]}")
    assert publisher.run(approve(corrected, reviewer).id, now=utcnow() + timedelta(days=3))
    job = outbox.request_retract(demo.posts["retracted"], reviewer)
    db.session.commit()
    assert publisher.run(job.id)
    return demo
