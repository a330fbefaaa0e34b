"""Live posts due for re-review in the desk (issue 18, point 8), with real CSRF on: the review
queue's "Due for re-review" list and its count, the "due" mark on a re-review in the queue,
each live post's review-by date on its author's desk, the author's "Submit for re-review as it
is" button, and where the due notifications lead."""

from __future__ import annotations

from datetime import timedelta

import lxml.html
import pytest
import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Notification, Post, Revision, db, utcnow
from editorial.operations import freshness, posts
from editorial.tasks import publishing as publisher
from editorial.web import review as review_web
from tests.helpers.publisher import approve, content
from tests.helpers.queries import statements
from tests.helpers.review import flashes, fresh, queue_rows, submitted, text

pytestmark = pytest.mark.csrf  # CSRF on, as in production


def live(people, n, due_in_days, author="writer"):
    """Post number ``n`` by ``author``, approved by Rhea and published, its review due in
    ``due_in_days`` (negative: overdue by as many days), as if its last review were long ago."""
    writer = db.session.merge(people[author])
    post = posts.create_post(parse_post(content(n)), writer)
    db.session.commit()
    assert publisher.run(approve(post, db.session.merge(people["rhea"])).id)
    post.review_due_at = utcnow() + timedelta(days=due_in_days)
    db.session.commit()
    return post


def get(browser, path):
    db.session.remove()  # each request starts from an empty session, as it does in production
    response = browser.get(path)
    assert response.status_code == 200, response.status_code
    return response.text


def table(page):
    """The page's table of posts: one dict a row, the title's text and link and each labelled
    cell's text."""
    doc = lxml.html.fromstring(page)
    rows = []
    for tr in doc.xpath("//table[contains(@class, 'posts')]/tbody/tr"):
        first = tr.xpath("./td[not(@data-label)]//a")[0]
        row = {"title": text(first.text_content()), "href": first.get("href")}
        for td in tr.xpath("./td[@data-label]"):
            row[td.get("data-label")] = text(td.text_content())
        row["buttons"] = [text(b.text_content()) for b in tr.xpath(".//button")]
        rows.append(row)
    return rows


def due_link(page):
    link = lxml.html.fromstring(page).get_element_by_id("due-link")
    return link.get("href"), text(link.text_content())


def title(n):
    return content(n)["title"]


# --- the review queue ------------------------------------------------------------------------


def test_the_queue_lists_live_posts_due_for_re_review_longest_overdue_first(desk, people):
    back = live(people, 1, -30)  # sent back to review as it is
    # Its review-by day as stored (30 days ago): recomputed from the clock later, it would be
    # a day off when the test runs across midnight UTC.
    back_by = back.review_due_at.strftime("%Y-%m-%d")
    waiting = live(people, 2, -5, author="ada")  # its author has not acted yet
    changing = live(people, 3, -2)  # its author is drafting changes
    live(people, 4, 10)  # not due yet
    freshness.submit_as_it_is(back, back.author)
    data = {**changing.current_revision.content, "summary": "Checked again for this year."}
    posts.save_revision(changing, parse_post(data), changing.author)
    db.session.commit()
    ids = back.id, waiting.id, changing.id
    in_review = submitted(db.session.merge(people["writer"]))  # a first review: not due
    rob = desk("rob")

    page = get(rob, "/review/")
    assert due_link(page) == ("/review/?due=1", "Due for re-review 3")
    rows = {row["title"]: row for row in queue_rows(page)}
    # The re-review is marked as due, with its review-by date; the first review is not.
    assert "Due for re-review review by" in text(
        page.split(f'href="/review/{ids[0]}"', 1)[1].split("</td>", 1)[0]
    )
    assert rows[title(1)]["Changes"] == "The live revision, as it is"
    assert "Due for re-review" not in text(
        page.split(f'href="/review/{in_review.id}"', 1)[1].split("</td>", 1)[0]
    )

    page = get(rob, "/review/?due=1")
    assert "3 live posts due for re-review; the longest overdue first." in text(page)
    assert 'aria-current="page">Due for re-review' in page
    rows = table(page)
    assert [r["title"] for r in rows] == [title(1), title(2), title(3)]
    assert [r["Author"] for r in rows] == ["Wren Writer", "Ada Author", "Wren Writer"]
    assert rows[0]["Review by"] == f"{back_by} (30 days overdue)"
    assert rows[1]["Review by"].endswith("(5 days overdue)")
    assert [r["Where it is"] for r in rows] == [
        "In review as it is",
        "Waiting for its author",
        "Its author is changing it (draft)",
    ]
    # In review: its review page; otherwise its history (the live title, not the draft's).
    assert [r["href"] for r in rows] == [
        f"/review/{ids[0]}",
        f"/posts/{ids[1]}/history",
        f"/posts/{ids[2]}/history",
    ]
    assert 'name="author"' not in page and "Claim selected" not in page  # not the queue's tools

    # Approved again as it is: no longer due, and the count follows.
    approve(fresh(ids[0]), db.session.merge(people["rhea"]))
    assert [r["title"] for r in table(get(rob, "/review/?due=1"))][-2:] == [title(2), title(3)]


def test_the_due_list_is_paged_in_the_same_statements_for_few_or_many(desk, people, monkeypatch):
    # Pages of 5 rather than 40: the same paging, with a few published posts instead of 43
    # (each costs a publish).
    monkeypatch.setattr(review_web, "QUEUE_PAGE_SIZE", 5)
    size = review_web.QUEUE_PAGE_SIZE
    for n in range(3):
        live(people, n, -100 + n)
    rob = desk("rob")
    get(rob, "/review/?due=1")  # anything a first request does once
    with statements() as few:
        page = get(rob, "/review/?due=1")
    assert [r["title"] for r in table(page)] == [title(n) for n in range(3)]
    with statements() as queue_few:
        get(rob, "/review/")

    for n in range(3, size + 3):
        live(people, n, -100 + n)
    with statements() as many:
        page = get(rob, "/review/?due=1")
    assert len(many) == len(few), "\n".join(many)
    assert [r["title"] for r in table(page)] == [title(n) for n in range(size)]
    assert f"{size + 3} live posts due for re-review; page 1 of 2" in text(page)
    assert 'href="/review/?page=2&amp;due=1" rel="next"' in page
    page = get(rob, "/review/?due=1&page=2")
    assert [r["title"] for r in table(page)] == [title(n) for n in range(size, size + 3)]
    assert "There is no page 9." in get(rob, "/review/?due=1&page=9")
    # The count on the queue's link costs one statement, whatever the number due.
    with statements() as queue_many:
        page = get(rob, "/review/")
    assert len(queue_many) == len(queue_few)
    assert due_link(page)[1] == f"Due for re-review {size + 3}"


def test_only_reviewers_see_the_due_list(desk, people):
    live(people, 1, -3)
    assert desk("writer").get("/review/?due=1").status_code == 403
    assert "No live post is due" not in get(desk("rob"), "/review/?due=1")
    db.session.execute(sa.update(Post).values(review_due_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    page = get(desk("rob"), "/review/?due=1")
    assert "No live post is due for re-review." in page
    assert due_link(page)[1] == "Due for re-review 0"


# --- the desk --------------------------------------------------------------------------------


def test_the_desk_shows_each_live_posts_review_by_date_and_marks_the_due(desk, people):
    # The review-by days as stored (4 days ago, in 60 days), not recomputed from the clock
    # later: across midnight UTC that would be a day off.
    day = live(people, 1, -4).review_due_at.strftime("%Y-%m-%d")
    soon = live(people, 2, 60).review_due_at.strftime("%Y-%m-%d")
    posts.create_post(parse_post(content(3)), db.session.merge(people["writer"]))
    db.session.commit()
    wren = desk("writer")
    rows = {r["title"]: r for r in table(get(wren, "/"))}
    assert rows[title(1)]["Review by"].startswith(f"{day} Due for re-review Submit for")
    assert rows[title(1)]["buttons"] == [f"Submit for re-review as it is: “{title(1)}”"]
    assert rows[title(2)]["Review by"].startswith(soon)
    assert "Due" not in rows[title(2)]["Review by"]
    assert rows[title(2)]["buttons"] == [f"Submit for re-review as it is: “{title(2)}”"]
    assert rows[title(3)]["Review by"] == "—" and rows[title(3)]["buttons"] == []

    # The state filter's "Due for re-review": only the due ones, and what to do with them.
    page = get(wren, "/?state=due")
    assert [r["title"] for r in table(page)] == [title(1)]
    assert "submit it for re-review as it is, or open it" in text(page)
    assert '<option value="due" selected>' in page
    db.session.execute(sa.update(Post).values(review_due_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    assert "None of your posts is due for re-review." in get(wren, "/?state=due")


def test_the_desk_reads_its_rows_in_the_same_statements_with_live_and_due_posts(desk, people):
    live(people, 1, -4)
    wren = desk("writer")
    get(wren, "/")  # anything a first request does once
    with statements() as few:
        get(wren, "/")
    with statements() as due_few:
        get(wren, "/?state=due")
    for n in range(2, 8):
        live(people, n, -n if n % 2 else 30)
    with statements() as many:
        page = get(wren, "/")
    assert len(many) == len(few), "\n".join(many)
    assert len([r for r in table(page) if "Due for re-review" in r["Review by"]]) == 4
    with statements() as due_many:
        page = get(wren, "/?state=due")
    assert len(due_many) == len(due_few) == len(few)
    assert len(table(page)) == 4


def test_the_author_sends_a_live_post_back_to_review_as_it_is(desk, people):
    post = live(people, 1, -4)
    post_id, live_revision = post.id, post.published_revision_id
    revisions = db.session.scalar(sa.select(sa.func.count()).select_from(Revision))
    wren = desk("writer")
    get(wren, "/")
    # Without the form's token: refused, nothing changes.
    assert wren.client.post(f"/posts/{post_id}/rereview").status_code == 400
    # Another writer, a reviewer: not their post.
    assert desk("ada").post(f"/posts/{post_id}/rereview").status_code == 403
    assert desk("rob").post(f"/posts/{post_id}/rereview").status_code == 403
    assert fresh(post_id).state == PostState.PUBLISHED

    answer = wren.post(f"/posts/{post_id}/rereview")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    page = get(wren, "/")
    assert f"“{title(1)}” is in the review queue as it is; it stays live meanwhile." in flashes(
        page
    )
    post = fresh(post_id)
    assert post.state == PostState.IN_REVIEW
    assert post.published_revision_id == post.current_revision_id == live_revision
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Revision)) == revisions
    row = table(page)[0]
    assert row["State"] == "In review" and row["buttons"] == []
    assert "Due for re-review" in row["Review by"]  # until a reviewer approves it again
    assert "Live" in row["On the site"]
    # The reviewers hear of it, and the queue shows it as a due re-review.
    rob = desk("rob")
    assert [r["title"] for r in queue_rows(get(rob, "/review/"))] == [title(1)]
    assert table(get(rob, "/review/?due=1"))[0]["Where it is"] == "In review as it is"

    # Pressed again (a second tab): refused, said, nothing changed.
    wren.post(f"/posts/{post_id}/rereview")
    assert any(
        m.startswith("Not submitted: Only a live post with no unpublished changes")
        for m in flashes(get(wren, "/"))
    )
    assert fresh(post_id).state == PostState.IN_REVIEW


def test_the_editor_and_the_review_page_say_a_post_is_due(desk, people):
    post = live(people, 1, -4)
    post_id, due = post.id, post.review_due_at.date().isoformat()
    not_yet = live(people, 2, 30).id
    wren = desk("writer")
    page = get(wren, f"/posts/{post_id}/edit")
    notice = lxml.html.fromstring(page).xpath("//section[@aria-labelledby='due-heading']")
    assert notice, "the editor of a due post does not say it is due"
    said = text(notice[0].text_content())
    assert f"Its review-by date, {due}, has passed; it stays live meanwhile." in said
    assert notice[0].xpath(f".//form[@action='/posts/{post_id}/rereview']//button")
    assert "due-heading" not in get(wren, f"/posts/{not_yet}/edit")

    # Sent as it is, the reviewer reads that approving it records the review.
    assert wren.post(f"/posts/{post_id}/rereview").status_code == 302
    page = text(lxml.html.fromstring(get(desk("rob"), f"/review/{post_id}")).text_content())
    assert f"Due for re-review: the live version was to be reviewed again by {due}." in page
    assert "This is the live revision as it is: approving it records the review" in page
    # Once it is in review, the editor only says so (no second button).
    page = get(wren, f"/posts/{post_id}/edit")
    assert f"/posts/{post_id}/rereview" not in page


def test_a_live_post_with_unpublished_changes_is_not_sent_back_as_it_is(desk, people):
    post = live(people, 1, -4)
    data = {**post.current_revision.content, "summary": "Changed, not yet published."}
    posts.save_revision(post, parse_post(data), post.author)
    db.session.commit()
    wren = desk("writer")
    assert table(get(wren, "/"))[0]["buttons"] == []  # no button for it
    wren.post(f"/posts/{post.id}/rereview")
    assert any("submit its changes from the editor" in m for m in flashes(get(wren, "/")))
    assert fresh(post.id).state == PostState.DRAFT


# --- where the notifications lead ------------------------------------------------------------


def test_due_notifications_lead_the_author_to_their_due_posts_and_reviewers_to_the_list(
    desk, people
):
    post = live(people, 1, -1)
    freshness.flag_due()
    db.session.commit()
    message = db.session.scalar(
        sa.select(Notification.message).where(
            Notification.post_id == post.id, Notification.kind == "due"
        )
    )
    assert "submit it for review as it is or with changes" in message

    def link(who, starting):
        doc = lxml.html.fromstring(get(desk(who), "/notifications/"))
        found = [
            a for a in doc.xpath("//ul[@class='notifications']//a") if a.text.startswith(starting)
        ]
        assert found, starting
        return found[0].get("href")

    assert link("writer", f"“{title(1)}” is due for re-review") == "/?state=due"
    assert link("rob", "Due for re-review:") == "/review/?due=1"
    # The queue's own notifications still open the post's review page.
    submitted(db.session.merge(people["ada"]))
    assert link("rob", "New in the review queue:").startswith("/review/")
