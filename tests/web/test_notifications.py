"""What a review leaves behind, through the test client with real CSRF on: each decision on
the post's history page, and notifications to reviewers and the writer."""

from __future__ import annotations

import html
import re

import pytest

from tests.helpers.review import (
    decide,
    longer_flask_verdict,
    notes_of,
    revise_and_resubmit,
    submitted,
    text,
)

pytestmark = pytest.mark.csrf  # CSRF on, as in production


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
