"""The editor through the test client, with real CSRF on.

Each test reads the form from the page and posts it back the way a browser without
JavaScript submits it: every enabled input and textarea, line breaks as CRLF, plus the
button pressed. The autosave tests do what ``static/editor.js`` does with the JSON answers.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain.workflow import PostState
from editorial.models import Post, Role, db
from editorial.operations import posts
from tests.conftest import sample
from tests.helpers.desk import (
    autosave_form,
    column,
    csrf_on_app,
    csrf_token,
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

SAMPLE_NAMES = [
    "python-web-frameworks-2026",
    "static-site-generators-2026",
    "password-managers-2026",
    "note-taking-apps-2026",
]



@pytest.fixture
def app(make_app):
    yield from csrf_on_app(make_app)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def writer(create_user):
    return create_user("writer@example.com", name="Wren Writer")


@pytest.fixture
def post(writer, create_post):
    """A complete draft (no findings) of the Python web frameworks sample, revision 1."""
    return create_post(writer)


@pytest.fixture
def browser(client, writer):
    """The test client, signed in as the writer."""
    return login(client)


# --- 1. the desk and a new post ---------------------------------------------------------------


def _desk_row(page: str, text: str) -> str:
    return next(row for row in re.findall(r"<tr>.*?</tr>", page, re.S) if text in row)


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

    errors = sum(
        f.severity.value == "error" for f in posts.findings_for(post.current_revision)
    )
    assert errors > 0
    row = _desk_row(browser.get("/").get_data(as_text=True), "The best static hosts in 2026")
    assert "Draft" in row
    assert f"{errors} errors" in row


# --- 2. every field round-trips -----------------------------------------------------------


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


# --- 3. rows without JavaScript -------------------------------------------------------------

# (list, the field that names a row, a field that must travel with its row)
ROW_KINDS = [
    ("criteria", "name", "description"),
    ("entries", "name", "verdict"),
    ("takeaways", None, None),
    ("faq", "question", "answer"),
]


def test_rows_are_added_moved_and_removed_without_javascript(browser, post, subtests):
    for kind, name, companion in ROW_KINDS:
        with subtests.test(rows=kind):
            _add_move_and_remove(browser, post, kind, name, companion)
    assert revision_numbers(post) == [1]  # nothing was saved
    assert fresh(post).current_revision.content == stored(sample())


def _add_move_and_remove(
    browser: Any, post: Post, kind: str, name: str | None, companion: str | None
) -> None:
    fields = open_editor(browser, post)
    fields["summary"] = "Typed, not saved yet."
    names = column(fields, kind, name)
    partners = column(fields, kind, companion) if companion else []
    assert len(names) >= 3

    def op(fields: dict[str, str], value: str) -> dict[str, str]:
        _, after = rerendered(press(browser, edit_url(post), fields, op=value))
        assert after["summary"] == "Typed, not saved yet."  # text elsewhere survives
        return after

    fields = op(fields, f"add-{kind}")
    assert column(fields, kind, name) == [*names, ""]
    new_row = f"{kind}-{len(names)}" + (f"-{name}" if name else "")
    fields[new_row] = "Typed in the new row"

    fields = op(fields, f"down-{kind}-0")
    assert column(fields, kind, name) == [names[1], names[0], *names[2:], "Typed in the new row"]
    if companion:
        assert column(fields, kind, companion)[:2] == [partners[1], partners[0]]

    fields = op(fields, f"up-{kind}-1")
    assert column(fields, kind, name) == [*names, "Typed in the new row"]

    fields = op(fields, f"remove-{kind}-0")
    assert column(fields, kind, name) == [*names[1:], "Typed in the new row"]
    if companion:
        assert column(fields, kind, companion)[: len(names) - 1] == partners[1:]


def _notes(fields: dict[str, str], entry: int) -> list[str]:
    return column(fields, f"entries-{entry}-criteria", "note")


def test_criteria_rows_carry_their_notes_in_every_entry(browser, post):
    fields = open_editor(browser, post)
    entries = range(len(column(fields, "entries", "name")))
    notes = {i: _notes(fields, i) for i in entries}  # Performance, Ecosystem, Learning curve
    assert all(len(n) == 3 for n in notes.values())

    _, fields = rerendered(press(browser, edit_url(post), fields, op="add-criteria"))
    for i in entries:  # a note field for the new criterion in every entry, the rest intact
        assert _notes(fields, i) == [*notes[i], ""]
    fields["criteria-3-name"] = "Documentation"
    fields["entries-0-criteria-3-note"] = "The best docs of the four."

    _, fields = rerendered(press(browser, edit_url(post), fields, op="up-criteria-2"))
    assert column(fields, "criteria", "name")[:3] == ["Performance", "Learning curve", "Ecosystem"]
    for i in entries:  # each note followed its criterion
        assert _notes(fields, i)[:3] == [notes[i][0], notes[i][2], notes[i][1]]
    assert revision_numbers(post) == [1]

    fields["criteria-0-name"] = "Speed under load"  # a rename, then save
    assert press(browser, edit_url(post), fields, action="save").status_code == 302

    content = fresh(post).current_revision.content
    assert [c["name"] for c in content["criteria"]] == [
        "Speed under load",
        "Learning curve",
        "Ecosystem",
        "Documentation",
    ]
    for i in entries:
        assert content["entries"][i]["criteria"] == [
            {"criterion": "Speed under load", "note": notes[i][0]},
            {"criterion": "Learning curve", "note": notes[i][2]},
            {"criterion": "Ecosystem", "note": notes[i][1]},
            {"criterion": "Documentation", "note": "The best docs of the four." if i == 0 else ""},
        ]


def test_removing_a_criterion_removes_its_notes_only(browser, post):
    fields = open_editor(browser, post)
    notes = _notes(fields, 2)
    _, fields = rerendered(press(browser, edit_url(post), fields, op="remove-criteria-1"))
    assert column(fields, "criteria", "name") == ["Performance", "Learning curve"]
    assert _notes(fields, 2) == [notes[0], notes[2]]


def test_a_second_note_on_the_same_criterion_is_not_lost_in_the_editor(
    browser, writer, create_post
):
    # An import may judge an entry twice on one criterion (the rules flag it); the writer
    # must get to see both notes and merge them, not lose one on opening the editor.
    data = sample()
    data["entries"][0]["criteria"].append({"criterion": "Performance", "note": "Second opinion."})
    post = create_post(writer, data)
    fields = open_editor(browser, post)
    first = data["entries"][0]["criteria"][0]["note"]
    assert first in _notes(fields, 0)
    assert "Second opinion." in _notes(fields, 0)
    assert press(browser, edit_url(post), fields, action="save").status_code == 302
    assert revision_numbers(post) == [1]
    assert fresh(post).current_revision.content == stored(data)


def test_rows_endpoint_returns_only_the_rows(browser, post):
    fields = open_editor(browser, post) | {"faq-0-answer": "Typed, not saved."}
    response = browser.post("/posts/rows", data={**fields, "op": "add-faq"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="editor-rows">')
    assert "<html" not in page
    assert 'id="post-form"' not in page
    rows = form_fields(f'<form id="rows">{page}</form>', id="rows")
    assert column(rows, "faq", "question")[-1] == ""
    assert rows["faq-0-answer"] == "Typed, not saved."
    assert "autofocus" in element(page, "faq-3-question")  # the new row's first field
    assert revision_numbers(post) == [1]


# --- 4. live findings -------------------------------------------------------------------------


def _check(client: Any, fields: dict[str, str], htmx: bool = False) -> str:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post("/posts/check", data=fields, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_findings_link_to_their_field_and_gate_the_submit_button(browser, post):
    fields = open_editor(browser, post)
    pick_else = fields["entries-2-pick_else"]

    fields["entries-2-pick_else"] = ""
    findings = _check(browser, fields)
    assert '<a href="#entries-2-pick_else"' in findings
    assert "Entry #3 &#34;Flask&#34; has no" in findings
    assert element(findings, "submit-button") is None  # only htmx gets the button

    findings = _check(browser, fields, htmx=True)
    button = element(findings, "submit-button")
    assert button["hx-swap-oob"] == "true"
    assert "disabled" in button

    fields["entries-2-pick_else"] = pick_else
    findings = _check(browser, fields, htmx=True)
    assert "#entries-2-pick_else" not in findings
    assert "Nothing: ready for review." in findings
    assert "disabled" not in element(findings, "submit-button")


def test_a_finding_points_at_its_row_when_blank_rows_are_left_out(browser, post):
    fields = open_editor(browser, post)
    # The first FAQ row is blank (left out of the content), so the third form row is the
    # content's second item: the finding must still point at the third row.
    fields |= {"faq-0-question": "", "faq-0-answer": "", "faq-2-answer": ""}
    findings = _check(browser, fields)
    assert '<a href="#faq-2-answer"' in findings


def test_a_field_that_does_not_validate_is_listed_too(browser, post):
    fields = open_editor(browser, post)
    fields["entries-0-url"] = "ftp://x"
    findings = _check(browser, fields, htmx=True)
    assert '<a href="#entries-0-url"' in findings
    assert "must be a web address" in findings
    assert "disabled" in element(findings, "submit-button")


# --- 5. preview -------------------------------------------------------------------------------


def test_preview_shows_the_unsaved_form_with_the_public_template(browser, post):
    fields = open_editor(browser, post)
    fields["title"] = "An unsaved title"
    fields["entries-0-verdict"] = "Django is **the safe default**."
    response = browser.post("/posts/preview", data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Preview — not published." in page
    assert "<h1>An unsaved title</h1>" in page
    assert '<ol class="entries"' in page
    for name in ("Django", "FastAPI", "Flask", "Litestar"):
        assert f"{name}</a></h2>" in page
    assert "<strong>the safe default</strong>" in page
    assert "By Wren Writer" in page
    assert revision_numbers(post) == [1]


def test_preview_of_a_form_that_does_not_validate_says_what_to_fix(browser, post):
    fields = open_editor(browser, post)
    fields["entries-0-url"] = "javascript:alert(1)"
    response = browser.post("/posts/preview", data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing to preview yet" in page
    assert "must be a web address" in page


# --- 6. autosave ------------------------------------------------------------------------------


def _after_autosave(fields: dict[str, str], answer: dict[str, Any]) -> dict[str, str]:
    # What editor.js does with a successful autosave's answer.
    return fields | {
        "base_revision": str(answer["base_revision"]),
        "working_version": str(answer["working_version"]),
    }


def test_autosave_creates_a_new_post_once_it_has_a_title(browser, writer):
    fields = open_editor(browser)
    fields["summary"] = "No title yet."
    refused = autosave_form(browser, "/posts/new/autosave", fields, status=400)
    assert refused["error"] == "invalid"
    assert refused["problems"][0]["field"] == "title"
    assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0

    fields["title"] = "The best text editors in 2026"
    answer = autosave_form(browser, "/posts/new/autosave", fields)
    post = db.session.get(Post, answer["post_id"])
    assert answer["created"] is True
    assert answer["edit_url"] == f"/posts/{post.id}/edit"
    assert answer["autosave_url"] == f"/posts/{post.id}/autosave"
    assert post.author_id == writer.id
    assert post.slug == "the-best-text-editors-in-2026"
    assert revision_numbers(post) == [1]
    copy = working_copy_of(post)
    assert copy.version == answer["working_version"] == 1
    assert ["summary", "No title yet."] in copy.form_data  # everything typed is kept

    # The tab carries on at the post's own addresses, as editor.js switches it to them.
    fields = _after_autosave(fields, answer) | {"intro": "Typed after the post was created."}
    answer = autosave_form(browser, answer["autosave_url"], fields)
    assert (answer["created"], answer["working_version"]) == (False, 2)
    assert revision_numbers(post) == [1]
    fields = _after_autosave(fields, answer)
    assert press(browser, f"/posts/{post.id}/edit", fields, action="save").status_code == 302
    content = fresh(post).current_revision.content
    assert revision_numbers(post) == [1, 2]
    assert (content["title"], content["summary"], content["intro"]) == (
        "The best text editors in 2026",
        "No title yet.",
        "Typed after the post was created.",
    )
    assert working_copy_of(post) is None


def test_autosave_keeps_edits_in_a_working_copy_until_saved(browser, post):
    fields = open_editor(browser, post)
    fields["summary"] = "Autosaved, not a revision."
    answer = autosave_form(browser, f"/posts/{post.id}/autosave", fields)
    assert answer["created"] is False
    assert answer["working_version"] == 1
    fields = _after_autosave(fields, answer) | {"intro": "Autosaved again."}
    answer = autosave_form(browser, f"/posts/{post.id}/autosave", fields)
    assert answer["working_version"] == 2
    assert revision_numbers(post) == [1]

    page = browser.get(edit_url(post)).get_data(as_text=True)
    shown = form_fields(page)
    assert shown["summary"] == "Autosaved, not a revision."
    assert shown["intro"] == "Autosaved again."
    assert shown["working_version"] == "2"
    assert "These are your unsaved changes" in page
    assert form_fields(page, action=f"/posts/{post.id}/discard")["csrf_token"]

    assert press(browser, edit_url(post), shown, action="save").status_code == 302
    assert revision_numbers(post) == [1, 2]  # one revision for all the autosaves
    content = fresh(post).current_revision.content
    assert (content["summary"], content["intro"]) == (
        "Autosaved, not a revision.",
        "Autosaved again.",
    )
    assert working_copy_of(post) is None
    page = browser.get(edit_url(post)).get_data(as_text=True)
    assert "These are your unsaved changes" not in page


def test_discarding_the_working_copy_goes_back_to_the_revision(browser, post):
    fields = open_editor(browser, post)
    summary = fields["summary"]
    autosave_form(browser, f"/posts/{post.id}/autosave", fields | {"summary": "Not wanted."})
    page = browser.get(edit_url(post)).get_data(as_text=True)
    discard = form_fields(page, action=f"/posts/{post.id}/discard")

    response = browser.post(f"/posts/{post.id}/discard", data=discard)
    assert response.status_code == 302
    assert working_copy_of(post) is None
    page = browser.get(edit_url(post)).get_data(as_text=True)
    assert "Unsaved changes discarded." in page
    assert form_fields(page)["summary"] == summary
    assert revision_numbers(post) == [1]


# --- 7. no silent overwrite -------------------------------------------------------------------


def conflict_panel(page: str) -> str:
    found = re.search(r'<section class="conflict".*?</details>', page, re.S)
    assert found, "no conflict panel"
    return found.group(0)


def test_a_save_from_a_stale_tab_shows_the_conflict_and_keeps_its_text(browser, post):
    tab_a, tab_b = open_editor(browser, post), open_editor(browser, post)
    title = tab_b["title"]
    tab_a["title"] = "Tab A's title"
    assert press(browser, edit_url(post), tab_a, action="save").status_code == 302

    tab_b["summary"] = "Tab B's summary."
    page, tab_b = rerendered(press(browser, edit_url(post), tab_b, action="save"), 409)
    panel = conflict_panel(page)
    assert "Not saved: someone else saved first" in panel
    assert "now revision 2" in panel
    assert "between revision 2 (theirs) and your text" in panel
    assert "Tab A&#39;s title" in panel  # what the other tab changed
    assert "<dt>Summary</dt>" in panel  # and what this one did
    assert tab_b["summary"] == "Tab B's summary."  # the writer's text is intact
    assert tab_b["title"] == title
    assert tab_b["base_revision"] == "2"
    assert revision_numbers(post) == [1, 2]

    # Having seen the difference, saving again keeps this tab's version.
    assert press(browser, edit_url(post), tab_b, action="save").status_code == 302
    content = fresh(post).current_revision.content
    assert revision_numbers(post) == [1, 2, 3]
    assert (content["title"], content["summary"]) == (title, "Tab B's summary.")


def test_a_stale_tab_cannot_autosave_over_newer_changes(browser, post):
    tab_a, tab_b = open_editor(browser, post), open_editor(browser, post)
    autosave_form(browser, f"/posts/{post.id}/autosave", tab_a | {"summary": "From tab A."})

    answer = autosave_form(
        browser, f"/posts/{post.id}/autosave", tab_b | {"summary": "From tab B."}, status=409
    )
    assert answer["error"] == "conflict"
    assert "autosaved" in answer["message"]
    assert "another window" in answer["message"]
    copy = working_copy_of(post)
    assert copy.version == 1
    assert ["summary", "From tab A."] in copy.form_data

    # Saving from tab B is a conflict too; the panel shows tab A's autosaved text.
    page, tab_b = rerendered(
        press(browser, edit_url(post), tab_b | {"summary": "From tab B."}, action="save"), 409
    )
    panel = conflict_panel(page)
    assert re.search(r"between changes autosaved at \d\d:\d\d UTC \(theirs\)", panel)
    assert "From tab <del>A</del><ins>B</ins>." in panel
    assert tab_b["summary"] == "From tab B."
    assert tab_b["working_version"] == "1"
    assert revision_numbers(post) == [1]


def test_an_autosave_based_on_an_old_revision_is_a_conflict(browser, post):
    tab_a, tab_b = open_editor(browser, post), open_editor(browser, post)
    assert press(browser, edit_url(post), tab_a, action="save", title="New").status_code == 302
    answer = autosave_form(browser, f"/posts/{post.id}/autosave", tab_b, status=409)
    assert answer["error"] == "conflict"
    assert answer["current_revision"] == 2
    assert "now revision 2" in answer["message"]
    assert working_copy_of(post) is None


# --- 8. submitting for review -----------------------------------------------------------------


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


# --- 9. a published post ----------------------------------------------------------------------


def publish(post: Post, reviewer: Any) -> None:
    """Submit, approve, then mark the post published.

    Only the last step is not an operation yet: the publisher (issue 5) will own it, and this
    helper should then call it instead of setting the columns.
    """
    posts.submit_for_review(post, post.author)
    posts.approve(post, reviewer, "", post.current_revision.number)
    post.published_revision = post.approved_revision
    db.session.flush()  # the pin must be stored before the state that requires it
    post.state = PostState.PUBLISHED
    db.session.commit()


def test_editing_a_published_post_makes_a_draft_with_a_correction(browser, post, create_user):
    publish(post, create_user("reviewer@example.com", Role.REVIEWER))
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
    publish(post, create_user("reviewer@example.com", Role.REVIEWER))
    fields = open_editor(browser, post)
    assert press(browser, edit_url(post), fields, action="save").status_code == 302
    assert "No changes to save." in browser.get(edit_url(post)).get_data(as_text=True)
    assert revision_numbers(post) == [1]
    assert fresh(post).state == PostState.PUBLISHED


# --- 10. bad input ----------------------------------------------------------------------------

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
            assert fields[field] == value
            assert fields["intro"] == "Typed alongside the mistake."
    assert revision_numbers(post) == [1]


def test_bad_input_in_a_new_post_creates_nothing(browser):
    fields = open_editor(browser) | {"title": "x" * 201, "summary": "Kept."}
    page, fields = rerendered(press(browser, "/posts/new", fields, action="save"), 422)
    assert "At most 200 characters" in error_next_to(page, "title")
    assert fields["summary"] == "Kept."
    assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0


# --- 11. permissions --------------------------------------------------------------------------

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
    data = {"csrf_token": csrf_token(client), "title": "Mine now", "action": "save"}
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

    token = csrf_token(client)
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
