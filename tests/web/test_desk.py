"""The desk's home through the test client."""

from __future__ import annotations

from editorial.models import Role, db
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
