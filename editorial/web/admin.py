"""Admin pages: the people page (roles, invitations, deactivation) and the first-run setup."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from editorial.domain.errors import Conflict, Refusal
from editorial.extensions import db
from editorial.models import Role, User
from editorial.operations import accounts, invitations, notifications
from editorial.web.actions import attempt
from editorial.web.auth import sign_in
from editorial.web.paging import page_arg, paginate
from editorial.web.permissions import role_required

bp = Blueprint("admin", __name__)

admin_only = role_required(Role.ADMIN)

PEOPLE_PAGE_SIZE = 50
SEARCH_LIMIT = 100  # characters of a search kept: no name or e-mail is longer


def _people_list() -> dict[str, Any]:
    """Which people the page lists, from the query string: the search, the role and the page.
    The forms on the page post with them, so that an action comes back to the same list."""
    role = request.args.get("role", "")
    return {
        "q": " ".join(request.args.get("q", "").split())[:SEARCH_LIMIT] or None,
        # An unknown role shows everyone rather than an error page.
        "role": role if role in {r.value for r in Role} else None,
        "page": page_arg() if page_arg() > 1 else None,
    }


def _back_to_people() -> str:
    return url_for("admin.people_page", **_people_list())


def _people_page(status: int = 200, **extra: Any) -> Any:
    shown = _people_list()
    query = accounts.people_query(shown["q"] or "", Role(shown["role"]) if shown["role"] else None)
    # Each row's roles come with the page, in one more query (User.role_rows is selectin).
    people = paginate(query, PEOPLE_PAGE_SIZE)
    page = render_template(
        "admin/people.html", people=people, shown=shown, roles=list(Role), **extra
    )
    return page, status


@bp.get("/admin/people")
@admin_only
def people_page() -> Any:
    return _people_page()


@bp.post("/admin/people/invite")
@admin_only
def invite() -> Any:
    email = request.form.get("email", "")
    roles = request.form.getlist("role")

    def refused(refusal: Refusal) -> Any:
        errors = dict(refusal.problems or [("", refusal.message)])
        return _people_page(
            refusal.status, invite_errors=errors, invite_email=email, invite_roles=roles
        )

    with attempt(answer=refused):
        invitation, token = invitations.invite(email, _roles(roles), current_user)
    link = url_for("admin.accept", token=token, _external=True)
    if current_app.config.get("MAIL_SERVER"):
        try:
            notifications.email_invitation(invitation, link)
        except Exception:  # noqa: BLE001 - the broker is down: hand the link over instead
            current_app.logger.warning("Could not queue the invitation e-mail.")
        else:
            flash(f"Invitation e-mailed to {invitation.email}.", "success")
            return redirect(_back_to_people())
    # No mail: the link is shown once, to the admin, to pass on; never cached.
    page, status = _people_page(invited=invitation, link=link)
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/admin/people/<int:user_id>/roles")
@admin_only
def roles(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    wanted = _roles(request.form.getlist("role"))
    with attempt(_back_to_people(), "Roles not changed: {}"):
        accounts.set_roles(user, wanted, current_user)
    flash(f"Roles of {user.display_name} saved.", "success")
    return redirect(_back_to_people())


@bp.post("/admin/people/<int:user_id>/active")
@admin_only
def active(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    wanted = request.form.get("active") == "1"
    with attempt(_back_to_people(), "Not changed: {}"):
        accounts.set_active(user, wanted, current_user)
    state = "reactivated" if wanted else "deactivated; their sessions and tokens stop working"
    flash(f"{user.display_name} {state}.", "success")
    return redirect(_back_to_people())


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept(token: str) -> Any:
    """The invited person chooses a display name and a password."""
    with attempt(answer=_invitation_refused):
        invitation = invitations.invitation_for(token)
    name = request.form.get("name", "")
    if request.method == "GET":
        return render_template("admin/accept.html", invitation=invitation, errors={}, name=name)

    def refused(refusal: Refusal) -> Any:
        if isinstance(refusal, Conflict):  # used or expired meanwhile
            return _invitation_refused(refusal)
        errors = dict(refusal.problems)
        page = render_template("admin/accept.html", invitation=invitation, errors=errors, name=name)
        return page, refusal.status

    with attempt(answer=refused):
        sign_in(invitations.accept(token, name, request.form.get("password", "")))
    flash("Welcome! Your account is ready.", "success")
    return redirect(url_for("desk.index"))


def _invitation_refused(refusal: Refusal) -> Any:
    return render_template("admin/invitation_refused.html", message=refusal.message), 410


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Any:
    """First run: create the first admin, once, while there are no accounts at all."""
    if accounts.has_users():
        abort(404)
    email, name = request.form.get("email", ""), request.form.get("name", "")
    if request.method == "GET":
        return render_template("admin/setup.html", errors={}, email=email, name=name)

    def refused(refusal: Refusal) -> Any:
        if isinstance(refusal, Conflict):  # someone finished the setup first
            abort(404)
        errors = dict(refusal.problems)
        page = render_template("admin/setup.html", errors=errors, email=email, name=name)
        return page, refusal.status

    with attempt(answer=refused):
        sign_in(accounts.create_first_admin(email, name, request.form.get("password", "")))
    flash("You are the first admin. Invite your colleagues from People.", "success")
    return redirect(url_for("admin.people_page"))


def _roles(names: list[str]) -> list[Role]:
    known = {role.value for role in Role}
    return [Role(name) for name in names if name in known]
