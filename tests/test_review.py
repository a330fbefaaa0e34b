"""The review queue through the test client, with real CSRF on: who may decide what, the
checklist and its memory, comments, claims, the queue, the command line and bulk actions,
the audit log, notifications, and two reviewers deciding at the same moment."""

from __future__ import annotations

import copy
import html
import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain import checklist, rules
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import (
    AuditEvent,
    Comment,
    Notification,
    Post,
    PublishJob,
    ReviewClaim,
    Role,
    Signoff,
    User,
    db,
    utcnow,
)
from editorial.operations import accounts, outbox, posts, publishing, review
from editorial.operations.outbox import latest_job
from editorial.tasks import mail
from tests.conftest import PASSWORD, sample
from tests.helpers.desk import csrf_on_app

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


# --- the app, the people, and a browser each ----------------------------------------------------


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Iterator[Any]:
    """CSRF on, as in production."""
    yield from csrf_on_app(make_app)


@pytest.fixture
def people(app: Any) -> dict[str, User]:
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


@pytest.fixture
def desk(app: Any, people: dict[str, User]) -> Callable[[str | None], Desk]:
    """``desk("rhea")``: a browser signed in as Rhea; ``desk(None)``: nobody signed in."""
    return lambda who: Desk(app.test_client(), PEOPLE[who][0] if who else None)


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


def entry(content: dict, name: str) -> dict:
    return next(e for e in content["entries"] if e["name"] == name)


def longer_flask_verdict(content: dict) -> None:
    entry(content, "Flask")["verdict"] += " Its documentation is the best of the four."


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


# --- who may decide what ------------------------------------------------------------------------


def _in_state(author: User, state: str, decider: User, name: str = FRAMEWORKS) -> Post:
    post = draft(author, name) if state == "draft" else submitted(author, name)
    if state in ("approved", "published"):
        review.approve_post(post, decider, set(keys(post)), "Fine.", 1)
        db.session.commit()
    if state == "published":
        publishing.run(latest_job(post).id)
        assert fresh(post.id).state == PostState.PUBLISHED
    if state == "changes_requested":
        review.request_changes_post(post, decider, set(), "Say more about Flask.", 1)
        db.session.commit()
    return post


@pytest.mark.parametrize(
    ("who", "owner", "state", "action", "status", "message"),
    [
        # Any reviewer but the author decides on a post in review.
        ("rhea", "writer", "in_review", "approve", 302, None),
        ("rhea", "writer", "in_review", "request_changes", 302, None),
        ("adam", "writer", "in_review", "approve", 302, None),
        # Nobody decides on their own post: a writer who reviews, nor an admin.
        ("ada", "ada", "in_review", "approve", 403, "Nobody reviews their own post"),
        ("ada", "ada", "in_review", "request_changes", 403, "Nobody reviews their own post"),
        ("adam", "adam", "in_review", "approve", 403, "Nobody reviews their own post"),
        ("adam", "adam", "in_review", "request_changes", 403, "Nobody reviews their own post"),
        ("ada", "ada", "draft", "approve", 403, "Nobody reviews their own post"),
        # A plain writer has no business in the review desk.
        ("writer", "ada", "in_review", "approve", 403, None),
        ("writer", "ada", "in_review", "request_changes", 403, None),
        # Only a post in review can be decided on.
        ("rhea", "writer", "draft", "approve", 409, "draft"),
        ("rhea", "writer", "draft", "request_changes", 409, "draft"),
        ("rhea", "writer", "changes_requested", "approve", 409, "changes requested"),
        ("rhea", "writer", "changes_requested", "request_changes", 409, "changes requested"),
        ("rhea", "writer", "approved", "approve", 409, "approved"),
        ("rhea", "writer", "approved", "request_changes", 409, "approved"),
        ("rhea", "writer", "published", "approve", 409, "published"),
        ("rhea", "writer", "published", "request_changes", 409, "published"),
        # Nobody signed in: to the sign-in page.
        (None, "writer", "in_review", "approve", 302, None),
        (None, "writer", "in_review", "request_changes", 302, None),
    ],
)
def test_who_may_decide(desk, people, who, owner, state, action, status, message):
    post = _in_state(people[owner], state, people["rob"])
    before = (fresh(post.id).state, decisions(post.id))
    browser = desk(who)

    response = decide(browser, post, action, comment="Name a real alternative to Flask.")

    assert response.status_code == status
    if who is None:
        assert response.headers["Location"].startswith("/login?next=")
    elif status == 302:
        assert response.headers["Location"] == "/review/"
        assert decisions(post.id) == ["post." + action]
        return
    if message:
        assert message in problem(response)
    assert (fresh(post.id).state, decisions(post.id)) == before, "something was recorded"
    if who:
        assert not db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Signoff)
            .where(Signoff.reviewer_id == people[who].id)
        )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/review/"),
        ("get", "/review/{id}"),
        ("post", "/review/{id}/claim"),
        ("post", "/review/{id}/release"),
        ("post", "/review/bulk"),
    ],
)
def test_a_plain_writer_cannot_use_the_review_desk(desk, people, method, path):
    post = submitted(people["ada"])
    writer = desk("writer")
    response = getattr(writer, method)(path.format(id=post.id))
    assert response.status_code == 403
    assert "Review queue" not in writer.get("/").text  # nor is it linked from the header
    assert review.active_claim(post) is None


def test_a_decision_without_the_forms_csrf_token_is_refused(desk, people):
    post = submitted(people["writer"])
    rhea = desk("rhea")
    data = {"action": "approve", "item": keys(post), "revision": "1"}
    response = rhea.client.post(f"/review/{post.id}/decide", data=data)
    assert response.status_code == 400
    assert "form expired" in response.text
    assert decisions(post.id) == [] and fresh(post.id).state == PostState.IN_REVIEW


def test_nobody_signed_in_is_sent_to_sign_in(desk, people):
    post = submitted(people["writer"])
    anonymous = desk(None)
    for response in (anonymous.get("/review/"), anonymous.get(f"/review/{post.id}")):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_the_decision_buttons_are_hidden_from_the_author_and_on_a_decided_post(desk, people):
    own = submitted(people["ada"])
    page = desk("ada").get(f"/review/{own.id}").text
    assert "This is your post: another reviewer must decide on it." in page
    assert not {"Approve revision 1", "Request changes", "Claim it"} & set(buttons(page))

    decided = _in_state(people["writer"], "approved", people["rob"], GENERATORS)
    page = desk("rhea").get(f"/review/{decided.id}").text
    assert not {"Approve revision 1", "Request changes", "Claim it"} & set(buttons(page))

    page = desk("rhea").get(f"/review/{own.id}").text
    assert {"Approve revision 1", "Request changes", "Claim it"} <= set(buttons(page))


# --- approving ----------------------------------------------------------------------------------


def test_approve_needs_every_checklist_box_ticked(desk, people):
    post = submitted(people["writer"])
    rhea = desk("rhea")
    every = keys(post)

    response = decide(rhea, post, "approve", items=every[:-1])
    assert response.status_code == 422
    assert problem(response) == "Tick every checklist item before approving; 1 is not ticked."
    shown = boxes(response.text)  # the boxes come back as the reviewer left them
    assert [key for key, (ticked, _) in shown.items() if not ticked] == [every[-1]]

    response = decide(rhea, post, "approve", items=[])
    assert response.status_code == 422
    assert problem(response).endswith(f"{len(every)} are not ticked.")
    assert fresh(post.id).state == PostState.IN_REVIEW and decisions(post.id) == []

    assert decide(rhea, post, "approve").status_code == 302
    assert fresh(post.id).state == PostState.APPROVED


def test_approve_is_refused_while_an_error_finding_is_left(desk, people, monkeypatch):
    # Submitting refuses a post with errors and a post in review cannot be edited, so the
    # way a post in review comes to have an error is a rule made stricter after it was
    # submitted: that is what this stands in for (the stored post is untouched).
    post = submitted(people["writer"])
    checked = rules.check_post
    new_rule = rules.Finding(
        "pick-else-vague",
        rules.Severity.ERROR,
        'Entry #3 "Flask" has a vague "when to pick something else" note.',
        "entries[2].pick_else",
    )
    monkeypatch.setattr(rules, "check_post", lambda content: [*checked(content), new_rule])
    rhea = desk("rhea")
    assert "1 error" in queue_rows(rhea.get("/review/").text)[0]["Findings"]

    response = decide(rhea, post, "approve")

    assert response.status_code == 422
    assert new_rule.message in problem(response)
    assert "Fix the 1 error finding(s) before approving." in problem(response)
    assert fresh(post.id).state == PostState.IN_REVIEW and decisions(post.id) == []
    # Sending it back is how such a post gets fixed.
    assert decide(rhea, post, "request_changes", comment="See the new rule.").status_code == 302


def test_approval_pins_the_revision_and_a_later_edit_withdraws_it(desk, people):
    writer = people["writer"]
    post = submitted(writer)
    assert decide(desk("rhea"), post, "approve", comment="Clear and fair.").status_code == 302
    post = fresh(post.id)
    assert post.state == PostState.APPROVED
    assert post.approved_revision.number == 1

    content = copy.deepcopy(post.current_revision.content)
    content["summary"] = "Four Python web frameworks compared, with when to pick another."
    posts.save_revision(post, parse_post(content), writer, base_revision=1)
    db.session.commit()

    post = fresh(post.id)
    assert post.state == PostState.DRAFT
    assert post.approved_revision is None
    assert post.current_revision.number == 2


def test_a_decision_on_a_revision_that_is_no_longer_current_is_refused(desk, people):
    writer = people["writer"]
    post = submitted(writer)
    rhea = desk("rhea")
    assert 'name="revision" value="1"' in rhea.get(f"/review/{post.id}").text
    posts.withdraw(post, writer)
    db.session.commit()
    revise_and_resubmit(post, longer_flask_verdict)

    response = decide(rhea, post, "approve", revision=1)

    assert response.status_code == 409
    assert "revision 2 is now current, you reviewed revision 1" in problem(response)
    assert decisions(post.id) == []


# --- requesting changes, and comments -----------------------------------------------------------


def test_request_changes_needs_a_comment_and_the_writer_answers_it_in_the_editor(desk, people):
    post = submitted(people["writer"])
    rhea = desk("rhea")
    response = decide(rhea, post, "request_changes", items=[])
    assert response.status_code == 422
    assert "Say what should change" in problem(response)
    assert fresh(post.id).state == PostState.IN_REVIEW

    note = "The note on when to pick something else than Flask should name Quart."
    form = {"body": note, "entry": "flask", "origin": "review", "next": f"/review/{post.id}"}
    response = rhea.post(f"/posts/{post.id}/comments", form)
    assert response.headers["Location"] == f"/review/{post.id}"
    assert decide(rhea, post, "request_changes", items=[]).status_code == 302
    assert fresh(post.id).state == PostState.CHANGES_REQUESTED

    # The writer finds it next to the entry it is about, and nowhere else.
    writer = desk("writer")
    editor = f"/posts/{post.id}/edit"
    page = writer.get(editor).text
    assert note in entry_fieldset(page, 2)  # Flask, third
    assert note not in entry_fieldset(page, 0) + entry_fieldset(page, 3)
    comment = db.session.scalar(sa.select(Comment))
    assert (comment.entry_name, comment.author_id) == ("Flask", people["rhea"].id)

    reply = {"body": "Done: it names Quart now.", "parent": comment.id, "origin": "editor"}
    response = writer.post(f"/posts/{post.id}/comments", {**reply, "next": editor})
    assert response.headers["Location"] == editor
    assert "Done: it names Quart now." in entry_fieldset(writer.get(editor).text, 2)
    assert [n.kind for n in notes_of(people["rhea"])] == ["queue", "reply"]

    response = writer.post(f"/comments/{comment.id}/resolve", {"next": editor})
    assert response.headers["Location"] == editor
    db.session.refresh(comment)
    assert comment.resolved_at is not None and comment.resolved_by_id == people["writer"].id
    assert "resolved by Wren Writer" in entry_fieldset(writer.get(editor).text, 2)


@pytest.mark.parametrize(
    ("who", "status"), [("ada", 302), ("rhea", 302), ("writer", 403), (None, 302)]
)
def test_who_may_comment(desk, people, who, status):
    """The author and the reviewers discuss a post; another writer may not join in."""
    post = submitted(people["ada"])
    form = {"body": "A question.", "origin": "review", "next": f"/review/{post.id}"}
    response = desk(who).post(f"/posts/{post.id}/comments", form)
    assert response.status_code == status
    commented = db.session.scalar(sa.select(sa.func.count()).select_from(Comment))
    assert commented == (1 if who in ("ada", "rhea") else 0)
    if who is None:
        assert response.headers["Location"].startswith("/login?next=")


def test_a_comment_too_long_comes_back_with_its_text_and_a_message(desk, people):
    post = submitted(people["writer"])
    body = "x" * 5_001
    form = {"body": body, "entry": "Django", "origin": "review", "next": f"/review/{post.id}"}
    response = desk("rhea").post(f"/posts/{post.id}/comments", form)
    assert response.status_code == 422
    assert "At most 5,000 characters; this has 5,001." in response.text
    assert body in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_ticks_stay_on_unchanged_entries_when_the_post_comes_back(desk, people):
    post = submitted(people["writer"])
    rhea = desk("rhea")
    response = decide(rhea, post, "request_changes", comment="Flask's verdict undersells it.")
    assert response.status_code == 302

    def edit(content: dict) -> None:
        longer_flask_verdict(content)
        entry(content, "Django")["rank"], entry(content, "FastAPI")["rank"] = 2, 1  # moved only

    revise_and_resubmit(post, edit)
    page = rhea.get(f"/review/{post.id}").text

    shown = boxes(page)
    assert set(shown) == set(keys(post))
    # Flask changed; Django and FastAPI only moved, which resets the post items (the order is
    # part of what they vouch for) but not the two entries' own.
    changed = {"entry:flask:criteria", "entry:flask:pick_else"}
    post_items = {"post:bias", "post:criteria", "post:presentation"}
    assert {key for key, (ticked, _) in shown.items() if not ticked} == changed | post_items
    assert {key for key, (_, marked) in shown.items() if marked} == changed | post_items
    assert "Changed since you signed it off" in page
    assert "Changes since the last review (revision 1)" in page
    # Approving needs just those five boxes ticked again.
    still = [key for key, (ticked, _) in shown.items() if ticked]
    response = decide(rhea, post, "approve", items=still)
    assert problem(response).endswith("5 are not ticked.")
    assert decide(rhea, post, "approve").status_code == 302


# --- claims -------------------------------------------------------------------------------------


def test_a_claim_keeps_other_reviewers_from_deciding_until_it_lapses(app, desk, people):
    post = submitted(people["writer"])
    rhea, rob = desk("rhea"), desk("rob")
    assert rhea.post(f"/review/{post.id}/claim").headers["Location"] == f"/review/{post.id}"
    held = review.active_claim(post)
    assert held.reviewer_id == people["rhea"].id
    assert held.expires_at - held.claimed_at == timedelta(
        minutes=app.config["REVIEW_CLAIM_MINUTES"]
    )
    assert queue_rows(rob.get("/review/").text)[0]["Reviewer"].startswith("Rhea Reviewer until")
    assert queue_rows(rhea.get("/review/").text)[0]["Reviewer"].startswith("You until")

    response = decide(rob, post, "approve")
    assert response.status_code == 409
    assert "Rhea Reviewer is reviewing this post" in problem(response)
    response = rob.post(f"/review/{post.id}/claim", follow_redirects=True)
    assert any(
        f.startswith("Not claimed: Rhea Reviewer is reviewing") for f in flashes(response.text)
    )
    assert decisions(post.id) == []

    # The claim lapses (as if it had been taken an hour ago for half an hour).
    review.claim(post, people["rhea"], 30, now=utcnow() - timedelta(hours=1))
    db.session.commit()
    assert review.active_claim(post) is None
    assert queue_rows(rob.get("/review/").text)[0]["Reviewer"] == "—"
    assert decide(rob, post, "approve").status_code == 302
    assert fresh(post.id).state == PostState.APPROVED
    assert db.session.get(ReviewClaim, post.id) is None


def test_releasing_a_claim_lets_another_reviewer_take_it(desk, people):
    post = submitted(people["writer"])
    rhea, rob = desk("rhea"), desk("rob")
    rhea.post(f"/review/{post.id}/claim")

    response = rob.post(f"/review/{post.id}/release", follow_redirects=True)
    assert "Only the reviewer who claimed this post (or an admin) can release it." in flashes(
        response.text
    )
    assert review.active_claim(post).reviewer_id == people["rhea"].id

    assert rhea.post(f"/review/{post.id}/release").headers["Location"] == "/review/"
    assert review.active_claim(post) is None
    rob.post(f"/review/{post.id}/claim")
    assert review.active_claim(post).reviewer_id == people["rob"].id


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_lists_posts_in_review_oldest_first_and_filters_them(desk, people):
    writer, ada = people["writer"], people["ada"]

    def short_verdict(content: dict) -> None:
        entry(content, "1Password")["verdict"] = "Solid and polished."  # a warning

    frameworks = draft(writer, FRAMEWORKS)
    generators = draft(ada, GENERATORS)
    managers = draft(writer, MANAGERS, edit=short_verdict)
    draft(writer, FRAMEWORKS, edit=lambda c: c.update(slug="still-a-draft"))
    for post in (managers, frameworks, generators):  # not the order they were created in
        posts.submit_for_review(post, post.author)
        db.session.commit()
    rob = desk("rob")

    rows = queue_rows(rob.get("/review/").text)
    assert [r["title"] for r in rows] == [managers.title, frameworks.title, generators.title]
    assert [(r["Author"], r["Entries"], r["Findings"]) for r in rows] == [
        ("Wren Writer", "3", "1 warning"),
        ("Wren Writer", "4", "0 warnings"),
        ("Ada Author", "3", "0 warnings"),
    ]
    assert [r["Changes"] for r in rows] == ["First review"] * 3

    def titles(query: str) -> list[str]:
        return [r["title"] for r in queue_rows(rob.get("/review/?" + query).text)]

    assert titles(f"author={writer.id}") == [managers.title, frameworks.title]
    assert titles("tag=web") == [frameworks.title, generators.title]
    assert titles("tag=WEB") == [frameworks.title, generators.title]
    assert titles(f"author={ada.id}&tag=web") == [generators.title]
    page = rob.get(f"/review/?author={ada.id}&tag=python").text
    assert queue_rows(page) == [] and "Nothing in review matches." in page


def test_the_queue_links_to_the_changes_since_the_last_review_and_against_live(desk, people):
    post = submitted(people["writer"])
    rob = desk("rob")
    assert decide(rob, post, "request_changes", comment="Say more about Flask.").status_code == 302
    revise_and_resubmit(post, longer_flask_verdict)

    row = queue_rows(rob.get("/review/").text)[0]
    assert row["Changes"] == "Since last review"
    assert row["links"] == f"/posts/{post.id}/diff?from=1&amp;to=2"
    assert rob.get(f"/posts/{post.id}/diff?from=1&to=2").status_code == 200

    # Approved, published, then edited again: the queue offers both comparisons.
    assert decide(rob, post, "approve").status_code == 302
    publishing.run(latest_job(post).id)
    revise_and_resubmit(fresh(post.id), lambda c: c.update(summary="A shorter summary."))
    row = queue_rows(rob.get("/review/").text)[0]
    assert row["Changes"] == "Since last review Against live"
    assert row["links"] == (
        f"/posts/{post.id}/diff?from=2&amp;to=3 /posts/{post.id}/diff?from=2&amp;to=3"
    )


# --- the command line and bulk actions ----------------------------------------------------------


def test_the_command_line_keeps_the_four_eyes_rule(app, people):
    runner = app.test_cli_runner()
    post = submitted(people["ada"])

    approve = ["posts", "approve", str(post.id), "--reviewer", "ada@example.com", "--revision", "1"]
    result = runner.invoke(args=approve)
    assert result.exit_code != 0
    assert "Nobody reviews their own post" in result.output
    result = runner.invoke(
        args=["posts", "request-changes", str(post.id), "--reviewer", "ada@example.com"]
        + ["--revision", "1", "--comment", "Looks fine to me."]
    )
    assert result.exit_code != 0
    assert "Nobody reviews their own post" in result.output
    assert decisions(post.id) == [] and fresh(post.id).state == PostState.IN_REVIEW

    # Another reviewer decides on what they ticked in the desk: everything, or nothing.
    approve = ["posts", "approve", str(post.id), "--reviewer", "rhea@example.com"]
    approve += ["--revision", "1"]
    result = runner.invoke(args=approve)
    assert result.exit_code != 0
    assert "Tick every checklist item before approving" in result.output
    review.sign_off(post, people["rhea"], set(keys(post)))
    db.session.commit()
    result = runner.invoke(args=[*approve, "--comment", "Clear criteria."])
    assert result.exit_code == 0, result.output
    assert "Approved revision 1" in result.output
    assert decisions(post.id) == ["post.approve"]


def test_bulk_actions_refuse_own_posts_and_approve_complete_checklists(desk, people):
    own = submitted(people["ada"], FRAMEWORKS)
    ready = submitted(people["writer"], GENERATORS)
    unticked = submitted(people["writer"], MANAGERS)
    ada = desk("ada")
    # Ticking boxes on the review page saves them as they are ticked.
    response = decide(ada, ready, "save", headers={"HX-Request": "true"})
    assert response.status_code == 204

    selected = [own.id, ready.id, unticked.id]
    own_post = f"“{own.title}”: Nobody reviews their own post; another reviewer must decide."
    response = ada.post(
        "/review/bulk", {"post": selected, "action": "claim"}, follow_redirects=True
    )
    assert flashes(response.text) == [
        f"Claimed: “{ready.title}”, “{unticked.title}”.",
        f"Not claimed: {own_post}",
    ]
    response = ada.post(
        "/review/bulk", {"post": selected, "action": "approve"}, follow_redirects=True
    )

    assert flashes(response.text) == [
        f"Approved: “{ready.title}”.",
        f"Not approved: {own_post}",
        f"Not approved: “{unticked.title}”: revision 1 needs a look: {len(keys(unticked))} of "
        f"{len(keys(unticked))} checklist items are not signed off on it. Open its review page.",
    ]
    assert [fresh(p).state for p in selected] == [
        PostState.IN_REVIEW,
        PostState.APPROVED,
        PostState.IN_REVIEW,
    ]
    assert decisions(own.id) == [] and decisions(unticked.id) == []


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


def test_bulk_approval_never_covers_a_revision_the_reviewer_did_not_sign_off(desk, people):
    post = submitted(people["writer"])
    rhea = desk("rhea")
    # Rhea ticks every box of revision 1 on its review page.
    assert decide(rhea, post, "save", headers={"HX-Request": "true"}).status_code == 204
    # The writer withdraws, reorders, retitles and resubmits: revision 2.
    posts.withdraw(post, post.author)
    db.session.commit()
    revise_and_resubmit(post, sponsored_rewrite)
    assert post.current_revision.number == 2

    response = rhea.post("/review/bulk", {"post": [post.id], "action": "approve"})
    page = rhea.get("/review/").get_data(as_text=True)
    assert response.status_code == 302
    assert flashes(page) == [
        f"Not approved: “{post.title}”: revision 2 needs a look: {len(keys(post))} of "
        f"{len(keys(post))} checklist items are not signed off on it. Open its review page."
    ]
    assert fresh(post.id).state == PostState.IN_REVIEW and decisions(post.id) == []

    # On the review page the post items are unticked and the entries' ticks kept (they only
    # moved); ticking the post items there signs off revision 2, and bulk approval goes through.
    shown = boxes(rhea.get(f"/review/{post.id}").get_data(as_text=True))
    assert {k for k, (ticked, _) in shown.items() if not ticked} == {
        "post:bias",
        "post:criteria",
        "post:presentation",
    }
    assert decide(rhea, post, "save", headers={"HX-Request": "true"}).status_code == 204
    rhea.post("/review/bulk", {"post": [post.id], "action": "approve"})
    assert fresh(post.id).state == PostState.APPROVED
    assert fresh(post.id).approved_revision.number == 2


def test_ticks_carried_over_unchanged_still_need_a_look_before_bulk_approval(desk, people):
    post = submitted(people["writer"])
    rhea = desk("rhea")
    assert decide(rhea, post, "save", headers={"HX-Request": "true"}).status_code == 204
    posts.withdraw(post, post.author)
    db.session.commit()
    revise_and_resubmit(post, longer_flask_verdict)
    # Every unchanged item still shows its tick, but they were given on revision 1.
    rhea.post("/review/bulk", {"post": [post.id], "action": "approve"})
    assert flashes(rhea.get("/review/").get_data(as_text=True)) == [
        f"Not approved: “{post.title}”: revision 2 needs a look: {len(keys(post))} of "
        f"{len(keys(post))} checklist items are not signed off on it. Open its review page."
    ]
    assert fresh(post.id).state == PostState.IN_REVIEW


def test_the_command_line_decides_only_on_the_revision_named(app, people):
    runner = app.test_cli_runner()
    post = submitted(people["writer"])
    review.sign_off(post, people["rhea"], set(keys(post)))
    db.session.commit()
    posts.withdraw(post, post.author)
    db.session.commit()
    revise_and_resubmit(post, sponsored_rewrite)
    # The items the rewrite did not touch keep their ticks; the reviewer has read revision 1.
    review.sign_off(post, people["rhea"], set(keys(post)))
    db.session.commit()

    approve = ["posts", "approve", str(post.id), "--reviewer", "rhea@example.com"]
    result = runner.invoke(args=approve)
    assert result.exit_code == 2 and "--revision" in result.output
    result = runner.invoke(args=[*approve, "--revision", "1"])
    assert result.exit_code == 1
    assert "revision 2 is now current, you reviewed revision 1" in result.output
    assert fresh(post.id).state == PostState.IN_REVIEW and decisions(post.id) == []
    result = runner.invoke(args=[*approve, "--revision", "2"])
    assert result.exit_code == 0, result.output
    assert "Approved revision 2" in result.output


def test_a_decision_from_the_review_page_must_name_its_revision(desk, people):
    post = submitted(people["writer"])
    rhea = desk("rhea")
    data = {"action": "approve", "item": keys(post), "comment": ""}
    response = rhea.post(f"/review/{post.id}/decide", data)
    assert response.status_code == 422
    assert "Name the revision you reviewed" in problem(response)
    assert fresh(post.id).state == PostState.IN_REVIEW


@pytest.fixture
def handed_to_worker(app, monkeypatch) -> Iterator[list[tuple[str, int, bool]]]:
    """What is handed to the worker: ("mail" or "job", its row's id, committed by then?)."""
    # The worker is another process: what it is handed must be committed already, or it
    # finds no row and does nothing; the e-mail is lost (a publish job waits for the sweep).
    outside = sa.create_engine(db.engine.url)  # what another process sees: committed rows
    handed: list[tuple[str, int, bool]] = []

    def committed(table: sa.Table, row_id: int) -> bool:
        with outside.connect() as conn:
            return conn.scalar(sa.select(table.c.id).where(table.c.id == row_id)) is not None

    def deliver(note_id: int) -> None:
        handed.append(("mail", note_id, committed(Notification.__table__, note_id)))

    def send(job_ids: list[int]) -> None:
        handed.extend(("job", i, committed(PublishJob.__table__, i)) for i in job_ids)

    monkeypatch.setattr(mail.send_notification, "delay", deliver)
    monkeypatch.setattr(outbox, "send", send)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    yield handed
    outside.dispose()


def _approve_one_then_two_in_bulk(desk: Callable, people: dict, handed: list) -> list[Post]:
    """Approve a post from its page, then two in bulk (the second one refused); the two
    approved posts."""
    single = submitted(people["writer"], FRAMEWORKS)
    ready = submitted(people["writer"], GENERATORS)
    unticked = submitted(people["writer"], MANAGERS)
    ada = desk("ada")
    assert decide(ada, ready, "save", headers={"HX-Request": "true"}).status_code == 204
    handed.clear()  # the reviewers' e-mails about the submissions
    # Each post of a bulk action runs in a savepoint of the request's transaction.
    assert decide(ada, single, "approve").status_code == 302
    ada.post("/review/bulk", {"post": [ready.id, unticked.id], "action": "approve"})
    assert [fresh(p).state for p in (single.id, ready.id, unticked.id)] == [
        PostState.APPROVED,
        PostState.APPROVED,
        PostState.IN_REVIEW,
    ]
    return [single, ready]


def test_approving_emails_the_writer_only_once_committed(desk, people, handed_to_worker):
    approved = _approve_one_then_two_in_bulk(desk, people, handed_to_worker)
    notes = db.session.scalars(
        sa.select(Notification.id).where(Notification.kind == "approved").order_by(Notification.id)
    ).all()
    assert len(notes) == len(approved)
    assert [h for h in handed_to_worker if h[0] == "mail"] == [("mail", n, True) for n in notes]


def test_approving_sends_the_publish_job_only_once_committed(desk, people, handed_to_worker):
    approved = _approve_one_then_two_in_bulk(desk, people, handed_to_worker)
    jobs = [("job", latest_job(post).id, True) for post in approved]
    assert [h for h in handed_to_worker if h[0] == "job"] == jobs


# --- the audit log and notifications ------------------------------------------------------------


def audit_rows(page: str) -> list[tuple[str, ...]]:
    body = page.split("<body>", 1)[1]
    table = body.split('<table class="posts audit">', 1)[1].split("</table>", 1)[0]
    return [
        tuple(text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    ]


def test_the_history_page_lists_each_decision_with_the_reviewer_and_the_comment(desk, people):
    post = submitted(people["writer"])
    decide(desk("rhea"), post, "request_changes", comment="Name a real alternative to Flask.")
    revise_and_resubmit(post, longer_flask_verdict)
    decide(desk("rob"), post, "approve", comment="Clear criteria, honest alternatives.")

    page = desk("writer").get(f"/posts/{post.id}/history").text

    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert text(title) == f"History: {post.title} · Honest Rankings"
    # (who, what, revision, comment), newest first, without the time
    rows = [row[1:] for row in audit_rows(page)]
    decided = [r for r in rows if r[1].split(" (")[0] in ("Submitted for review", "Approved")]
    decided += [r for r in rows if r[1].startswith("Requested changes")]
    assert decided == [
        (
            "Rob Reviewer",
            "Approved (in review → approved)",
            "2",
            "Clear criteria, honest alternatives.",
        ),
        ("Wren Writer", "Submitted for review (changes requested → in review)", "2", ""),
        ("Wren Writer", "Submitted for review (draft → in review)", "1", ""),
        (
            "Rhea Reviewer",
            "Requested changes (in review → changes requested)",
            "1",
            "Name a real alternative to Flask.",
        ),
    ]


def notes_of(user: User) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def unread_badge(page: str) -> str | None:
    found = re.search(r'<span class="badge" aria-label="(\d+) unread">', page)
    return found.group(1) if found else None


def test_notifications_reach_reviewers_on_submit_and_the_writer_on_each_decision(desk, people):
    post = submitted(people["ada"])
    kinds = {key: [n.kind for n in notes_of(user)] for key, user in people.items()}
    assert kinds == {
        "writer": [],
        "ada": [],
        "rhea": ["queue"],
        "rob": ["queue"],
        "adam": ["queue"],
    }
    rhea = desk("rhea")
    assert unread_badge(rhea.get("/review/").text) == "1"

    decide(desk("rob"), post, "request_changes", comment="Name a real alternative to Flask.")
    revise_and_resubmit(post, longer_flask_verdict)
    decide(rhea, post, "approve", comment="Good.")

    notes = notes_of(people["ada"])
    assert [n.kind for n in notes] == ["changes_requested", "approved"]
    assert "Rob Reviewer asked for changes" in notes[0].message
    assert "Name a real alternative to Flask." in notes[0].message
    assert "Rhea Reviewer approved" in notes[1].message
    assert [n.kind for n in notes_of(people["rob"])] == ["queue", "queue"]

    ada = desk("ada")
    page = ada.get("/notifications/").text
    assert unread_badge(page) == "2"
    assert notes[1].message in html.unescape(page)
    response = ada.post("/notifications/read", follow_redirects=True)
    assert unread_badge(response.text) is None
    assert all(n.read_at is not None for n in notes_of(people["ada"]))
    assert unread_badge(rhea.get("/review/").text) == "2", "only Ada's were marked read"


# --- two reviewers at the same moment -----------------------------------------------------------


@pytest.mark.parametrize("second", ["approve", "request_changes"])
def test_two_reviewers_deciding_at_once_record_one_decision(desk, people, second):
    post = submitted(people["writer"])
    every = keys(post)
    for reviewer in (people["rhea"], people["rob"]):
        review.sign_off(post, reviewer, set(every))
    db.session.commit()
    pairs = [(desk("rhea"), "approve"), (desk("rob"), second)]
    post_id, path = post.id, f"/review/{post.id}/decide"
    db.session.close()  # no transaction of the test's may stand in the way
    barrier = threading.Barrier(len(pairs))
    responses: list[Any] = [None] * len(pairs)

    def decide_now(index: int, browser: Desk, action: str) -> None:
        data = {"action": action, "item": every, "comment": "Decided.", "revision": "1"}
        barrier.wait(timeout=10)
        responses[index] = browser.post(path, data)

    threads = [
        threading.Thread(target=decide_now, args=(i, browser, action))
        for i, (browser, action) in enumerate(pairs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert "someone decided on it first" in problem(refused)
    assert len(decisions(post_id)) == 1
    assert fresh(post_id).state in (PostState.APPROVED, PostState.CHANGES_REQUESTED)
