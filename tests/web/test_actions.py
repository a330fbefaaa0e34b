"""A refused operation ends the same way everywhere: in the desk (``web/actions.attempt``), the
API (problem details) and the command line (a click error), at the status its class carries,
with its message, and with nothing the operation did before the refusal kept."""

from __future__ import annotations

from typing import Any

import pytest

from editorial.domain.errors import Conflict, InvalidInput, PermissionDenied, Refusal
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import Action, IllegalTransition, PostState
from editorial.models import Post, Role, User, db
from editorial.operations import posts, review, tokens
from tests.conftest import sample

# Each kind of refusal, the status every adapter answers it with, and the problem's title.
REFUSALS = [
    pytest.param(
        InvalidInput([("comment", "Say what should change."), ("", "Nothing was sent back.")]),
        422,
        "Invalid input",
        id="invalid-input",
    ),
    pytest.param(PermissionDenied("Nobody reviews their own post."), 403, "Forbidden", id="denied"),
    pytest.param(
        Conflict("This post was saved again (now revision 2).", current_revision=2),
        409,
        "Conflict",
        id="conflict",
    ),
    pytest.param(
        IllegalTransition(Action.REQUEST_CHANGES, PostState.DRAFT),
        409,
        "Conflict",
        id="illegal-transition",
    ),
]
TOUCHED = "touched-before-the-refusal"


def _refused_after_a_change(refusal: Refusal) -> Any:
    """An operation that changes the post and flushes, then is refused."""

    def operation(post: Post, *args: Any, **kwargs: Any) -> None:
        post.slug = TOUCHED
        db.session.flush()
        raise refusal

    return operation


@pytest.fixture
def in_review(app: Any, create_user: Any) -> Post:
    """A writer's post in review, and Rob, a reviewer."""
    author = create_user("writer@example.com", Role.WRITER)
    create_user("rob@example.com", Role.REVIEWER)
    post = posts.create_post(parse_post(sample()), author)
    posts.submit_for_review(post, author)
    db.session.commit()
    return post


def _untouched(post_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(Post, post_id).slug != TOUCHED


def _flashes(client: Any) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


@pytest.mark.parametrize(("refusal", "status", "title"), REFUSALS)
def test_the_desk_shows_the_form_again_at_the_refusals_status(
    client, auth, in_review, monkeypatch, refusal, status, title
):
    monkeypatch.setattr(review, "request_changes", _refused_after_a_change(refusal))
    auth.login("rob@example.com")
    response = client.post(
        f"/review/{in_review.id}/decide",
        data={"action": "request_changes", "comment": "Say more.", "revision": "1"},
    )
    assert response.status_code == status
    assert refusal.message in response.text
    assert 'name="comment"' in response.text  # the review page, with the reviewer's comment
    assert "Say more." in response.text
    assert _untouched(in_review.id)


@pytest.mark.parametrize(("refusal", "status", "title"), REFUSALS)
def test_the_desk_flashes_the_refusal_and_goes_back(
    client, auth, in_review, monkeypatch, refusal, status, title
):
    monkeypatch.setattr(posts, "withdraw", _refused_after_a_change(refusal))
    auth.login("writer@example.com")
    response = client.post(f"/posts/{in_review.id}/withdraw")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{in_review.id}/edit"
    assert _flashes(client) == [("error", refusal.message)]
    assert _untouched(in_review.id)


def test_an_invalid_input_is_said_without_its_field_paths():
    refusal = InvalidInput([("comment", "Say what should change."), ("", "Nothing was sent.")])
    assert refusal.message == "Say what should change. Nothing was sent."
    assert str(refusal) == "comment: Say what should change.; Nothing was sent."


@pytest.mark.parametrize(("refusal", "status", "title"), REFUSALS)
def test_the_api_answers_problem_details_at_the_refusals_status(
    client, in_review, monkeypatch, refusal, status, title
):
    monkeypatch.setattr(posts, "withdraw", _refused_after_a_change(refusal))
    _, token = tokens.create_token(db.session.get(User, in_review.author_id), "agent")
    db.session.commit()
    response = client.post(
        f"/api/v1/posts/{in_review.id}/withdraw", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    expected = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": str(refusal),
        "errors": [{"field": f, "message": m} for f, m in refusal.problems],
    }
    if isinstance(refusal, Conflict):  # the revision to merge with, for a stale save
        expected["current_revision"] = 2
    assert response.get_json() == expected
    assert _untouched(in_review.id)


@pytest.mark.parametrize(("refusal", "status", "title"), REFUSALS)
def test_the_command_line_says_the_refusal_and_exits_non_zero(
    runner, in_review, monkeypatch, refusal, status, title
):
    monkeypatch.setattr(review, "request_changes", _refused_after_a_change(refusal))
    args = ["posts", "request-changes", str(in_review.id), "--reviewer", "rob@example.com"]
    result = runner.invoke(args=[*args, "--revision", "1", "--comment", "Say more."])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {refusal.message}\n"
    assert "Traceback" not in result.output
    assert _untouched(in_review.id)  # rolled back by the command, not by the test
