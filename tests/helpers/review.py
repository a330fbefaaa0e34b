"""The review desk through the test client: its people, a browser each signed in through the
sign-in form, posts in review, decisions, and readers of what the review pages say."""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa

from editorial.domain import checklist
from editorial.domain.interchange import parse_post
from editorial.models import AuditEvent, Notification, Post, Role, User, db
from editorial.operations import accounts, posts
from tests.conftest import PASSWORD, sample
from tests.helpers.rules import entry

FRAMEWORKS = "python-web-frameworks-2026"  # entries Django, FastAPI, Flask, Litestar
GENERATORS = "static-site-generators-2026"  # entries Astro, Hugo, Eleventy
MANAGERS = "password-managers-2026"  # entries Bitwarden, 1Password, KeePassXC
DECISIONS = ("post.approve", "post.request_changes")

PEOPLE = {
    "writer": ("writer@example.com", "Wren Writer", [Role.WRITER]),
    "ada": ("ada@example.com", "Ada Author", [Role.WRITER, Role.REVIEWER]),
    "rhea": ("rhea@example.com", "Rhea Reviewer", [Role.REVIEWER]),
    "rob": ("rob@example.com", "Rob Reviewer", [Role.REVIEWER]),
    "adam": ("adam@example.com", "Adam Admin", [Role.WRITER, Role.REVIEWER, Role.ADMIN]),
}


# --- the people, and a browser each -------------------------------------------------------------


def add_people() -> dict[str, User]:
    """Everyone in PEOPLE, committed: for a ``people`` fixture."""
    users = {
        key: accounts.create_user(email, name, PASSWORD, roles)
        for key, (email, name, roles) in PEOPLE.items()
    }
    db.session.commit()
    return users


def token_in(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


class Desk:
    """One person's browser on the desk: a test client signed in through the sign-in form."""

    def __init__(self, client: Any, email: str | None):
        self.client = client
        page = client.get("/login").get_data(as_text=True)
        if email:
            data = {"email": email, "password": PASSWORD, "csrf_token": token_in(page)}
            assert client.post("/login", data=data).status_code == 302, f"{email} not signed in"
            page = client.get("/notifications/").get_data(as_text=True)
        self.token = token_in(page)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token}, **kwargs)


# --- posts, decisions and what the pages say ----------------------------------------------------


def draft(author: User, name: str = FRAMEWORKS, edit: Callable[[dict], None] | None = None) -> Post:
    content = sample(name)
    if edit:
        edit(content)
    post = posts.create_post(parse_post(content), author)
    db.session.commit()
    return post


def submitted(author: User, name: str = FRAMEWORKS, **kwargs: Any) -> Post:
    post = draft(author, name, **kwargs)
    posts.submit_for_review(post, author)
    db.session.commit()
    return post


def revise_and_resubmit(post: Post, edit: Callable[[dict], None]) -> None:
    """The writer saves a new revision (as the editor does) and sends it back to review."""
    content = copy.deepcopy(post.current_revision.content)
    edit(content)
    number = post.current_revision.number
    posts.save_revision(post, parse_post(content), post.author, base_revision=number)
    posts.submit_for_review(post, post.author)
    db.session.commit()


def longer_flask_verdict(content: dict) -> None:
    entry(content, "Flask")["verdict"] += " Its documentation is the best of the four."


def sponsored_rewrite(content: dict) -> None:
    """The probe's rewrite: first and last entries swapped, a new title, summary, intro,
    takeaways and tags; no entry's own text touched."""
    ranked = sorted(content["entries"], key=lambda e: e["rank"])
    ranked[0]["rank"], ranked[-1]["rank"] = ranked[-1]["rank"], ranked[0]["rank"]
    content["title"] = "SPONSORED: Litestar is the best framework"
    content["summary"] = "Litestar wins, no contest."
    content["intro"] = "We were paid to write this."
    content["takeaways"] = ["Pick Litestar."]
    content["tags"] = ["sponsored"]


def keys(post: Post) -> list[str]:
    return [item.key for item in checklist.items(post.current_revision.content)]


def decide(
    desk: Desk,
    post: Post,
    action: str,
    *,
    items: list[str] | None = None,
    comment: str = "",
    revision: int | None = None,
    **kwargs: Any,
) -> Any:
    """Press a button on the review page; every checklist box ticked unless ``items`` says."""
    data = {
        "action": action,
        "item": keys(post) if items is None else items,
        "comment": comment,
        "revision": str(revision or post.current_revision.number),
    }
    return desk.post(f"/review/{post.id}/decide", data, **kwargs)


def fresh(post_id: int) -> Post:
    return db.session.get(Post, post_id, populate_existing=True)


def decisions(post_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.post_id == post_id, AuditEvent.action.in_(DECISIONS))
            .order_by(AuditEvent.id)
        )
    )


def notes_of(user: User) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def text(fragment: str) -> str:
    """Visible text: tags dropped, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def problem(response: Any) -> str:
    found = re.search(
        r'<p class="flash flash-error" role="alert">Not done: (.*?)</p>', response.text, re.S
    )
    assert found, f"no message on the page (status {response.status_code})"
    return text(found.group(1))


def flashes(page: str) -> list[str]:
    return [
        text(m) for m in re.findall(r'<p class="flash flash-\w+" role="status">(.*?)</p>', page)
    ]


def buttons(page: str) -> list[str]:
    return [text(b) for b in re.findall(r"<button[^>]*>(.*?)</button>", page, re.S)]


class _Boxes(HTMLParser):
    """The checklist boxes: key -> (ticked, marked as changed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.boxes: dict[str, tuple[bool, bool]] = {}
        self.label_class: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.label_class = (a.get("class") or "").split()
        elif tag == "input" and a.get("name") == "item":
            self.boxes[a["value"] or ""] = ("checked" in a, "changed" in self.label_class)


def boxes(page: str) -> dict[str, tuple[bool, bool]]:
    reader = _Boxes()
    reader.feed(page)
    return reader.boxes


def entry_fieldset(page: str, index: int) -> str:
    """The editor's fieldset of entry ``index`` (0-based), up to the next entry's."""
    found = re.search(
        rf'<fieldset id="entries-{index}"[ >](.*?)(?=<fieldset id="entries-\d+"[ >]|</section>)',
        page,
        re.S,
    )
    assert found, f"no fieldset entries-{index} in the editor"
    return text(found.group(1))


def queue_rows(page: str) -> list[dict[str, str]]:
    """The queue's table: one dict a row, with the post's title and each labelled cell."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>", 1)[-1], re.S):
        cells = {k: v for k, v in re.findall(r'<td data-label="(\w+)"[^>]*>(.*?)</td>', row, re.S)}
        title = re.search(r'<a href="/review/\d+">(.*?)</a>', row).group(1)
        rows.append({"title": html.unescape(title), **{k: text(v) for k, v in cells.items()}})
        rows[-1]["links"] = " ".join(re.findall(r'href="([^"]+)"', cells.get("Changes", "")))
    return rows
