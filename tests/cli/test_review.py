"""Deciding from the command line keeps the review desk's rules: four eyes, the whole
checklist ticked, and only the revision named."""

from __future__ import annotations

from typing import Any

import pytest

from editorial.domain.workflow import PostState
from editorial.models import User, db
from editorial.operations import posts, review
from tests.helpers.review import (
    add_people,
    decisions,
    fresh,
    keys,
    revise_and_resubmit,
    sponsored_rewrite,
    submitted,
)


@pytest.fixture
def people(app: Any) -> dict[str, User]:
    return add_people()


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
