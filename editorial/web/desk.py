"""The desk's home: the signed-in writer's posts, their state and what the rules still want."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from editorial.domain.errors import InvalidInput, Refusal
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import Role
from editorial.operations import freshness, listing
from editorial.operations.posts import can_edit, create_post
from editorial.web.actions import attempt
from editorial.web.forms import db_id
from editorial.web.paging import page_arg
from editorial.web.permissions import post_or_404, role_required

bp = Blueprint("desk", __name__)

PAGE_SIZE = 40
DUE = "due"  # the state filter's choice for the live posts due for re-review


@bp.get("/")
@role_required(Role.WRITER, Role.REVIEWER, Role.ADMIN)
def index() -> str:
    """The signed-in user's posts, last edited first (or untouched longest first), a page at
    a time, filtered by state (or ``state=due``: the live ones due for re-review); the filter,
    the order and the page live in the URL.

    ``?row=<post id>`` from htmx answers with that one row: a row whose post is being
    published asks for itself again, so its state and its status on the site change together."""
    state = request.args.get("state", "")
    if state not in {s.value for s in PostState} | {DUE}:
        state = ""  # an unknown filter shows everything rather than an error page
    sort = request.args.get("sort", "")
    if sort not in listing.DESK_SORTS:
        sort = ""  # the default order; an unknown one shows it rather than an error page
    row = request.args.get("row", type=db_id)
    if row and request.headers.get("HX-Request"):
        found = listing.authors_posts(current_user.id, 1, 1, post_id=row)
        return render_template("desk/_row.html", post=found.items[0]) if found.items else ""
    page = listing.authors_posts(
        current_user.id,
        page_arg(),
        PAGE_SIZE,
        PostState(state) if state and state != DUE else None,
        sort=sort or next(iter(listing.DESK_SORTS)),
        due=state == DUE,
    )
    return render_template(
        "desk/index.html",
        posts=page.items,
        states=list(PostState),
        sorts=listing.DESK_SORTS,
        page=page,
        # What the list shows, as the pager's links and "show all" keep it.
        shown={"state": state or None, "sort": sort or None},
    )


@bp.route("/posts/import", methods=["GET", "POST"])
@role_required(Role.WRITER)
def import_post() -> Any:
    """A post from an interchange file (an export, or `editorial posts import`'s input) as a
    new draft of the signed-in writer: the same checks as the command; a bad file writes
    nothing and is answered with each problem, named by its place in the file."""
    if request.method == "GET":
        return render_template("desk/import.html", problems=[])
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""

    def refused(refusal: Refusal) -> Any:
        problems = refusal.problems or [("", refusal.message)]
        return render_template("desk/import.html", problems=problems), refusal.status

    with attempt(answer=refused):
        if not data:
            raise InvalidInput.single("", "Choose a JSON file of a ranking post to import.")
        post = create_post(parse_post(data), current_user)
    flash(f"Imported “{post.title}” as a draft (revision 1).", "success")
    return redirect(url_for("editor.edit", post_id=post.id))


@bp.post("/posts/<int:post_id>/rereview")
@role_required(Role.WRITER)
def rereview(post_id: int) -> Any:
    """Its author sends a live post with no unpublished changes back to review as it is (no
    new revision); it stays live, and approving it again records the review."""
    post = post_or_404(post_id, can_edit)
    back = url_for("desk.index")
    with attempt(back, "Not submitted: {}"):
        freshness.submit_as_it_is(post, current_user)
    flash(f"“{post.title}” is in the review queue as it is; it stays live meanwhile.", "success")
    return redirect(back)
