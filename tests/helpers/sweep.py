"""A world with a real object for every URL variable, URLs built from the URL map, and table
snapshots that tell whether a request changed anything: for the route sweeps."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.models import Role, db
from editorial.operations import (
    accounts,
    comments,
    invitations,
    outbox,
    posts,
    preview_links,
    review,
    tokens,
)
from tests.conftest import PASSWORD, sample

# A token's last use is stamped by every API request, refused or not.
VOLATILE = {"last_used_at"}
SECRET_TITLE = "A title only the desk may show"


def make_user(email: str, *roles: Role, name: str | None = None) -> Any:
    user = accounts.create_user(email, name or email.split("@")[0].title(), PASSWORD, roles)
    db.session.commit()
    return user


def world(app: Any) -> dict[str, Any]:
    """Real objects for every URL variable: a post, a comment, a token, a user, a job..."""
    with app.app_context():
        admin = make_user("admin@example.com", Role.ADMIN, Role.WRITER, Role.REVIEWER)
        writer = make_user("writer@example.com", Role.WRITER)
        reviewer = make_user("reviewer@example.com", Role.REVIEWER)
        target = make_user("target@example.com", Role.WRITER, name="Tess Target")
        post = posts.create_post(parse_post(sample() | {"title": SECRET_TITLE}), writer)
        posts.submit_for_review(post, writer)
        comment = comments.add_comment(post, admin, "A comment to resolve.")
        other = posts.create_post(parse_post(sample("static-site-generators-2026")), writer)
        posts.submit_for_review(other, writer)
        review.approve(
            other, reviewer, review.checklist_keys(other), "Good.", other.current_revision.number
        )
        db.session.flush()
        job = outbox.latest_job(other)
        api_token, _ = tokens.create_token(admin, "agent")
        _, invitation = invitations.invite("new@example.com", [Role.WRITER], admin)
        link, _ = preview_links.create_link(post, 1, writer)
        db.session.commit()
        return {
            "post_id": post.id,
            "comment_id": comment.id,
            "token_id": api_token.id,
            "user_id": target.id,
            "job_id": job.id,
            "number": 1,
            "token": invitation,
            "link_id": link.id,
            "path": "index.html",
            "filename": "site.css",
        }


def url_for_rule(rule: Any, ids: dict[str, Any]) -> str:
    unknown = set(rule.arguments) - set(ids)
    assert not unknown, (
        f"{rule.rule} ({rule.endpoint}) takes {sorted(unknown)}: give the sweep a real object "
        "for it in world()"
    )
    return rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]


def snapshot(app: Any, bulky_by_length: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: the test of "nothing changed". ``bulky_by_length``: text and
    JSON columns by their length only, which is quicker for sweeps of many requests."""
    with app.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            columns = [
                sa.func.length(sa.cast(c, sa.Text))
                if bulky_by_length and isinstance(c.type, sa.JSON | sa.Text)
                else c
                for c in table.columns
                if c.name not in VOLATILE
            ]
            query = sa.select(*columns).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(row) for row in db.session.execute(query)]
        db.session.remove()
        return out


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after[name]]
