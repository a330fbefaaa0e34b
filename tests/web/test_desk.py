"""The desk's home through the test client."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from editorial.models import Post, Role, db
from editorial.operations import posts, working_copy
from tests.conftest import sample


def _page(client, query=""):
    response = client.get("/" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_writer_sees_their_posts_with_state_and_findings(
    client, auth, writer, create_user, create_post
):
    draft = sample("note-taking-apps-2026")  # a draft with two error findings
    create_post(writer, draft)
    create_post(writer)
    other = create_user("other@example.com")
    create_post(other, sample("password-managers-2026"))
    auth.login()
    page = _page(client)
    assert "The best Python web frameworks" in page
    assert draft["title"] in page
    assert "2 errors" in page
    assert "None" in page  # the complete sample has no open findings
    assert "password-managers-2026" not in page  # someone else's post


def test_the_desk_filters_by_state(client, auth, writer, create_post):
    in_review = create_post(writer)
    posts.submit_for_review(in_review, writer)
    db.session.commit()
    create_post(writer, sample("static-site-generators-2026"))
    auth.login()
    page = _page(client, "?state=in_review")
    assert "python-web-frameworks-2026" in page
    assert "static-site-generators-2026" not in page
    assert '<option value="in_review" selected>' in page


def test_an_empty_filter_says_so(client, auth, writer, create_post):
    create_post(writer)
    auth.login()
    page = _page(client, "?state=approved")
    assert "None of your posts is approved." in page
    assert "python-web-frameworks-2026" not in page


def test_an_unknown_filter_shows_everything(client, auth, writer, create_post):
    create_post(writer)
    auth.login()
    page = _page(client, "?state=<script>")
    assert "python-web-frameworks-2026" in page
    assert "<script>" not in page


def test_a_reviewer_without_posts_gets_a_helpful_empty_desk(client, auth, create_user):
    create_user("rev@example.com", Role.REVIEWER)
    auth.login("rev@example.com")
    assert "You have no posts yet" in _page(client)


def test_the_desk_uses_the_vendored_stylesheet(client, auth, writer):
    auth.login()
    page = _page(client)
    assert "/static/vendor/pico-2.1.1/pico.min.css" in page
    assert client.get("/static/vendor/pico-2.1.1/pico.min.css").status_code == 200


def test_a_row_with_autosaved_edits_says_its_counts_are_the_saved_revisions(
    client, auth, writer, create_post
):
    """The editor shows the findings of the unsaved edits; the desk those of the revision."""
    post = create_post(writer, sample("note-taking-apps-2026"))
    auth.login()
    assert "unsaved changes" not in _page(client)

    working_copy.autosave(post, [["title", "Still typing"]], writer, 1, 0)
    db.session.commit()
    page = _page(client)
    assert "2 errors" in page
    assert "in revision 1; unsaved changes autosaved" in page

    working_copy.discard_working_copy(post, writer)
    db.session.commit()
    assert "unsaved changes" not in _page(client)


def _import(client, data: bytes, name: str = "post.json"):
    return client.post(
        "/posts/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _post_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Post))


def test_a_writer_imports_a_ranking_file_as_a_new_draft(client, auth, writer):
    auth.login()
    assert 'id="import-ranking"' in _page(client)
    content = sample("static-site-generators-2026")
    response = _import(client, json.dumps(content).encode())
    assert response.status_code == 302
    post = db.session.scalar(sa.select(Post).where(Post.slug == content["slug"]))
    assert response.headers["Location"] == f"/posts/{post.id}/edit"
    assert post.author_id == writer.id and post.state.value == "draft"
    assert post.current_revision.content["title"] == content["title"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Imported “{content['title']}” as a draft (revision 1)." in page


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "Choose a JSON file of a ranking post to import."),
        (b"{not json", "not valid JSON"),
        (json.dumps({"title": "Only a title"}).encode(), "<code>entries</code>: "),
        (json.dumps(sample() | {"slug": "Not A Slug!"}).encode(), "<code>slug</code>: "),
    ],
)
def test_a_bad_file_is_refused_with_each_problem_and_writes_nothing(
    client, auth, writer, data, said
):
    auth.login()
    before = _post_count()
    response = _import(client, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Not imported:" in page and said in page
    assert 'aria-invalid="true"' in page
    assert _post_count() == before
