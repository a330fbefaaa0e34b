"""The review queue through the test client, with real CSRF on: claims, the queue, bulk
actions, and what approving hands to the worker (only once committed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from editorial.domain.workflow import PostState
from editorial.models import Notification, Post, PublishJob, ReviewClaim, db, utcnow
from editorial.operations import outbox, posts, review
from editorial.operations.outbox import latest_job
from editorial.tasks import mail
from editorial.tasks import publishing as publisher
from tests.helpers.review import (
    FRAMEWORKS,
    GENERATORS,
    MANAGERS,
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
    sponsored_rewrite,
    submitted,
)
from tests.helpers.rules import entry

pytestmark = pytest.mark.csrf  # CSRF on, as in production


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

    # Rob reads the post but sees why he cannot decide instead of buttons that would be refused.
    page = rob.get(f"/review/{post.id}").text
    assert not {"Approve revision 1", "Request changes", "Save checklist"} & set(buttons(page))
    assert "Rhea Reviewer is reviewing this post until" in page
    assert "you can decide once they release it or the claim lapses" in page
    assert {"Approve revision 1", "Request changes"} <= set(
        buttons(rhea.get(f"/review/{post.id}").text)
    )

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
    publisher.run(latest_job(post).id)
    revise_and_resubmit(fresh(post.id), lambda c: c.update(summary="A shorter summary."))
    row = queue_rows(rob.get("/review/").text)[0]
    assert row["Changes"] == "Since last review Against live"
    assert row["links"] == (
        f"/posts/{post.id}/diff?from=2&amp;to=3 /posts/{post.id}/diff?from=2&amp;to=3"
    )


# --- bulk actions -------------------------------------------------------------------------------


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


# --- what approving hands to the worker ---------------------------------------------------------


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
