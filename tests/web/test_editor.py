"""The editor through the test client, with real CSRF on: a new post from the desk, every
field round-trips, submitting for review, a published post, bad input and permissions.

Each test reads the form from the page and posts it back the way a browser without
JavaScript submits it: every enabled input and textarea, line breaks as CRLF, plus the
button pressed. Rows, findings and preview, and autosave are in the test_editor_*.py beside it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain.workflow import PostState
from editorial.models import Post, Role, db
from editorial.operations import posts, review
from tests.conftest import sample
from tests.helpers.accounts import csrf_of
from tests.helpers.desk import (
    autosave_form,
    column,
    edit_url,
    element,
    error_next_to,
    form_fields,
    fresh,
    login,
    open_editor,
    press,
    rerendered,
    revision_numbers,
    stored,
    working_copy_of,
)

pytestmark = pytest.mark.csrf  # CSRF on, as in production

SAMPLE_NAMES = [
    "python-web-frameworks-2026",
    "static-site-generators-2026",
    "password-managers-2026",
    "note-taking-apps-2026",
]


# --- the desk and a new post ------------------------------------------------------------------


def _desk_row(page: str, text: str) -> str:
    return next(row for row in re.findall(r"<tr[ >].*?</tr>", page, re.S) if text in row)


def test_a_writer_starts_a_new_ranking_from_the_desk(browser, writer):
    desk = browser.get("/").get_data(as_text=True)
    assert element(desk, "new-ranking")["href"] == "/posts/new"

    fields = open_editor(browser)
    assert fields["title"] == ""
    assert column(fields, "criteria", "name") == ["", ""]  # two of each to start with
    assert column(fields, "entries", "name") == ["", ""]
    fields |= {
        "title": "The best static hosts in 2026",
        "summary": "Four hosts for a small static site.",
        "criteria-0-name": "Price",
        "criteria-1-name": "Speed",
        "entries-0-name": "Netlify",
        "entries-0-criteria-1-note": "Fast everywhere.",
        "entries-1-name": "GitHub Pages",
    }
    response = press(browser, "/posts/new", fields, action="save")

    post = db.session.scalar(sa.select(Post).where(Post.author_id == writer.id))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{post.id}/edit"
    assert post.slug == "the-best-static-hosts-in-2026"  # made from the title
    assert post.state == PostState.DRAFT
    content = post.current_revision.content
    assert [e["name"] for e in content["entries"]] == ["Netlify", "GitHub Pages"]
    assert content["entries"][0]["criteria"] == [
        {"criterion": "Price", "note": ""},
        {"criterion": "Speed", "note": "Fast everywhere."},
    ]
    edited = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved as revision 1." in edited

    errors = sum(f.severity.value == "error" for f in posts.findings_for(post.current_revision))
    assert errors > 0
    row = _desk_row(browser.get("/").get_data(as_text=True), "The best static hosts in 2026")
    assert "Draft" in row
    assert f"{errors} errors" in row


# --- every field round-trips ------------------------------------------------------------------


def test_saving_an_unchanged_form_saves_nothing(browser, writer, create_post, subtests):
    for name in SAMPLE_NAMES:
        with subtests.test(sample=name):
            post = create_post(writer, sample(name))
            fields = open_editor(browser, post)
            assert "correction" not in fields  # only for a published post
            response = press(browser, edit_url(post), fields, action="save")
            assert response.status_code == 302
            page = browser.get(edit_url(post)).get_data(as_text=True)
            assert "No changes to save." in page
            assert revision_numbers(post) == [1]
            assert fresh(post).current_revision.content == stored(sample(name))


def test_a_changed_field_makes_a_revision_with_exactly_that_change(browser, post):
    fields = open_editor(browser, post)
    fields |= {
        "title": "The best Python web frameworks in 2026",
        "summary": "Four frameworks, compared.",
        "bias": "I maintain a Flask extension.",
        "intro": "First paragraph.\r\n\r\nSecond paragraph.",
        "criteria-2-description": "How long a newcomer takes to ship.",
        "entries-1-url": "https://fastapi.example.org/",
        "entries-1-best_for": "Typed APIs",
        "entries-1-verdict": "FastAPI makes typed JSON APIs pleasant.",
        "entries-1-criteria-0-note": "Fast.",
        "entries-1-pick_else": "Pick Django for server-rendered pages.",
        "takeaways-2": "Pick for the team you have.",
        "faq-0-answer": "Yes.",
        "tags": "python, web",
    }
    response = press(browser, edit_url(post), fields, action="save")
    assert response.status_code == 302

    expected = sample()
    expected |= {
        "title": "The best Python web frameworks in 2026",
        "summary": "Four frameworks, compared.",
        "bias": "I maintain a Flask extension.",
        "intro": "First paragraph.\n\nSecond paragraph.",  # line breaks stored as LF
        "takeaways": [*expected["takeaways"][:2], "Pick for the team you have."],
        "tags": ["python", "web"],
    }
    expected["criteria"][2]["description"] = "How long a newcomer takes to ship."
    expected["entries"][1] |= {
        "url": "https://fastapi.example.org/",
        "best_for": "Typed APIs",
        "verdict": "FastAPI makes typed JSON APIs pleasant.",
        "pick_else": "Pick Django for server-rendered pages.",
    }
    expected["entries"][1]["criteria"][0]["note"] = "Fast."
    expected["faq"][0]["answer"] = "Yes."
    post = fresh(post)
    assert revision_numbers(post) == [1, 2]
    exported = posts.export_post(post)
    assert exported.pop("meta")["revision"] == 2
    assert exported == stored(expected)
    assert "Saved as revision 2." in browser.get(edit_url(post)).get_data(as_text=True)


# --- submitting for review --------------------------------------------------------------------


def test_submit_is_refused_while_errors_remain(browser, writer, create_post):
    post = create_post(writer, sample("note-taking-apps-2026"))  # two error findings
    page = browser.get(edit_url(post)).get_data(as_text=True)
    assert "disabled" in element(page, "submit-button")

    # The button is disabled, but a request can still say action=submit.
    response = press(browser, edit_url(post), form_fields(page), action="submit")
    assert response.status_code == 302
    page = browser.get(edit_url(post)).get_data(as_text=True)
    assert "Not submitted: Fix the 2 error finding(s) before submitting for review." in page
    assert fresh(post).state == PostState.DRAFT


def test_submit_withdraw_and_no_editing_in_review(browser, post):
    fields = open_editor(browser, post)
    assert "disabled" not in element(
        browser.get(edit_url(post)).get_data(as_text=True), "submit-button"
    )
    assert press(browser, edit_url(post), fields, action="submit").status_code == 302
    assert fresh(post).state == PostState.IN_REVIEW

    page = browser.get(edit_url(post)).get_data(as_text=True)
    assert "Submitted for review." in page
    assert "No changes to save." not in page  # nothing was to be saved: no news about it
    withdraw = form_fields(page, action=f"/posts/{post.id}/withdraw")
    read_only = form_fields(page)
    assert "title" not in read_only  # every field sits in a disabled fieldset
    assert element(page, "save-button") is None

    # A request that edits anyway is refused, and so is an autosave.
    changed = fields | {"title": "Changed while in review"}
    page, _ = rerendered(press(browser, edit_url(post), changed, action="save"), 409)
    assert "cannot be edited; withdraw it from review first" in page
    answer = autosave_form(browser, f"/posts/{post.id}/autosave", changed, status=409)
    assert answer["error"] == "illegal"
    assert revision_numbers(post) == [1]
    assert working_copy_of(post) is None

    response = browser.post(f"/posts/{post.id}/withdraw", data=withdraw)
    assert response.status_code == 302
    assert fresh(post).state == PostState.DRAFT
    page = browser.get(edit_url(post)).get_data(as_text=True)
    assert "Withdrawn from review; it is a draft again." in page
    assert form_fields(page)["title"] == sample()["title"]


# --- a published post -------------------------------------------------------------------------


def approve_and_mark_published(post: Post, reviewer: Any) -> None:
    """Submit, approve, then mark the post published.

    Only the last step is not an operation yet: the publisher (issue 5) will own it, and this
    helper should then call it instead of setting the columns.
    """
    posts.submit_for_review(post, post.author)
    review.approve(post, reviewer, review.checklist_keys(post), "", post.current_revision.number)
    post.published_revision = post.approved_revision
    db.session.flush()  # the pin must be stored before the state that requires it
    post.state = PostState.PUBLISHED
    db.session.commit()


def test_editing_a_published_post_makes_a_draft_with_a_correction(browser, post, create_user):
    approve_and_mark_published(post, create_user("reviewer@example.com", Role.REVIEWER))
    page = browser.get(edit_url(post)).get_data(as_text=True)
    fields = form_fields(page)
    assert fields["correction"] == ""
    assert "This post is live." in page

    fields["entries-3-verdict"] = "Litestar has matured."
    fields["correction"] = "We updated the verdict on Litestar after its 3.0 release."
    assert press(browser, edit_url(post), fields, action="save").status_code == 302

    post = fresh(post)
    assert post.state == PostState.DRAFT
    assert post.published_revision.number == 1  # the live version stays up
    assert post.current_revision.number == 2
    content = post.current_revision.content
    assert content["correction"] == "We updated the verdict on Litestar after its 3.0 release."
    assert content["entries"][3]["verdict"] == "Litestar has matured."
    assert "correction" not in post.published_revision.content
    fields = open_editor(browser, post)
    assert fields["correction"] == content["correction"]


def test_opening_a_corrected_live_post_and_saving_nothing_leaves_it_live(
    browser, writer, create_post, create_user
):
    # The live revision carries the note of an earlier correction; the editor starts the
    # next change with an empty note. Saving without typing anything is still no change.
    post = create_post(writer, sample() | {"correction": "We fixed the link to Flask."})
    approve_and_mark_published(post, create_user("reviewer@example.com", Role.REVIEWER))
    fields = open_editor(browser, post)
    assert press(browser, edit_url(post), fields, action="save").status_code == 302
    assert "No changes to save." in browser.get(edit_url(post)).get_data(as_text=True)
    assert revision_numbers(post) == [1]
    assert fresh(post).state == PostState.PUBLISHED


# --- bad input --------------------------------------------------------------------------------


HUGE = "word " * 40_000  # a 200,000-character paste

BAD_INPUT = [
    ("title", "x" * 201, "At most 200 characters; this has 201."),
    ("entries-0-url", "javascript:alert(1)", "must be a web address starting with http"),
    ("entries-0-url", "ftp://x", "must be a web address starting with http"),
    ("slug", "static-site-generators-2026", "is already taken by another post."),
    ("slug", "Not a slug!", 'The slug "Not a slug!" is not valid'),
    ("entries-0-verdict", HUGE, "At most 20,000 characters; this has 200,000."),
    ("entries-1-criteria-2-note", HUGE, "At most 20,000 characters; this has 200,000."),
    ("takeaways-0", "t" * 2_001, "At most 2,000 characters; this has 2,001."),
    ("tags", ", ".join(f"tag{i}" for i in range(21)), "At most 20 tags; this has 21."),
]


def test_bad_input_is_shown_next_to_its_field_with_everything_kept(
    browser, writer, post, create_post, subtests
):
    create_post(writer, sample("static-site-generators-2026"))
    for field, value, message in BAD_INPUT:
        with subtests.test(field=field, value=value[:30]):
            fields = open_editor(browser, post)
            fields |= {field: value, "intro": "Typed alongside the mistake."}
            page, fields = rerendered(press(browser, edit_url(post), fields, action="save"), 422)
            assert message in error_next_to(page, field)
            assert element(page, field)["aria-invalid"] == "true"
            assert element(page, field)["aria-describedby"] == f"{field}-error"
            assert fields[field] == value
            assert fields["intro"] == "Typed alongside the mistake."
            # Only the field in error says so: a screen reader announces no other as invalid.
            assert page.count('aria-invalid="true"') == 1
            assert '="None"' not in page
    assert revision_numbers(post) == [1]


def test_fields_without_errors_carry_no_error_attributes(browser, post):
    for page in (browser.get("/posts/new").text, browser.get(edit_url(post)).text):
        assert "aria-invalid" not in page
        assert '="None"' not in page
        assert element(page, "title").get("aria-describedby") in (None, "title-hint")


def test_the_editor_links_to_sharing_a_preview_once_the_post_exists(browser, post):
    page = browser.get(edit_url(post)).text
    assert f'<a href="/posts/{post.id}/previews">Share a preview</a>' in page
    assert "Share a preview" not in browser.get("/posts/new").text
    assert browser.get(f"/posts/{post.id}/previews").status_code == 200  # the author may share


def test_bad_input_in_a_new_post_creates_nothing(browser):
    fields = open_editor(browser) | {"title": "x" * 201, "summary": "Kept."}
    page, fields = rerendered(press(browser, "/posts/new", fields, action="save"), 422)
    assert "At most 200 characters" in error_next_to(page, "title")
    assert fields["summary"] == "Kept."
    assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0


# --- permissions ------------------------------------------------------------------------------


READS = [
    "/posts/{id}/history",
    "/posts/{id}/revisions/1",
    "/posts/{id}/revisions/1/preview",
    "/posts/{id}/diff?from=1&to=1",
]


WRITES = [
    ("post", "/posts/{id}/edit"),
    ("post", "/posts/{id}/autosave"),
    ("post", "/posts/{id}/discard"),
    ("post", "/posts/{id}/withdraw"),
    ("post", "/posts/{id}/revisions/1/restore"),
]


def test_another_writer_can_neither_read_nor_touch_the_post(client, post, create_user):
    create_user("other@example.com")
    login(client, "other@example.com")
    data = {"csrf_token": csrf_of(client, "/"), "title": "Mine now", "action": "save"}
    data["base_revision"] = "1"
    for method, path in [*(("get", p) for p in ["/posts/{id}/edit", *READS]), *WRITES]:
        response = getattr(client, method)(path.format(id=post.id), data=data)
        assert response.status_code == 403, (method, path)
    assert revision_numbers(post) == [1]
    assert working_copy_of(post) is None


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMIN])
def test_reviewers_and_admins_read_the_history_but_cannot_edit(client, post, create_user, role):
    create_user("reader@example.com", role)
    login(client, "reader@example.com")
    for path in READS:
        assert client.get(path.format(id=post.id)).status_code == 200, path
    history = client.get(f"/posts/{post.id}/history").get_data(as_text=True)
    assert not re.search(r'action="[^"]*/restore"', history)  # no Restore buttons
    assert f'href="/posts/{post.id}/edit"' not in history

    token = csrf_of(client, "/")
    assert client.get(edit_url(post)).status_code == 403
    assert client.get("/posts/new").status_code == 403
    for method, path in WRITES:
        response = getattr(client, method)(path.format(id=post.id), data={"csrf_token": token})
        assert response.status_code == 403, path
    assert revision_numbers(post) == [1]


def test_anonymous_visitors_are_sent_to_sign_in(client, post):
    for path in ["/posts/new", "/posts/{id}/edit", *READS]:
        response = client.get(path.format(id=post.id))
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


POST_ONLY = [
    "/posts/rows",
    "/posts/check",
    "/posts/preview",
    "/posts/new/autosave",
    "/posts/{id}/autosave",
    "/posts/{id}/discard",
    "/posts/{id}/withdraw",
    "/posts/{id}/revisions/1/restore",
]


def test_post_only_routes_refuse_get(browser, post):
    for path in POST_ONLY:
        assert browser.get(path.format(id=post.id)).status_code == 405, path


def test_unknown_posts_and_revisions_are_not_found(browser, post):
    for path in [
        "/posts/999/edit",
        "/posts/999/history",
        "/posts/{id}/revisions/9",
        "/posts/{id}/revisions/9/preview",
        "/posts/{id}/diff?from=9&to=1",
    ]:
        assert browser.get(path.format(id=post.id)).status_code == 404, path


def test_a_post_without_a_csrf_token_is_refused(browser, post):
    fields = open_editor(browser, post)
    del fields["csrf_token"]
    response = press(browser, edit_url(post), fields, action="save", title="No token")
    assert response.status_code == 400
    assert revision_numbers(post) == [1]
