"""The editor's autosave through the test client, with real CSRF on: the working copy, and no
silent overwrite from a stale tab. The tests do what ``static/editor.js`` does with the JSON
answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.models import Post, db
from tests.helpers.desk import (
    autosave_form,
    edit_url,
    form_fields,
    fresh,
    open_editor,
    press,
    rerendered,
    revision_numbers,
    working_copy_of,
)

pytestmark = pytest.mark.csrf  # CSRF on, as in production


# --- autosave ---------------------------------------------------------------------------------


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


# --- no silent overwrite ----------------------------------------------------------------------


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
