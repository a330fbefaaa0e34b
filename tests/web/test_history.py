"""A post's history through the test client, with real CSRF on: revisions, a revision and its
page, the ranking-aware diff, and restoring."""

from __future__ import annotations

import re

import pytest

from editorial.domain.interchange import parse_post
from editorial.models import Post
from tests.conftest import sample
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


def history_url(post: Post) -> str:
    return f"/posts/{post.id}/history"


def save_title(browser, post: Post, title: str) -> None:
    """Save a new revision through the editor, changing only the title."""
    response = press(
        browser, edit_url(post), open_editor(browser, post), action="save", title=title
    )
    assert response.status_code == 302


def _revision_row(page: str, number: int) -> str:
    rows = re.findall(r"<tr>.*?</tr>", page, re.S)
    return next(row for row in rows if f">Revision {number}</a>" in row)


def restore_form(page: str, post: Post, number: int) -> dict[str, str]:
    return form_fields(page, action=f"/posts/{post.id}/revisions/{number}/restore")


def test_history_lists_every_revision_with_who_and_when(browser, post):
    save_title(browser, post, "A second title")
    revisions = list(fresh(post).revisions)
    page = browser.get(history_url(post)).get_data(as_text=True)
    for revision in revisions:
        row = _revision_row(page, revision.number)
        assert "Wren Writer" in row
        assert f'datetime="{revision.created_at.isoformat()}"' in row
        assert revision.created_at.strftime("%Y-%m-%d %H:%M UTC") in row
    assert ">current<" in _revision_row(page, 2)
    assert ">current<" not in _revision_row(page, 1)
    assert restore_form(page, post, 1)["base_revision"] == "2"

    autosave_form(browser, f"/posts/{post.id}/autosave", open_editor(browser, post))
    page = browser.get(history_url(post)).get_data(as_text=True)
    assert "Unsaved changes" in page
    assert "(autosaved)" in page


def test_a_revision_and_its_page_as_readers_would_see_it(browser, post):
    save_title(browser, post, "A second title")
    page = browser.get(f"/posts/{post.id}/revisions/1").get_data(as_text=True)
    assert "Revision 1 of" in page
    assert "Saved by Wren Writer" in page
    assert f'src="/posts/{post.id}/revisions/1/preview"' in page
    assert "Compare with the current revision" in page

    old = browser.get(f"/posts/{post.id}/revisions/1/preview")
    assert old.status_code == 200
    old_page = old.get_data(as_text=True)
    assert "Preview — not published." in old_page
    assert f"<h1>{sample()['title']}</h1>" in old_page
    assert '<ol class="entries"' in old_page
    new_page = browser.get(f"/posts/{post.id}/revisions/2/preview").get_data(as_text=True)
    assert "<h1>A second title</h1>" in new_page


def test_any_revision_downloads_as_a_file_that_imports_back(browser, post):
    save_title(browser, post, "A second title")
    page = browser.get(history_url(post)).get_data(as_text=True)
    link = f"/posts/{post.id}/revisions/1/export"
    assert f'href="{link}" download' in _revision_row(page, 1)
    response = browser.get(link)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{post.slug}-revision-1.json"'
    )
    exported = response.get_json()
    assert exported["title"] == sample()["title"]  # revision 1's, not the current one's
    assert exported["meta"]["revision"] == 1
    assert parse_post(exported).content() == parse_post(sample()).content()
    assert browser.get(f"/posts/{post.id}/revisions/9/export").status_code == 404


def test_the_diff_shows_moved_entries_and_changed_words(browser, post):
    fields = open_editor(browser, post)
    for op in ("up-entries-2", "up-entries-1"):  # Flask from #3 to #1, through the editor
        _, fields = rerendered(press(browser, edit_url(post), fields, op=op))
    assert fields["entries-0-name"] == "Flask"
    fields["entries-0-verdict"] = fields["entries-0-verdict"].replace(
        "small, stable", "tiny, stable"
    )
    assert press(browser, edit_url(post), fields, action="save").status_code == 302
    assert revision_numbers(post) == [1, 2]

    response = browser.get(f"/posts/{post.id}/diff?from=1&to=2")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Flask moved #3 → #1" in page
    assert "Django moved #1 → #2" in page
    assert "FastAPI moved #2 → #3" in page
    assert "Litestar moved" not in page
    assert "<del>small</del><ins>tiny</ins>" in page
    # Without from/to, the diff shows the latest change.
    assert "Flask moved #3 → #1" in browser.get(f"/posts/{post.id}/diff").get_data(as_text=True)


def test_restore_makes_a_new_revision_with_the_old_content(browser, post):
    original = fresh(post).current_revision.content
    save_title(browser, post, "A second title")
    form = restore_form(browser.get(history_url(post)).get_data(as_text=True), post, 1)

    response = browser.post(f"/posts/{post.id}/revisions/1/restore", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == edit_url(post)
    assert revision_numbers(post) == [1, 2, 3]  # nothing is rewritten
    assert fresh(post).current_revision.content == original
    page = browser.get(edit_url(post)).get_data(as_text=True)
    assert "Revision 1 restored as revision 3." in page
    assert form_fields(page)["title"] == original["title"]


def test_restore_is_refused_while_there_are_unsaved_changes(browser, post):
    save_title(browser, post, "A second title")
    form = restore_form(browser.get(history_url(post)).get_data(as_text=True), post, 1)
    fields = open_editor(browser, post) | {"summary": "Autosaved, not lost."}
    autosave_form(browser, f"/posts/{post.id}/autosave", fields)

    response = browser.post(f"/posts/{post.id}/revisions/1/restore", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == history_url(post)
    page = browser.get(history_url(post)).get_data(as_text=True)
    assert "You have unsaved changes autosaved at" in page
    assert revision_numbers(post) == [1, 2]
    assert ["summary", "Autosaved, not lost."] in working_copy_of(post).form_data


def test_restore_from_a_stale_page_is_refused(browser, post):
    save_title(browser, post, "A second title")
    form = restore_form(browser.get(history_url(post)).get_data(as_text=True), post, 1)
    save_title(browser, post, "A third title")  # saved after the history page was opened

    response = browser.post(f"/posts/{post.id}/revisions/1/restore", data=form)
    assert response.status_code == 302
    page = browser.get(history_url(post)).get_data(as_text=True)
    assert "Not restored: This post was saved again (now revision 3) after revision 2" in page
    assert revision_numbers(post) == [1, 2, 3]
    assert fresh(post).current_revision.content["title"] == "A third title"


def test_restore_is_refused_while_in_review(browser, post):
    save_title(browser, post, "A second title")
    form = restore_form(browser.get(history_url(post)).get_data(as_text=True), post, 1)
    fields = open_editor(browser, post)
    assert press(browser, edit_url(post), fields, action="submit").status_code == 302

    history = browser.get(history_url(post)).get_data(as_text=True)
    assert not re.search(r'action="[^"]*/restore"', history)  # no Restore buttons
    response = browser.post(f"/posts/{post.id}/revisions/1/restore", data=form)
    assert response.status_code == 302
    page = browser.get(history_url(post)).get_data(as_text=True)
    assert "Not restored: A post in review cannot be edited" in page
    assert revision_numbers(post) == [1, 2]
