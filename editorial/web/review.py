"""The review queue and the review page: claim a post, tick the checklist, decide."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from editorial.domain import checklist, disclosure, weighting
from editorial.domain.errors import Refusal
from editorial.domain.interchange import InterchangeError, parse_post
from editorial.domain.markdown import render_markdown
from editorial.domain.workflow import PostState
from editorial.models import Post, Role, utcnow
from editorial.operations import comments, freshness, outbox, review, review_queue
from editorial.operations import posts as ops
from editorial.site import pages, post_page
from editorial.web.actions import attempt
from editorial.web.forms import db_id
from editorial.web.paging import page_arg
from editorial.web.permissions import post_or_404, role_required

bp = Blueprint("review", __name__, url_prefix="/review")

reviewer_only = role_required(Role.REVIEWER)

QUEUE_PAGE_SIZE = 40


@bp.get("/")
@reviewer_only
def queue() -> str:
    """Posts in review, waiting longest first (or another of review_queue.SORTS), a page at a
    time, with what a reviewer needs to pick one; filtered and sorted in SQL, the page read
    in one statement. The filters, the order and the page live in the URL.

    ``?due=1``: the live posts due for re-review instead, the longest overdue first, whether
    back in review or still waiting for their author."""
    if request.args.get("due") == "1":
        due = review_queue.due_page(page_arg(), QUEUE_PAGE_SIZE)
        return render_template("review/queue.html", due=due, due_total=due.total)
    author = request.args.get("author", type=db_id)
    tag = request.args.get("tag", "").strip()
    sort = request.args.get("sort", "")
    if sort not in review_queue.SORTS:
        sort = ""  # the default order; an unknown one shows it rather than an error page
    page = review_queue.queue_page(
        page_arg(), QUEUE_PAGE_SIZE, author, tag, sort or next(iter(review_queue.SORTS))
    )
    authors, tags = review_queue.queue_filters()
    return render_template(
        "review/queue.html",
        rows=page.items,
        page=page,
        authors=authors,
        tags=tags,
        sorts=review_queue.SORTS,
        due_total=freshness.due_count(),
        # What the list shows, as the pager's links and "show everything" keep it.
        shown={"author": author or None, "tag": tag or None, "sort": sort or None},
    )


def _tags(post: Post) -> list[str]:
    return post.current_revision.content.get("tags", [])


@bp.get("/<int:post_id>")
@reviewer_only
def page(post_id: int) -> Any:
    post = post_or_404(post_id)
    return render_page(post)


def render_page(post: Post, status: int = 200, **extra: Any) -> Any:
    revision = post.current_revision
    items = review.checklist_for(post, current_user)
    if "ticked" in extra:  # a refused decision shows the boxes as the reviewer left them
        ticked = extra.pop("ticked")
        items = [
            review.CheckItem(i.item, i.item.key in ticked, i.changed and i.item.key not in ticked)
            for i in items
        ]
    claim = review.active_claim(post)
    may_review = ops.can_review(post, current_user) and post.state == PostState.IN_REVIEW
    return (
        render_template(
            "review/page.html",
            post=post,
            revision=revision,
            findings=ops.findings_for(revision),
            items=items,
            **_reading(revision.content, revision.rendered),
            threads=comments.threads(post),
            claim=claim,
            may_review=may_review,
            # Someone else's claim: no buttons that could only be refused, the reason instead.
            can_decide=may_review and (claim is None or claim.reviewer_id == current_user.id),
            last_reviewed=review.last_reviewed_revision(post),
            due=freshness.due_now(post),
            **extra,
        ),
        status,
    )


def _reading(content: dict[str, Any], rendered: dict[str, Any]) -> dict[str, Any]:
    """The revision laid out to be read on the review page, as the public page pairs it: each
    Markdown field with its HTML, rendered and sanitised when the revision was saved."""
    # Drafts may hold ranks out of order; pair each entry with its HTML before sorting.
    entries = sorted(
        (
            {**entry, "key": checklist.entry_key(entry["name"]), "html": html}
            for entry, html in zip(content.get("entries", []), rendered["entries"], strict=True)
        ),
        key=lambda entry: entry["rank"],
    )
    note = rendered.get("correction")
    return {
        "entries": entries,
        "html": rendered,
        "criteria": list(zip(content.get("criteria", []), rendered["criteria"], strict=True)),
        "faq": list(zip(content.get("faq", []), rendered["faq"], strict=True)),
        # A `rendered` made before corrections were rendered has none: render the note now.
        "correction": render_markdown(content.get("correction")) if note is None else note,
        "scoring": _scoring(content),
        # As the public page writes them: scores, links' text, which entries are paid.
        "number": pages.number,
        "address": pages.short_address,
        "public_url": pages.public_url,
        "paid": disclosure.is_paid,
    }


def _scoring(content: dict[str, Any]) -> dict[str, Any] | None:
    """A scored post's weights, scores and totals as the public page shows them, and under
    which weighting each entry would rank first; None for a post without them, or one whose
    content no longer parses (its findings say why)."""
    try:
        shown = post_page.scoring(content)
        if shown is not None:
            # Every entry, where the public page names its top few: the reviewer checks
            # that the order the author chose is one the scores can give.
            shown["every_win"] = weighting.who_wins(parse_post(content))
        return shown
    except InterchangeError:
        return None


@bp.post("/<int:post_id>/claim")
@reviewer_only
def claim(post_id: int) -> Any:
    post = post_or_404(post_id)
    back = url_for("review.page", post_id=post.id)
    with attempt(back, "Not claimed: {}"):
        held = review.claim(post, current_user, current_app.config["REVIEW_CLAIM_MINUTES"])
    flash(f"You are reviewing this post until {held.expires_at:%H:%M} UTC.", "success")
    return redirect(back)


@bp.post("/<int:post_id>/release")
@reviewer_only
def release(post_id: int) -> Any:
    post = post_or_404(post_id)
    with attempt(url_for("review.queue")):
        review.release(post, current_user)
    flash("Released: another reviewer can take it.", "info")
    return redirect(url_for("review.queue"))


_DONE = {
    "approve": "Approved. The publisher will publish exactly this revision.",
    "request_changes": "Sent back to the writer with your comments.",
    "save": "Checklist saved.",
}


@bp.post("/<int:post_id>/decide")
@reviewer_only
def decide(post_id: int) -> Any:
    """Save the checklist, approve, or request changes (the button pressed says which)."""
    post = post_or_404(post_id)
    action = request.form.get("action", "")
    ticked = set(request.form.getlist("item"))
    comment = request.form.get("comment", "")
    seen = request.form.get("revision", type=int)
    publish_at_text = request.form.get("publish_at", "").strip()
    try:
        publish_at = _publish_at(publish_at_text)
    except ValueError as exc:
        return render_page(
            post, 422, problem=str(exc), comment=comment, ticked=ticked,
            publish_at=publish_at_text, publish_at_error=str(exc),
        )  # fmt: skip
    if action not in _DONE:
        abort(400)

    def refused(refusal: Refusal) -> Any:
        return render_page(
            post, refusal.status, problem=refusal.message, comment=comment, ticked=ticked,
            publish_at=publish_at_text,
        )  # fmt: skip

    with attempt(answer=refused):
        if action == "approve":
            review.approve(post, current_user, ticked, comment, seen, publish_at)
        elif action == "request_changes":
            review.request_changes(post, current_user, ticked, comment, seen)
        else:
            review.sign_off(post, current_user, ticked, seen)
    if action == "save" and request.headers.get("HX-Request"):
        return "", 204  # a box ticked on the page: stored, nothing to redraw
    if action == "approve" and publish_at is not None:
        flash(
            f"Approved. The publisher will publish exactly this revision at "
            f"{publish_at:%Y-%m-%d %H:%M} UTC.",
            "success",
        )
    else:
        flash(_DONE[action], "success")
    if action == "save":
        return redirect(url_for("review.page", post_id=post.id))
    return redirect(url_for("review.queue"))


@bp.post("/bulk")
@reviewer_only
def bulk() -> Any:
    """Claim, release or approve several posts at once; each goes through the same checks."""
    action = request.form.get("action", "")
    if action not in review.BULK_ACTIONS:
        abort(400)
    ids = request.form.getlist("post", type=db_id)
    minutes = current_app.config["REVIEW_CLAIM_MINUTES"]
    with attempt(url_for("review.queue")):
        outcome = review.act_on_many(action, ids, current_user, minutes)
    done = [f"“{post.title}”" for post in outcome.done]
    refused = [f"“{post.title}”: {refusal.message}" for post, refusal in outcome.refused]
    verb = {"claim": "Claimed", "release": "Released", "approve": "Approved"}[action]
    if done:
        flash(f"{verb}: {', '.join(done)}.", "success")
    for reason in refused:
        flash(f"Not {verb.lower()}: {reason}", "error")
    if not done and not refused:
        flash("Select at least one post first.", "info")
    return redirect(url_for("review.queue"))


def _publish_at(text: str) -> datetime | None:
    """The "publish at" field (UTC, as a datetime-local input sends it), or None for now."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: a time zone past year 1 or 9999
        raise ValueError("Give the time as YYYY-MM-DD HH:MM (UTC).") from None
    if problem := outbox.schedule_problem(moment):  # the same rule as the API's
        raise ValueError(problem)
    return moment


bp.add_app_template_filter(checklist.entry_key, "entry_key")


@bp.app_template_filter("waited")
def waited(since: Any) -> str:
    """How long ago ``since`` was, in the largest unit that reads naturally."""
    minutes = max(int((utcnow() - since).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"
