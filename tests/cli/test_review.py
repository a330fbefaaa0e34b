"""`editorial posts approve` and `request-changes` keep the review desk's rules: four eyes, the
whole checklist ticked in the desk, and only the revision named."""

from __future__ import annotations

import pytest

from editorial.domain import checklist
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Post, Role, db
from editorial.operations import accounts, posts, review
from tests.conftest import sample
from tests.helpers.cli import invoke
from tests.helpers.review import (
    decisions,
    fresh,
    keys,
    revise_and_resubmit,
    sponsored_rewrite,
    submitted,
)

# ---- posts approve / request-changes -------------------------------------------------------


@pytest.fixture
def in_review(app, create_user):
    """A post in review by a writer who also reviews; another reviewer; the post's id."""
    author = create_user("ada@example.com", Role.WRITER, Role.REVIEWER)
    create_user("rob@example.com", Role.REVIEWER)
    post = posts.create_post(parse_post(sample()), author)
    posts.submit_for_review(post, author)
    db.session.commit()
    return post.id


def _tick_everything(post_id: int, email: str) -> None:
    post = db.session.get(Post, post_id)
    keys = {item.key for item in checklist.items(post.current_revision.content)}
    review.sign_off(post, accounts.find_user(email), keys, post.current_revision.number)
    db.session.commit()


def _approve(post_id: int, reviewer: str) -> list[str]:
    return ["posts", "approve", str(post_id), "--reviewer", reviewer, "--revision", "1"]


def test_a_reviewer_approves_what_they_ticked_in_the_desk(app, runner, in_review):
    _tick_everything(in_review, "rob@example.com")
    result = invoke(runner, _approve(in_review, "rob@example.com"))
    assert result.exit_code == 0, result.output
    assert "Approved revision 1" in result.stdout
    assert db.session.get(Post, in_review).state == PostState.APPROVED


def test_nobody_approves_their_own_post_from_the_command_line(app, runner, in_review):
    result = invoke(runner, _approve(in_review, "ada@example.com"))
    assert result.exit_code == 1
    assert "Nobody reviews their own post" in result.stderr
    assert db.session.get(Post, in_review).state == PostState.IN_REVIEW


def test_approving_needs_the_whole_checklist_ticked(app, runner, in_review):
    result = invoke(runner, _approve(in_review, "rob@example.com"))
    assert result.exit_code == 1
    assert "Tick every checklist item before approving" in result.stderr
    assert "Traceback" not in result.output
    assert db.session.get(Post, in_review).state == PostState.IN_REVIEW


@pytest.mark.parametrize(
    ("reviewer", "exit_code", "state", "said"),
    [
        ("rob@example.com", 0, PostState.CHANGES_REQUESTED, "Sent python-web-frameworks-2026"),
        ("ada@example.com", 1, PostState.IN_REVIEW, "Nobody reviews their own post"),
    ],
)
def test_request_changes_from_the_command_line(
    app, runner, in_review, reviewer, exit_code, state, said
):
    args = ["posts", "request-changes", str(in_review), "--reviewer", reviewer, "--revision", "1"]
    result = invoke(runner, [*args, "--comment", "Name a real alternative to Flask."])
    assert result.exit_code == exit_code, result.output
    assert said in result.output
    assert db.session.get(Post, in_review).state == state


# ---- with the review desk's people -----------------------------------------------------------


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
    review.sign_off(post, people["rhea"], set(keys(post)), post.current_revision.number)
    db.session.commit()
    result = runner.invoke(args=[*approve, "--comment", "Clear criteria."])
    assert result.exit_code == 0, result.output
    assert "Approved revision 1" in result.output
    assert decisions(post.id) == ["post.approve"]


def test_the_command_line_decides_only_on_the_revision_named(app, people):
    runner = app.test_cli_runner()
    post = submitted(people["writer"])
    review.sign_off(post, people["rhea"], set(keys(post)), post.current_revision.number)
    db.session.commit()
    posts.withdraw(post, post.author)
    db.session.commit()
    revise_and_resubmit(post, sponsored_rewrite)
    # The items the rewrite did not touch keep their ticks; the reviewer has read revision 1.
    review.sign_off(post, people["rhea"], set(keys(post)), post.current_revision.number)
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
