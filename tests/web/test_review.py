"""Deciding on the review page through the test client, with real CSRF on: who may decide
what, approving, and two reviewers deciding at the same moment. (The ``people`` fixture is
in tests/conftest.py, ``desk`` in tests/web/conftest.py, the helpers in tests/helpers/review.py.)"""

from __future__ import annotations

import copy
import re
import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain import rules
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Post, Signoff, User, db, utcnow
from editorial.operations import posts, review
from editorial.operations.outbox import latest_job
from editorial.tasks import publishing as publisher
from tests.helpers.review import (
    FRAMEWORKS,
    GENERATORS,
    Desk,
    boxes,
    buttons,
    decide,
    decisions,
    draft,
    flashes,
    fresh,
    keys,
    longer_flask_verdict,
    problem,
    queue_rows,
    revise_and_resubmit,
    submitted,
    text,
)
from tests.helpers.rules import entry

pytestmark = pytest.mark.csrf  # CSRF on, as in production


# --- who may decide what ------------------------------------------------------------------------


def _in_state(author: User, state: str, decider: User, name: str = FRAMEWORKS) -> Post:
    post = draft(author, name) if state == "draft" else submitted(author, name)
    if state in ("approved", "published"):
        review.approve(post, decider, set(keys(post)), "Fine.", 1)
        db.session.commit()
    if state == "published":
        publisher.run(latest_job(post).id)
        assert fresh(post.id).state == PostState.PUBLISHED
    if state == "changes_requested":
        review.request_changes(post, decider, set(), "Say more about Flask.", 1)
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


def test_the_decision_bar_says_why_there_is_nothing_to_press(desk, people):
    own = submitted(people["ada"])
    page = desk("ada").get(f"/review/{own.id}").text
    assert "You cannot decide on a post you wrote: another reviewer must." in text(page)

    decided = _in_state(people["writer"], "approved", people["rob"], GENERATORS)
    page = desk("rhea").get(f"/review/{decided.id}").text
    assert "This post is approved: there is nothing to decide on it now." in text(page)


def test_an_admin_under_someone_elses_claim_sees_why_and_may_release_it(desk, people):
    post = submitted(people["writer"])
    review.claim(post, people["rhea"], 30)
    db.session.commit()
    adam = desk("adam")
    page = adam.get(f"/review/{post.id}").text
    assert not {"Approve revision 1", "Request changes", "Save checklist"} & set(buttons(page))
    assert "Rhea Reviewer is reviewing this post until" in text(page)
    assert "Release their claim" in buttons(page)
    assert "Release their claim" not in buttons(desk("rob").get(f"/review/{post.id}").text)

    adam.post(f"/review/{post.id}/release", {})
    assert review.active_claim(fresh(post.id)) is None
    assert {"Approve revision 1", "Request changes"} <= set(
        buttons(adam.get(f"/review/{post.id}").text)
    )


# --- reading the post ---------------------------------------------------------------------------


def test_the_post_is_read_in_the_page_from_its_sanitised_html(desk, people):
    def hostile(content: dict) -> None:
        entry(content, "Flask")["verdict"] = (
            "**Small** and <script>alert('verdict')</script> [docs](javascript:alert(1))"
        )

    post = submitted(people["writer"], edit=hostile)
    page = desk("rhea").get(f"/review/{post.id}").text
    assert "<iframe" not in page
    flask = re.search(r'<section class="review-row[^"]*" id="entry-3".*?</section>', page, re.S)
    assert flask, "no row for Flask, third"
    assert "<strong>Small</strong>" in flask.group(0)
    assert "&lt;script&gt;" in flask.group(0)
    assert "<script" not in flask.group(0) and 'href="javascript:' not in flask.group(0)
    # The entries are read in rank order, each with its own checklist items beside it.
    ranks = re.findall(r'<section class="review-row[^"]*" id="entry-(\d)"', page)
    assert ranks == ["1", "2", "3", "4"]
    assert 'value="entry:flask:pick_else"' in flask.group(0)


def test_the_review_page_leads_to_sharing_a_preview_of_the_revision_under_review(desk, people):
    post = submitted(people["writer"])
    review.request_changes(post, people["rhea"], set(), "Flask's verdict undersells it.", 1)
    db.session.commit()
    revise_and_resubmit(post, longer_flask_verdict)
    rhea = desk("rhea")
    link = re.search(r'<a href="([^"]+)">Share a preview</a>', rhea.get(f"/review/{post.id}").text)
    assert link, "no 'Share a preview' link on the review page"
    assert link.group(1) == f"/posts/{post.id}/previews?revision=2"
    share = rhea.get(link.group(1))
    assert share.status_code == 200
    assert re.search(r'<input id="link-revision" name="revision"[^>]* value="2"', share.text)


def test_a_scored_sponsored_post_is_read_with_what_the_reviewer_vouches_for(desk, people):
    def sponsored(content: dict) -> None:
        content["entries"][3]["link"] = "sponsored"  # Spring Boot
        content["entries"][1]["override"] = "Our readers run **small teams**."  # Rails

    post = submitted(people["writer"], "backend-frameworks-2026", edit=sponsored)
    page = desk("rhea").get(f"/review/{post.id}").text
    overview = text(re.search(r'id="post-overview".*?</section>', page, re.S).group(0))
    assert "Disclosure" in overview and "affiliate link" in overview
    assert "Weighs 40 % of the score." in overview
    assert "The disclosure of sponsored and affiliate links is clear and conspicuous" in overview

    def row(rank: int) -> str:
        return text(re.search(rf'id="entry-{rank}".*?</section>', page, re.S).group(0))

    django = row(1)
    assert "Weighted score: 8.3 of 10" in django
    assert "Score: 6 of 10" in django and "Score: 10 of 10" in django
    assert "Admin, ORM and auth included" in django and "More than a small JSON API needs" in django
    assert "Why it ranks here despite its score Our readers run small teams" in row(2)
    assert "Paid link: its address is a sponsored link." in row(4)
    assert "Paid link" not in django
    evidence = re.findall(r'<p class="evidence">Evidence: <a href="(https?://[^"]+)"', page)
    assert evidence, "no evidence links on a post whose notes cite some"


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
    # A rule that changes comes with a new RULES_VERSION: the findings stored with the revision
    # are then stale and computed again.
    monkeypatch.setattr(rules, "RULES_VERSION", rules.RULES_VERSION + 1)
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


def test_approving_with_a_publish_time_says_when_it_will_go_live(desk, people):
    post = submitted(people["writer"])
    when = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    data = {
        "action": "approve",
        "item": keys(post),
        "revision": "1",
        "publish_at": when.strftime("%Y-%m-%dT%H:%M"),
    }
    response = desk("rhea").post(f"/review/{post.id}/decide", data, follow_redirects=True)
    assert (
        "Approved. The publisher will publish exactly this revision at "
        f"{when:%Y-%m-%d %H:%M} UTC." in flashes(response.text)
    )
    assert latest_job(fresh(post.id)).not_before == when


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


def test_a_decision_from_the_review_page_must_name_its_revision(desk, people):
    post = submitted(people["writer"])
    rhea = desk("rhea")
    data = {"action": "approve", "item": keys(post), "comment": ""}
    response = rhea.post(f"/review/{post.id}/decide", data)
    assert response.status_code == 422
    assert "Name the revision you reviewed" in problem(response)
    assert fresh(post.id).state == PostState.IN_REVIEW


# --- two reviewers at the same moment -----------------------------------------------------------


@pytest.mark.parametrize("second", ["approve", "request_changes"])
def test_two_reviewers_deciding_at_once_record_one_decision(desk, people, second):
    post = submitted(people["writer"])
    every = keys(post)
    for reviewer in (people["rhea"], people["rob"]):
        review.sign_off(post, reviewer, set(every), post.current_revision.number)
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
