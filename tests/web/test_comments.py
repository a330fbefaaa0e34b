"""Requesting changes and comments through the test client, with real CSRF on: the writer
answers a reviewer's comment in the editor, who may comment, and the checklist's ticks when
the post comes back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from editorial.domain.workflow import PostState
from editorial.models import Comment, db
from tests.helpers.review import (
    boxes,
    decide,
    entry_fieldset,
    fresh,
    keys,
    longer_flask_verdict,
    notes_of,
    problem,
    revise_and_resubmit,
    submitted,
)
from tests.helpers.rules import entry

pytestmark = pytest.mark.csrf  # CSRF on, as in production


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
