"""Every desk page and every public page in a real browser, at a desktop's width and at a
phone's: each one is photographed at 1280 and at 375 px into test-results/screenshots/ and
checked with axe-core at both (``shots``); at 375 px none of them scrolls sideways; and no
attribute anywhere says "None" (a Python ``None`` printed into the markup).

One tab walks every page in the states that matter (a form with errors, the editor with
findings, its conflict page, the review page with comments), signed in once as each person
who uses them, and each page is loaded once and looked at in both widths: a browser test per
page would cost the suite a minute.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.models import Post, Role, User, db, utcnow
from editorial.operations import (
    accounts,
    comments,
    freshness,
    invitations,
    outbox,
    posts,
    preview_links,
    review,
    tokens,
)
from editorial.tasks import publishing as publisher
from tests.conftest import PASSWORD, sample
from tests.helpers.browser import playwright_expect, sign_in
from tests.helpers.publisher import approve, content

WRITER, REVIEWER, ADMIN = "wren@example.com", "rhea@example.com", "ada@example.com"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}

# The innermost elements that reach past the right edge of a screen of the given width.
WIDEST = """(width) => [...document.querySelectorAll('body *')]
    .filter(e => e.checkVisibility() && e.getBoundingClientRect().right > width + 0.5)
    .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 0.5))
    .slice(0, 3)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + [...e.classList].map(c => '.' + c).join('')
        + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)')"""

# Attributes whose value is the text "None".
NONE_ATTRIBUTES = """() => [...document.querySelectorAll('*')].flatMap(e =>
    [...e.attributes].filter(a => a.value === 'None')
        .map(a => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + a.name))"""


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def seed(live_app: Any) -> dict[str, Any]:
    """What the pages show: a draft with findings; a post in review (two revisions, claimed,
    commented on) with a preview link; a post on the site (due for re-review) and one taken
    off it; an API token and an open invitation. The ids and addresses the walk needs."""
    with live_app.app_context():
        writer = accounts.create_user(WRITER, "Wren Writer", PASSWORD, [Role.WRITER])
        reviewer = accounts.create_user(REVIEWER, "Rhea Reviewer", PASSWORD, [Role.REVIEWER])
        admin = accounts.create_user(ADMIN, "Ada Admin", PASSWORD, [Role.ADMIN])
        data = sample()
        data.update(slug="frameworks-draft", bias="")
        data["entries"][1]["pick_else"] = ""
        draft = posts.create_post(parse_post(data), writer)

        post = posts.create_post(parse_post(sample()), writer)
        changed = {**post.current_revision.content, "summary": "Four frameworks, compared."}
        posts.save_revision(post, parse_post(changed), writer, base_revision=1)
        posts.submit_for_review(post, writer)
        review.claim(post, reviewer, 60)
        comments.add_comment(post, reviewer, "Say which version you measured.", "Flask")
        comments.add_comment(post, reviewer, "A clear ranking; two small questions.")
        _, shared = preview_links.create_link(post, 2, writer)
        revoked, withdrawn = preview_links.create_link(post, 1, writer)
        preview_links.revoke_link(revoked, writer)
        tokens.create_token(writer, "Laptop script")
        _, invitation = invitations.invite("new@example.com", [Role.WRITER], admin)
        db.session.commit()

        live = posts.create_post(parse_post(content(1)), writer)
        assert publisher.run(approve(live, reviewer).id)
        live.review_due_at = utcnow() - timedelta(days=10)  # as if last reviewed long ago
        freshness.flag_due()
        db.session.commit()
        gone = posts.create_post(parse_post(content(2)), writer)
        assert publisher.run(approve(gone, reviewer).id)
        job = outbox.request_retract(gone, reviewer)
        db.session.commit()
        assert publisher.run(job.id)
        return {
            "draft": draft.id,
            "in_review": post.id,
            "invitation": invitation,
            "shared": shared,
            "withdrawn": withdrawn,
            "live": live.id,
            "live_slug": live.current_revision.content["slug"],
            "tag": live.current_revision.content["tags"][0],
            "gone_slug": gone.current_revision.content["slug"],
        }


class Tour:
    """Looks at pages in one tab: each one is photographed and checked with axe-core at both
    widths, searched for "None" attributes, and measured at a phone's width."""

    def __init__(self, page: Any, shots: Any):
        self.page, self.shots = page, shots
        self.too_wide: list[str] = []
        self.none: list[str] = []

    def look(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.none += [f"{name}: {a}" for a in page.evaluate(NONE_ATTRIBUTES)]
        self.shots(page, f"{name}-1280")
        page.set_viewport_size(PHONE)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width != PHONE["width"]:
            culprits = page.evaluate(WIDEST, PHONE["width"])
            self.too_wide.append(f"{name} ({page.url}): {width} px wide, at {culprits}")
        self.shots(page, f"{name}-375")
        page.set_viewport_size(DESKTOP)

    def visit(self, name: str, url: str, status: int = 200) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == status, (url, response.status)
        self.look(name)

    def sign_in(self, email: str) -> None:
        self.page.context.clear_cookies()
        sign_in(self.page, email)

    def done(self) -> None:
        assert not self.none, f'attributes that say "None": {self.none}'
        assert not self.too_wide, f"pages wider than {PHONE['width']} px: {self.too_wide}"


def test_every_page_fits_a_phone_and_passes_axe(
    page: Any, live_app: Any, shots: Any, expected_console_errors: Any
) -> None:
    # Asked for on purpose: the error pages, a wrong password, a bad file, a conflict, a page
    # taken off the site.
    expected_console_errors.append(r"status of (401|403|404|409|410|422)")
    expect = playwright_expect()
    page.set_viewport_size(DESKTOP)
    tour = Tour(page, shots)
    tour.visit("setup", "/setup")  # the first-run page, while there are no accounts
    world = seed(live_app)

    # Anyone: the sign-in page and its refusal, an invitation, the API's documentation, and
    # the public site (its home page, a post, a tag, a retracted post), a shared preview and a
    # withdrawn one.
    tour.visit("sign-in", "/login")
    page.get_by_label("E-mail").fill(WRITER)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("do not match an active account")).to_be_visible()
    tour.look("sign-in-refused")
    tour.visit("invitation", f"/invite/{world['invitation']}")
    tour.visit("api-docs", "/api/v1/")
    tour.visit("site-home", "/site/")
    tour.visit("site-post", f"/site/posts/{world['live_slug']}/")
    tour.visit("site-tag", f"/site/tags/{world['tag']}/")
    tour.visit("site-retracted", f"/site/posts/{world['gone_slug']}/")
    tour.visit("shared-preview", f"/preview/{world['shared']}")
    tour.visit("shared-preview-withdrawn", f"/preview/{world['withdrawn']}", status=410)

    # The writer: the desk home (and the header's menu on a phone), the editor empty, with
    # findings and in conflict, a post's history, diff, revisions and previews, a live post's
    # history (its publication and retraction),
    # their notifications and account (and its form with errors), tokens, the import page
    # (and a refused file), and the error pages.
    tour.sign_in(WRITER)
    tour.look("desk-home")
    expect(page.get_by_role("button", name="Submit for re-review as it is")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications")).to_be_visible()  # no menu to open
    page.set_viewport_size(PHONE)
    menu = page.locator("header summary", has_text="Menu")
    expect(page.get_by_role("link", name="Notifications")).to_be_hidden()
    menu.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    shots(page, "desk-home-menu-open-375")
    menu.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    page.set_viewport_size(DESKTOP)

    tour.visit("editor-new", "/posts/new")
    page.goto(f"/posts/{world['draft']}/edit")
    expect(page.locator("#findings .finding").first).to_be_visible()
    tour.look("editor-with-findings")
    # Someone saves the draft after this tab opened it: saving here shows the conflict.
    with live_app.app_context():
        draft = db.session.get(Post, world["draft"])
        changed = {**draft.current_revision.content, "summary": "Saved from somewhere else."}
        posts.save_revision(draft, parse_post(changed), draft.author, base_revision=1)
        db.session.commit()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".conflict")).to_be_visible()
    tour.look("editor-conflict")

    in_review = world["in_review"]
    tour.visit("history", f"/posts/{in_review}/history")
    tour.visit("diff", f"/posts/{in_review}/diff?from=1&to=2")
    tour.visit("revision", f"/posts/{in_review}/revisions/1")
    tour.visit("revision-preview", f"/posts/{in_review}/revisions/2/preview")
    tour.visit("share-a-preview", f"/posts/{in_review}/previews")
    tour.visit("history-of-a-live-post", f"/posts/{world['live']}/history")
    tour.visit("desk-due-for-re-review", "/?state=due")
    tour.visit("notifications", "/notifications/")
    tour.visit("account", "/account/")
    page.get_by_label("Current password").fill("not the password")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_role("button", name="Change password").click()
    tour.look("account-form-with-errors")
    tour.visit("tokens", "/account/tokens")
    tour.visit("import", "/posts/import")
    page.get_by_label("Ranking post (JSON)").set_input_files(
        {"name": "post.json", "mimeType": "application/json", "buffer": b"{not json"}
    )
    page.get_by_role("button", name="Import as a draft").click()
    tour.look("import-refused")
    tour.visit("error-403", "/admin/people", status=403)
    tour.visit("error-404", "/posts/999999/history", status=404)

    # The reviewer: the queue, and the review page with comments.
    tour.sign_in(REVIEWER)
    tour.visit("review-queue", "/review/")
    tour.visit("review-queue-due", "/review/?due=1")
    page.goto(f"/review/{in_review}")
    expect(page.get_by_text("Say which version you measured.")).to_be_visible()
    tour.look("review-page-with-comments")

    # The admin: people and the audit log.
    tour.sign_in(ADMIN)
    tour.visit("people", "/admin/people")
    tour.visit("audit-log", "/admin/audit")
    tour.done()
