"""Hostile content: XSS payloads and naughty strings in every text field of a post, its title,
its tags, a comment and a slug, through the editor, the history, the review queue and page,
the published page and the feeds, in a real browser.

In Chromium no injected script may run: no dialog opens, the console reports no error (a
script the Content-Security-Policy refused is an error there), and the page's own DOM, frames
included, holds no inline script, no ``on*`` handler and no ``javascript:``, ``data:`` or
``vbscript:`` address. Every feed still parses, and its HTML carries no such address either.
"""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from xml.etree import ElementTree

import feedparser
import pytest

from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Post, Role, db
from editorial.operations import accounts, comments, outbox, posts, review
from editorial.tasks import publishing as publisher
from tests.conftest import PASSWORD, sample
from tests.helpers.browser import sign_in

# Markdown and HTML that tries to run script, leave its element, or smuggle an address in.
PAYLOADS = [
    "<script>alert('xss-script')</script>",
    '"><img src=x onerror=alert("xss-img")>',
    "'><svg/onload=alert('xss-svg')>",
    "<iframe src=\"javascript:alert('xss-iframe')\"></iframe>",
    "<a href=\"javascript:alert('xss-a')\">a link</a>",
    "<a href='vbscript:msgbox(1)'>vb</a>",
    "[click](javascript:alert('xss-md'))",
    "[mixed case](JaVaScRiPt:alert('xss-case'))",
    "[entity](&#106;avascript:alert('xss-entity'))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![image](javascript:alert('xss-image'))",
    "<details open ontoggle=alert('xss-details')>x</details>",
    "</textarea><script>alert('xss-textarea')</script>",
    "</title><script>alert('xss-title')</script>",
    "</script><script>alert('xss-json-ld')</script>",
    "]]><script>alert('xss-cdata')</script><![CDATA[",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-mxss')>",
    "<form action=\"javascript:alert('xss-form')\"><button>go</button></form>",
    "<object data=\"data:text/html,<script>alert('xss-object')</script>\"></object>",
    '<base href="//evil.example/"><meta http-equiv=refresh content="0;url=//evil.example">',
    "<style>body{display:none}</style>",
    "<!-- --><script>alert('xss-comment')</script><!-- -->",
    "&lt;script&gt;alert('xss-escaped')&lt;/script&gt;",
    "{{ 7*7 }} {% if true %}template{% endif %} ${7*7}",
]
# Naughty strings: direction overrides, zero-width, emoji, quotes, SQL, an XML entity bomb.
NAUGHTY = [
    "\u202eright-to-left override\u202c",
    "zero\u200bwidth\ufeffjoiners",
    "emoji 😀🏳️‍🌈 and ﷽",
    "quotes ' \" ` and a backslash \\",
    "'; DROP TABLE post; --",
    '<!DOCTYPE x [<!ENTITY a "aaaa">]>&a;',
]
# Short, one-line versions for names, titles and tags (plain text everywhere they appear).
SHORT = [
    "<script>alert('t')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "]]>&amp;<b>",
    "\u202eevil",
]
TITLE = f"Honest rankings {SHORT[0]} {SHORT[1]} {SHORT[3]}"
MARKDOWN_KEYS = {"bias", "intro", "description", "note", "verdict", "pick_else", "answer"}
HOSTILE_SLUGS = ['"><script>alert(1)</script>', "javascript:alert(1)", "../../x"]
BAD_SCHEMES = re.compile(r"^(javascript|data|vbscript):", re.I)
CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def _named(name: str, index: int) -> str:
    return f"{name} {SHORT[index % len(SHORT)]}"


def hostile_content() -> dict[str, Any]:
    """The sample post with hostile text added to every field it has, keeping it valid."""
    content = copy.deepcopy(sample())
    body = "\n\n".join(PAYLOADS + NAUGHTY)
    names = {c["name"]: _named(c["name"], i) for i, c in enumerate(content["criteria"])}

    def walk(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        if key in MARKDOWN_KEYS:
            return f"{node}\n\n{body}"
        if key == "criterion":
            return names[node]
        return node

    content = walk(content)
    for i, criterion in enumerate(content["criteria"]):
        criterion["name"] = names[sample()["criteria"][i]["name"]]
    for i, entry in enumerate(content["entries"]):
        entry["name"] = _named(entry["name"], i)
        entry["best_for"] = f"{entry.get('best_for') or 'Teams'} {NAUGHTY[i % len(NAUGHTY)]}"
        entry["url"] = "https://example.org/a?b=\"><script>alert('url')</script>"
    for i, item in enumerate(content["faq"]):
        item["question"] = _named(item["question"], i)
    content["title"] = TITLE
    content["summary"] = f"{content['summary']} {' '.join(SHORT)}"
    content["takeaways"] = [
        f"{t} {p}" for t, p in zip(content["takeaways"], PAYLOADS, strict=False)
    ]
    content["tags"] = ["python", *SHORT]
    return content


# ---- in the browser --------------------------------------------------------------------------

# What an injected script or address would leave in the DOM. Our own pages have no inline
# script but JSON-LD, no inline handler, and no script-capable address (the CSP forbids them).
INSPECT = """
() => {
  const found = [];
  const bad = /^(javascript|data|vbscript):/i;
  const urlAttrs = ["href", "src", "action", "formaction", "data", "xlink:href", "poster",
                    "background", "srcdoc", "ping"];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    const data = el.type === "application/ld+json";
    if (tag === "script" && !el.src && !data) found.push("inline script");
    if (["object", "embed", "base", "animate", "set", "handler"].includes(tag)) {
      found.push(`<${tag}>`);
    }
    if (tag === "meta" && el.httpEquiv) found.push(`meta http-equiv=${el.httpEquiv}`);
    if (tag === "style") found.push("<style>");
    // Scripts, frames, forms and stylesheets only from this origin.
    const address = { script: el.src, iframe: el.src, form: el.action,
                      link: /stylesheet|preload|import/i.test(el.rel) ? el.href : "" }[tag];
    if (address && new URL(address, location.href).origin !== location.origin) {
      found.push(`<${tag}> from ${address}`);
    }
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") || name === "style" || name === "srcdoc") {
        found.push(`${tag} ${name}`);
      }
      const value = attr.value.replace(/[\\u0000-\\u0020\\u007f-\\u009f]/g, "");
      if (urlAttrs.includes(name) && bad.test(value)) found.push(`${tag} ${name}=${attr.value}`);
    }
  }
  return found;
}
"""


class Watch:
    """Dialogs and console errors on a tab, and the DOM check of every page it opens."""

    def __init__(self, page: Any):
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.visited: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        # A form refused with 422 is logged as a failed load: the page itself, not a script.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"{self.page.url}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.url}: {response.status}")

    def check(self, what: str) -> None:
        """The page now shown (and its frames) holds nothing injected."""
        self.page.wait_for_load_state("load")
        self.visited.append(what)
        for frame in self.page.frames:
            if frame.url in ("", "about:blank"):
                continue
            found = frame.evaluate(INSPECT)
            assert not found, f"{what} ({frame.url}): injected markup survived: {found}"
        assert not self.dialogs, f"{what}: a script ran and opened {self.dialogs}"
        assert not self.errors, f"{what}: console errors {self.errors}"

    def visit(self, path: str, what: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status == 200, f"{what}: {path}"
        self.check(what)


@pytest.fixture
def live_app(make_app, tmp_path):
    # No autosave while the test types (it checks none): one that fired mid-typing would
    # create the post (the refused save then logs a 422 on /posts/<id>/edit, not /posts/new)
    # or answer 400 to a hostile slug, console errors the test does not expect.
    return make_app(EDITOR_AUTOSAVE_MS=600_000, SITE_DIR=str(tmp_path / "site"))


@pytest.fixture
def hostile(live_app) -> dict[str, Any]:
    """A writer's post (a clean first revision, then the hostile one) in review, with a hostile
    comment from a reviewer; the ids and people the test needs."""
    with live_app.app_context():
        writer = accounts.create_user("writer@example.com", "Wren", PASSWORD, [Role.WRITER])
        reviewer = accounts.create_user(
            "rev@example.com", "Rev <script>alert('name')</script>", PASSWORD, [Role.REVIEWER]
        )
        post = posts.create_post(parse_post(sample()), writer)
        posts.save_revision(post, parse_post(hostile_content()), writer, base_revision=1)
        posts.submit_for_review(post, writer)
        comments.add_comment(post, reviewer, "\n\n".join(PAYLOADS[:8]))
        db.session.commit()
        return {"post_id": post.id, "slug": post.slug}


def test_hostile_content_runs_nowhere_in_the_desk_the_site_or_the_feeds(
    page, live_app, hostile, shots, expected_console_errors
):
    # The hostile slug is refused: the editor's save answers 422, on purpose.
    expected_console_errors.append(r"status of 422 .*/posts/new'")
    watch = Watch(page)
    post_id = hostile["post_id"]

    # A new post typed in the editor: a hostile slug is refused next to its field, the text
    # stays as typed, and the live check of hostile Markdown runs nothing.
    sign_in(page, "writer@example.com")
    watch.check("the desk")
    watch.visit("/posts/new", "a new post")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Introduction").fill("\n\n".join(PAYLOADS))
    for slug in HOSTILE_SLUGS:
        page.get_by_label("Slug").fill(slug)
        page.locator("#save-button").click()
        watch.check(f"the editor refusing the slug {slug!r}")
        assert page.locator("#slug").input_value() == slug
        assert page.get_by_label("Title").input_value() == TITLE
        assert page.locator("#slug-error").inner_text().strip(), f"no error next to {slug!r}"
    shots(page, "editor-refusing-a-hostile-slug")

    # The writer's views of the hostile post: the editor, the history, a diff, the preview.
    watch.visit("/", "the desk")
    assert TITLE in page.locator("main").inner_text()  # shown as the text it is
    for path, what in [
        (f"/posts/{post_id}/edit", "the editor"),
        (f"/posts/{post_id}/history", "the history"),
        (f"/posts/{post_id}/diff?from=1&to=2", "the diff"),
        (f"/posts/{post_id}/revisions/2", "the revision page"),
        (f"/posts/{post_id}/revisions/2/preview", "the revision preview"),
        ("/notifications/", "the notifications"),
    ]:
        watch.visit(path, what)
        shots(page, what.removeprefix("the ").replace(" ", "-"))
    page.get_by_role("button", name="Sign out").click()

    # The reviewer's: the queue and the review page (the post framed as readers will see it).
    sign_in(page, "rev@example.com")
    watch.visit("/review/", "the review queue")
    assert TITLE in page.locator("main").inner_text()
    watch.visit(f"/review/{post_id}", "the review page")
    shots(page, "review-page")
    page.get_by_role("button", name="Sign out").click()

    # Published, as readers see it: the post, the front page, every tag page, and the feeds.
    with live_app.app_context():
        post = db.session.get(Post, post_id)
        reviewer = accounts.find_user("rev@example.com")
        review.approve(
            post, reviewer, review.checklist_keys(post), "Fine.", post.current_revision.number
        )
        db.session.commit()
        assert publisher.run(outbox.latest_job(post).id)
        assert db.session.get(Post, post_id).state == PostState.PUBLISHED
    watch.visit(f"/site/posts/{hostile['slug']}/", "the published post")
    assert page.title().startswith(TITLE)
    shots(page, "published-post")
    tag_links = page.locator("a[rel=tag]")
    tag_pages = {
        urljoin(page.url, tag_links.nth(i).get_attribute("href")) for i in range(tag_links.count())
    }
    assert len(tag_pages) == len(hostile_content()["tags"]), tag_pages  # one for each tag
    watch.visit("/site/", "the front page")
    for url in sorted(tag_pages):
        watch.visit(url, f"the tag page {url}")
    _check_feeds(Path(live_app.config["SITE_DIR"]))


HTML_IN_FEEDS = [
    "channel/item/description",
    "channel/item/{http://purl.org/rss/1.0/modules/content/}encoded",
    "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content",
    "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary",
]


def _check_feeds(site: Path) -> None:
    """Every feed parses (feedparser and strict XML), carries the title as the text it is, and
    the HTML it carries has no script-capable markup or address."""
    feeds = sorted(site.rglob("*.rss")) + sorted(site.rglob("*.atom"))
    assert len(feeds) >= 2, f"no feeds in {site}"
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, f"{path.name} does not parse: {parsed.bozo_exception}"
        assert [entry.title for entry in parsed.entries] == [TITLE], path
        root = ElementTree.fromstring(path.read_bytes())  # noqa: S314 (our own file)
        found = [el for where in HTML_IN_FEEDS for el in root.iterfind(where)]
        # Atom says which of its elements are HTML; a text one is shown as text by any reader.
        html = [el.text or "" for el in found if el.get("type", _default_type(el)) == "html"]
        assert html and all(html), f"{path}: no HTML content found"
        for chunk in html:
            assert not _bad_markup(chunk), (path, _bad_markup(chunk))
    for path in sorted(site.rglob("feed.json")):
        document = json.loads(path.read_text())
        assert [item["title"] for item in document["items"]] == [TITLE], path
        for item in document["items"]:
            assert not _bad_markup(item["content_html"]), path


def _default_type(element: Any) -> str:
    """Atom's text constructs are text unless marked; RSS's description is HTML."""
    return "text" if element.tag.startswith("{http://www.w3.org/2005/Atom}") else "html"


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "base", "style", "form", "meta"):
            self.bad.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"{tag} {name}")
            if value and BAD_SCHEMES.match(CONTROL.sub("", value)):
                self.bad.append(f"{tag} {name}={value}")


def _bad_markup(html: str) -> list[str]:
    """Script-capable elements, handlers and addresses in a piece of HTML."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.bad
