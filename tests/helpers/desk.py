"""The desk through the test client: reading a page's form as a browser would submit it,
signing in, and pressing the editor's buttons."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

from editorial.domain.interchange import parse_post
from editorial.models import Post, WorkingCopy, db
from tests.conftest import PASSWORD
from tests.helpers.accounts import csrf_of

# --- a browser, in a few lines ----------------------------------------------------------------


class _FormReader(HTMLParser):
    """The controls a browser submits from the first form whose attributes match."""

    def __init__(self, match: dict[str, str]):
        super().__init__(convert_charrefs=True)
        self.match = match
        self.found: dict[str, str | None] | None = None  # the matching form's attributes
        self.inside = False  # within the matching form's tags
        self.disabled: list[bool] = []  # one per open <fieldset> in it
        self.fields: dict[str, str] = {}
        self.textarea: str | None = None
        self.select: str | None = None
        self.text = ""

    def _owned(self, a: dict[str, str | None]) -> bool:
        # A control's form="..." attribute overrides the form it sits in.
        if "form" in a:
            return self.found is not None and a["form"] == self.found.get("id")
        return self.inside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            if self.found is None and all(a.get(k) == v for k, v in self.match.items()):
                self.found, self.inside = a, True
            return
        if tag == "fieldset" and self.inside:
            self.disabled.append("disabled" in a)
            return
        if tag == "option" and self.select is not None:
            # A select sends its selected option, else its first.
            if self.select not in self.fields or "selected" in a:
                self.fields[self.select] = a.get("value") or ""
            return
        if tag not in ("input", "textarea", "select") or not a.get("name") or not self._owned(a):
            return
        if "disabled" in a or (self.inside and any(self.disabled)):
            return  # a disabled fieldset disables the fields in it
        if tag == "textarea":
            self.textarea, self.text = a["name"], ""
            return
        if tag == "select":
            self.select = a["name"]
            return
        kind = (a.get("type") or "text").lower()
        if kind in ("submit", "button", "image", "reset", "file"):
            return
        if kind in ("checkbox", "radio") and "checked" not in a:
            return
        self.fields[a["name"]] = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        if tag == "textarea" and self.textarea is not None:
            # Browsers drop the newline right after <textarea> and send line breaks as CRLF.
            text = re.sub(r"\A(\r\n|\r|\n)", "", self.text)
            self.fields[self.textarea] = re.sub(r"\r\n|\r|\n", "\r\n", text)
            self.textarea = None
        elif tag == "fieldset" and self.inside and self.disabled:
            self.disabled.pop()
        elif tag == "form":
            self.inside = False


def form_fields(page: str, **match: str) -> dict[str, str]:
    """What a browser submits from the form on ``page`` with these attributes (the editor's
    form by default)."""
    reader = _FormReader(match or {"id": "post-form"})
    reader.feed(page)
    reader.close()
    assert reader.found is not None, f"no form {match} on the page"
    return reader.fields


class _ElementReader(HTMLParser):
    def __init__(self, element_id: str):
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.attrs: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.attrs is None and dict(attrs).get("id") == self.element_id:
            self.attrs = dict(attrs)


def element(page: str, element_id: str) -> dict[str, str | None] | None:
    """The attributes of the element with ``element_id`` on ``page``, or None."""
    reader = _ElementReader(element_id)
    reader.feed(page)
    return reader.attrs


def error_next_to(page: str, field: str) -> str | None:
    """The text of the error message shown next to the field with id ``field``."""
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else None


def column(fields: dict[str, str], kind: str, name: str | None = None) -> list[str]:
    """One field of every row of a list (``criteria``, ``entries``...), in the form's order."""
    out = []
    while (key := f"{kind}-{len(out)}" + (f"-{name}" if name else "")) in fields:
        out.append(fields[key])
    return out


def login(client: Any, email: str = "writer@example.com") -> Any:
    """Sign ``client`` in through the sign-in form; the client."""
    assert client.get("/login").status_code == 200, "this client is signed in already"
    data = {"email": email, "password": PASSWORD, "csrf_token": csrf_of(client, "/login")}
    response = client.post("/login", data=data)
    assert response.status_code == 302, "could not sign in"
    return client


def edit_url(post: Post | None) -> str:
    return f"/posts/{post.id}/edit" if post else "/posts/new"


def open_editor(client: Any, post: Post | None = None) -> dict[str, str]:
    """GET the editor; the fields its form would submit."""
    response = client.get(edit_url(post))
    assert response.status_code == 200
    return form_fields(response.get_data(as_text=True))


def press(client: Any, url: str, fields: dict[str, str], **extra: str) -> Any:
    """Submit ``fields`` to ``url`` with ``extra`` on top: the button pressed (``action="save"``,
    ``op="add-faq"``) and any field typed over."""
    return client.post(url, data={**fields, **extra})


def autosave_form(client: Any, url: str, fields: dict[str, str], status: int = 200) -> Any:
    """POST ``fields`` to an autosave URL as editor.js does; the JSON answer."""
    response = client.post(url, data=fields, headers={"Accept": "application/json"})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def rerendered(response: Any, status: int = 200) -> tuple[str, dict[str, str]]:
    """The page a re-rendering answer shows, and its form's fields."""
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:2000]
    return page, form_fields(page)


def fresh(post: Post) -> Post:
    """The post as stored now (the views commit in their own requests)."""
    db.session.expire_all()
    return db.session.get(Post, post.id)


def revision_numbers(post: Post) -> list[int]:
    return [r.number for r in fresh(post).revisions]


def working_copy_of(post: Post) -> WorkingCopy | None:
    db.session.expire_all()
    # A saved or discarded copy leaves an empty row behind (its version goes on counting).
    copy = db.session.get(WorkingCopy, post.id)
    return copy if copy is not None and copy.form_data is not None else None


def stored(data: dict[str, Any]) -> dict[str, Any]:
    """Interchange data as a revision stores it."""
    return parse_post(data).content()
