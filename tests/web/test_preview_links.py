"""Shared previews through the test client, with real CSRF on: who may read a post makes a
link on its "Share a preview" page; anyone holding the link reads that one revision, with the
site's template, a "not published" banner and noindex, until it expires or is revoked; every
view is in the audit log."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from editorial.models import AuditEvent, Post, PreviewLink, Role, db, utcnow
from editorial.operations import preview_links as previews
from tests.helpers.accounts import csrf_of
from tests.helpers.desk import (
    edit_url,
    element,
    error_next_to,
    form_fields,
    login,
    open_editor,
    press,
)

pytestmark = pytest.mark.csrf  # CSRF on, as in production


def share_url(post: Post) -> str:
    return f"/posts/{post.id}/previews"


def save_title(client, post: Post, title: str) -> None:
    """Save a new revision through the editor, changing only the title."""
    fields = open_editor(client, post)
    assert press(client, edit_url(post), fields, action="save", title=title).status_code == 302


def make_link(client, post: Post, **typed: str):
    """Press "Make a preview link" with the form as the page offers it, ``typed`` on top."""
    page = client.get(share_url(post)).get_data(as_text=True)
    fields = form_fields(page, action=share_url(post))
    return client.post(share_url(post), data={**fields, **typed})


def new_link(response) -> str:
    """The path of the link a "Make a preview link" answer shows."""
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    return urlsplit(element(page, "new-link")["value"]).path


def views_of(post: Post) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.post_id == post.id, AuditEvent.action == "preview.viewed")
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def stranger(app):
    """Someone with no account: a fresh client, signed in as nobody."""
    return app.test_client()


def test_the_history_page_leads_to_the_share_page(browser, post):
    history = browser.get(f"/posts/{post.id}/history").get_data(as_text=True)
    assert f'<a href="{share_url(post)}">Share a preview</a>' in history


def test_a_writer_shares_a_revision_shown_once_and_stored_as_a_hash(browser, post):
    page = browser.get(share_url(post)).get_data(as_text=True)
    fields = form_fields(page, action=share_url(post))
    assert fields["revision"] == "1" and fields["days"] == "7"  # the current one, for a week
    response = make_link(browser, post)
    assert response.headers["Cache-Control"] == "no-store"
    path = new_link(response)
    token = path.rsplit("/", 1)[1]
    assert path == f"/preview/{token}" and token.startswith("prv_")  # only the token
    link = db.session.scalars(sa.select(PreviewLink)).one()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    again = browser.get(share_url(post)).get_data(as_text=True)
    assert token not in again and element(again, "new-link") is None
    assert "Revision 1" in again and "Wren Writer" in again  # the live links: who, which


def test_someone_without_an_account_reads_the_revision_as_the_site_shows_it(
    browser, post, stranger
):
    path = new_link(make_link(browser, post))
    response = stranger.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert post.title in page
    assert "Preview — not published." in page
    assert '<meta name="robots" content="noindex">' in page
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    # No desk: no menu, no sign-out, no form, nothing signed in.
    for desk in ("Sign out", "csrf_token", "My posts", "/history", "desk.css"):
        assert desk not in page
    assert "Updated" not in page and "Published" not in page  # a draft has no dates yet


def test_a_link_never_shows_a_later_revision(browser, post, stranger):
    first_title = post.title
    path = new_link(make_link(browser, post))
    save_title(browser, post, "A title written after sharing")
    page = stranger.get(path).get_data(as_text=True)
    assert first_title in page
    assert "A title written after sharing" not in page


def test_a_link_to_an_earlier_revision_shows_that_one(browser, post, stranger):
    save_title(browser, post, "The second title")
    page = browser.get(share_url(post)).get_data(as_text=True)
    assert form_fields(page, action=share_url(post))["revision"] == "2"
    path = new_link(make_link(browser, post, revision="1", days="30"))
    assert "The second title" not in stranger.get(path).get_data(as_text=True)
    link = db.session.scalars(sa.select(PreviewLink)).one()
    assert link.expires_at - link.created_at == timedelta(days=30)


def test_every_view_is_in_the_audit_log_and_counted(browser, post, stranger):
    path = new_link(make_link(browser, post))
    for _ in range(3):
        assert stranger.get(path).status_code == 200
    views = views_of(post)
    assert len(views) == 3
    assert all(v.actor_id is None and v.revision.number == 1 for v in views)
    page = browser.get(share_url(post)).get_data(as_text=True)
    row = re.search(r"<tbody>.*?</tbody>", page, re.S).group(0)
    assert '<td data-label="Views">3 (last' in row
    history = browser.get(f"/posts/{post.id}/history").get_data(as_text=True)
    assert history.count("Shared preview viewed") == 3
    assert "Shared a preview" in history


def test_views_past_the_limit_are_refused_and_not_shown(app, browser, post, stranger):
    app.config["PREVIEW_RATE_LIMIT"] = "2 per minute"
    path = new_link(make_link(browser, post))
    assert [stranger.get(path).status_code for _ in range(3)] == [200, 200, 429]
    refused = stranger.get(path)
    assert refused.status_code == 429
    assert post.title not in refused.get_data(as_text=True)
    assert len(views_of(post)) == 2  # every page shown is recorded; no row for a refusal


def test_an_unknown_token_is_a_plain_404(browser, post, stranger):
    new_link(make_link(browser, post))
    for path in ("/preview/prv_" + "x" * 43, "/preview/nothing", "/preview/edt_abc"):
        response = stranger.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "There is no preview at this address." in page
        assert post.title not in page and "Sign in" not in page and "desk" not in page
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert views_of(post) == []


def test_an_expired_link_is_gone_and_says_nothing_about_the_post(app, writer, post, stranger):
    _, token = previews.create_link(post, 1, writer, days=1, now=utcnow() - timedelta(days=2))
    db.session.commit()
    response = stranger.get(f"/preview/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "expired or was withdrawn" in page
    assert post.title not in page and "Wren" not in page
    assert '<meta name="robots" content="noindex">' in page
    assert views_of(post) == []


def test_a_revoked_link_is_gone_at_once(browser, post, stranger):
    path = new_link(make_link(browser, post))
    assert stranger.get(path).status_code == 200
    link = db.session.scalars(sa.select(PreviewLink)).one()
    revoke = f"{share_url(post)}/{link.id}/revoke"
    assert browser.post(revoke).status_code == 400  # no CSRF token: refused, still live
    assert stranger.get(path).status_code == 200
    token = csrf_of(browser, share_url(post))
    response = browser.post(revoke, data={"csrf_token": token}, follow_redirects=True)
    assert "revoked; it shows nothing now" in response.get_data(as_text=True)
    assert "No live links" in response.get_data(as_text=True)
    assert stranger.get(path).status_code == 410
    assert len(views_of(post)) == 2


def test_making_a_link_needs_a_csrf_token(browser, post):
    response = browser.post(share_url(post), data={"revision": "1", "days": "7"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PreviewLink)) == 0


def test_a_wrong_choice_is_named_beside_its_field(browser, post):
    response = make_link(browser, post, revision="9", days="3")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_next_to(page, "link-revision") == "This post has no revision 9."
    assert error_next_to(page, "link-days") == "A link lasts 1, 7 or 30 days."
    assert element(page, "link-revision")["aria-invalid"] == "true"
    assert element(page, "link-days")["aria-describedby"] == "link-days-error"
    assert form_fields(page, action=share_url(post))["revision"] == "9"  # what was typed, kept
    assert element(page, "new-link") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PreviewLink)) == 0


def test_a_reviewer_and_an_admin_share_and_revoke_the_authors_links(
    app, browser, post, create_user
):
    path = new_link(make_link(browser, post))
    create_user("rev@example.com", Role.REVIEWER, name="Rhea Reviewer")
    create_user("admin@example.com", Role.ADMIN)
    reviewer = login(app.test_client(), "rev@example.com")
    new_link(make_link(reviewer, post))
    page = reviewer.get(share_url(post)).get_data(as_text=True)
    assert "Rhea Reviewer" in page and "Wren Writer" in page
    admin = login(app.test_client(), "admin@example.com")
    link = db.session.scalars(sa.select(PreviewLink).order_by(PreviewLink.id)).first()
    token = csrf_of(admin, share_url(post))
    revoke = f"{share_url(post)}/{link.id}/revoke"
    assert admin.post(revoke, data={"csrf_token": token}).status_code == 302
    assert app.test_client().get(path).status_code == 410


def test_another_writer_can_neither_see_nor_share_nor_revoke(app, browser, post, create_user):
    new_link(make_link(browser, post))
    link = db.session.scalars(sa.select(PreviewLink)).one()
    create_user("other@example.com", Role.WRITER)
    other = login(app.test_client(), "other@example.com")
    token = csrf_of(other, "/")
    data = {"csrf_token": token, "revision": "1", "days": "7"}
    assert other.get(share_url(post)).status_code == 403
    assert other.post(share_url(post), data=data).status_code == 403
    revoke = f"{share_url(post)}/{link.id}/revoke"
    assert other.post(revoke, data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PreviewLink)) == 1
    assert link.revoked_at is None


def test_a_link_is_revoked_only_through_its_own_post(browser, writer, post, create_post):
    other = create_post(writer, slug="another-post")
    new_link(make_link(browser, post))
    link = db.session.scalars(sa.select(PreviewLink)).one()
    token = csrf_of(browser, share_url(post))
    revoke = f"{share_url(other)}/{link.id}/revoke"
    assert browser.post(revoke, data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert link.revoked_at is None


def test_nobody_signed_out_reaches_the_share_page(post, stranger):
    response = stranger.get(share_url(post))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
