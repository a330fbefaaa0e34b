"""The authorisation table: every route of the app, for anonymous visitors and each role, in
every post state, with the answer each one gets.

The table below is the policy, written down. The sweep reads ``app.url_map``: a route with no
row fails the test until someone decides, here, who may use it. Each request is checked for
its status and, for state-changing ones, for whether anything in the database changed: a
refusal must change nothing, and an allowed action must really happen (so the table cannot
be satisfied by a route that refuses everyone).

Who is who. In each state there are two posts: one by ``author``, one by ``author_rv``; each
author is asked about their own post, everyone else about the author's.

- ``anon``: nobody signed in;
- ``author``: the post's author, a writer;
- ``author_rv`` (``auth+r`` in the table): the post's author, a writer who also reviews, so
  that four eyes is tested on the hard case;
- ``writer``: another writer;
- ``reviewer`` (``rvwr``): a reviewer who did not write the post; in review, they hold its
  claim and have ticked its checklist;
- ``admin``: an administrator with no other role.

SQLite only: who may do what is decided in Python, not by the database, and CI stays fast
(the operations behind each route run on PostgreSQL in their own tests).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest
import sqlalchemy as sa

from editorial.domain import checklist
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import ApiToken, JobStatus, Post, Role, User, db
from editorial.operations import accounts, outbox, people, publishing, review, tokens
from editorial.operations import posts as operations
from tests.conftest import PASSWORD, sample
from tests.helpers.desk import form_fields
from tests.helpers.sweep import changed_tables, snapshot, url_for_rule

ACTORS = ("anon", "author", "author_rv", "writer", "reviewer", "admin")
OWNERS = ("author", "author_rv")
STATES = tuple(s.value for s in PostState)
PEOPLE = {
    "author": ("author@example.com", (Role.WRITER,)),
    "author_rv": ("author-rv@example.com", (Role.WRITER, Role.REVIEWER)),
    "writer": ("writer@example.com", (Role.WRITER,)),
    "reviewer": ("reviewer@example.com", (Role.REVIEWER,)),
    "admin": ("admin@example.com", (Role.ADMIN,)),
    # Not an actor: the person the admin pages act on, and the one who decides for the author.
    "target": ("target@example.com", (Role.WRITER,)),
    "decider": ("decider@example.com", (Role.REVIEWER,)),
}
# In each post's title: who may not read the post must never see it.
SECRET = {"author": "HiddenDraftOne", "author_rv": "HiddenDraftTwo"}
MUST_NOT_SEE = {"anon": OWNERS, "writer": OWNERS, "author": ("author_rv",)}
NEW_PASSWORD = "a wholly new passphrase for the sweep"

# How to read a cell:
#   login   sent to sign in (302 to /login), or 401 from the API
#   NNN     that status; for a state-changing request, nothing in the database changed
#   NNN+    that status, and the request changed something (it was allowed and it happened)
# A route's rows are read top to bottom: the first whose states include the post's wins.
# "-" in the states column: the route has no post (it is checked once per actor).
TABLE = """
# route                                      states        anon   author auth+r writer rvwr   admin

# Signing in, first run and invitations (an invitation's token is its own credential).
GET /login                                   -             200    302    302    302    302    302
POST /login                                  -             302+   302    302    302    302    302
POST /logout                                 -             login  login+ login+ login+ login+ login+
GET /setup                                   -             404    404    404    404    404    404
POST /setup                                  -             404    404    404    404    404    404
GET /invite/<token>                          -             200    200    200    200    200    200
POST /invite/<token>                         -             302+   302+   302+   302+   302+   302+

# The desk and one's own account: anyone signed in.
GET /                                        -             login  200    200    200    200    200
GET /notifications/                          -             login  200    200    200    200    200
POST /notifications/read                     -             login  302    302+   302    302+   302
GET /account/                                -             login  200    200    200    200    200
POST /account/name                           -             login  302+   302+   302+   302+   302+
POST /account/password                       -             login  302+   302+   302+   302+   302+
GET /account/tokens                          -             login  200    200    200    200    200
POST /account/tokens                         -             login  200+   200+   200+   200+   200+
POST /account/tokens/<token_id>/revoke       -             login  302+   403    403    403    302+

# People: admins only.
GET /admin/people                            -             login  403    403    403    403    200
POST /admin/people/invite                    -             login  403    403    403    403    200+
POST /admin/people/<user_id>/roles           -             login  403    403    403    403    302+
POST /admin/people/<user_id>/active          -             login  403    403    403    403    302+

# Writing: writers only, and only its author touches a post. A post in review is read-only
# to its author until withdrawn (409); editing an approved or live post starts a new draft.
GET /posts/new                               -             login  200    200    200    403    403
POST /posts/new                              -             login  302+   302+   302+   403    403
POST /posts/new/autosave                     -             login  200+   200+   200+   403    403
POST /posts/check                            -             login  200    200    200    403    403
POST /posts/preview                          -             login  200    200    200    403    403
POST /posts/rows                             -             login  200    200    200    403    403
GET /posts/<id>/edit                         *             login  200    200    403    403    403
POST /posts/<id>/edit                        review        login  409    409    403    403    403
POST /posts/<id>/edit                        *             login  302+   302+   403    403    403
POST /posts/<id>/autosave                    review        login  409    409    403    403    403
POST /posts/<id>/autosave                    *             login  200+   200+   403    403    403
POST /posts/<id>/discard                     *             login  302    302    403    403    403
POST /posts/<id>/withdraw                    review        login  302+   302+   403    403    403
POST /posts/<id>/withdraw                    *             login  302    302    403    403    403
POST /posts/<id>/revisions/<number>/restore  review        login  302    302    403    403    403
POST /posts/<id>/revisions/<number>/restore  *             login  302+   302+   403    403    403

# A post's history and status: its author, reviewers and admins; never another writer.
GET /posts/<id>/history                      *             login  200    200    403    200    200
GET /posts/<id>/diff                         *             login  200    200    403    200    200
GET /posts/<id>/revisions/<number>           *             login  200    200    403    200    200
GET /posts/<id>/revisions/<number>/preview   *             login  200    200    403    200    200
GET /posts/<id>/publishing                   *             login  200    200    403    200    200

# Comments: the author, and reviewers other than the author.
POST /posts/<id>/comments                    *             login  302+   302+   403    302+   403
POST /comments/<comment_id>/resolve          *             login  302+   302+   403    302+   403

# Reviewing: reviewers only, and four eyes: an author who also reviews (auth+r) may open the
# review page of their own post but neither claims, releases (refused, nothing stored) nor
# decides (403), alone or in bulk. In review the reviewer holds the claim; only a post in
# review is decided on (409).
GET /review/                                 -             login  403    200    403    200    403
GET /review/<id>                             *             login  403    200    403    200    403
POST /review/<id>/claim                      review        login  403    302    403    302+   403
POST /review/<id>/claim                      *             login  403    302    403    302    403
POST /review/<id>/release                    review        login  403    302    403    302+   403
POST /review/<id>/release                    *             login  403    302    403    302    403
POST /review/<id>/decide                     review        login  403    403    403    302+   403
POST /review/<id>/decide                     *             login  403    403    403    409    403
POST /review/bulk                            review        login  403    302    403    302+   403
POST /review/bulk                            *             login  403    302    403    302    403

# Publishing: an approval (above) is the only way onto the site. Retrying a failed job and
# taking a live post off the site: its author, reviewers and admins; never another writer.
POST /posts/<id>/publishing/retry            approved      login  302+   302+   403    302+   302+
POST /posts/<id>/publishing/retry            published     login  302    302    403    302    302
POST /posts/<id>/publishing/retry            retracted     login  302    302    403    302    302
POST /posts/<id>/publishing/retry            *             login  404    404    403    404    404
POST /posts/<id>/retract                     published     login  302+   302+   403    302+   302+
POST /posts/<id>/retract                     *             login  302    302    403    302    302

# The public site: anyone.
GET /site/                                   -             200    200    200    200    200    200
GET /site/<path>                             -             200    200    200    200    200    200

# The API: the desk's rules, with a token instead of a session (401 without one).
GET /api/v1/                                 -             200    200    200    200    200    200
GET /api/v1/openapi.json                     -             200    200    200    200    200    200
GET /api/v1/schema/ranking-post.json         -             200    200    200    200    200    200
POST /api/v1/check                           -             login  200    200    200    200    200
GET /api/v1/posts                            -             login  200    200    200    200    200
POST /api/v1/posts                           -             login  201+   201+   201+   403    403
GET /api/v1/posts/<id>                       *             login  200    200    403    200    200
PUT /api/v1/posts/<id>                       review        login  409    409    403    403    403
PUT /api/v1/posts/<id>                       *             login  200+   200+   403    403    403
GET /api/v1/posts/<id>/export                *             login  200    200    403    200    200
POST /api/v1/posts/<id>/submit               draft,changes login  200+   200+   403    403    403
POST /api/v1/posts/<id>/submit               *             login  409    409    403    403    403
POST /api/v1/posts/<id>/withdraw             review        login  200+   200+   403    403    403
POST /api/v1/posts/<id>/withdraw             *             login  409    409    403    403    403
GET /api/v1/review/queue                     -             login  403    200    403    200    403
POST /api/v1/posts/<id>/decision             review        login  403    403    403    200+   403
POST /api/v1/posts/<id>/decision             *             login  403    403    403    409    403
GET /api/v1/posts/<id>/publication           *             login  200    200    403    200    200
"""


@dataclass(frozen=True)
class Row:
    states: frozenset[str] | None  # None: not about a post
    cells: dict[str, str]


CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
SHORT_NAMES = {"post_id": "id"}  # to keep TABLE narrow
SHORT = {"review": "in_review", "changes": "changes_requested"}  # to keep TABLE narrow


def _parse(table: str) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {}
    for line in table.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        method, path, states, *cells = line.split()
        assert len(cells) == len(ACTORS), f"{line!r}: one cell per actor {ACTORS}"
        names = STATES if states == "*" else [SHORT.get(s, s) for s in states.split(",")]
        scope = None if states == "-" else frozenset(names)
        assert scope is None or scope <= set(STATES), f"{line!r}: unknown state"
        row = Row(scope, dict(zip(ACTORS, cells, strict=True)))
        rows.setdefault(f"{method} {path}", []).append(row)
    return rows


def _key(method: str, rule: Any) -> str:
    """``POST /posts/<id>/edit``: the rule without its converters, ``post_id`` as ``id``."""
    path = CONVERTER.sub(lambda m: f"<{SHORT_NAMES.get(m[1], m[1])}>", rule.rule)
    return f"{method} {path}"


def _expected(rows: dict[str, list[Row]], key: str, state: str | None, actor: str) -> str | None:
    for row in rows.get(key, []):
        if row.states is None or state in row.states:
            return row.cells[actor]
    return None


# ---- the world: people, a post in a given state, and whatever the URLs point at ------------------


@dataclass
class World:
    app: Any
    site: Any
    users: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    bearer: dict[str, str] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # per owner
    fields: dict[str, str] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)
    slugs: Iterator[int] = field(default_factory=count)


def _people(world: World) -> None:
    with world.app.app_context():
        for key, (email, roles) in PEOPLE.items():
            user = accounts.create_user(email, key.title(), PASSWORD, roles)
            db.session.flush()
            world.users[key] = user.id
            world.hashes[key] = user.password_hash
        for actor in ACTORS[1:]:
            _, world.bearer[actor] = tokens.create_token(_user(world, actor), "agent")
        db.session.commit()


def _user(world: World, key: str) -> User:
    return db.session.get(User, world.users[key])


def _post(world: World, state: str) -> None:
    """A fresh post by each author in ``state``, with a comment, a job and what else the URLs
    point at."""
    for owner in OWNERS:
        world.posts[owner] = _one_post(world, owner, state)


def _one_post(world: World, owner: str, state: str) -> dict[str, Any]:
    with world.app.app_context():
        author, decider = _user(world, owner), _user(world, "decider")
        reviewer = _user(world, "reviewer")
        slug = f"ranked-{next(world.slugs)}"
        content = sample() | {"slug": slug, "title": f"{SECRET[owner]} {slug}"}
        post = operations.create_post(parse_post(content), author)
        keys = {item.key for item in checklist.items(post.current_revision.content)}
        if state != "draft":
            operations.submit_for_review(post, author)
        if state == "in_review":  # the reviewer is on it: claimed, every box ticked
            review.claim(post, reviewer, 60)
            review.sign_off(post, reviewer, keys)
        if state == "changes_requested":
            operations.request_changes(post, decider, "Say more.", 1)
        if state in ("approved", "published", "retracted"):
            operations.approve(post, decider, "Good.", 1)
            db.session.commit()
        if state in ("published", "retracted"):
            assert publishing.run(outbox.latest_job(post).id)
        if state == "retracted":
            job = outbox.request_retract(post, decider)
            db.session.commit()
            assert publishing.run(job.id)
        job = outbox.latest_job(post)
        if state == "approved":
            job.status = JobStatus.FAILED  # an approved post waits on its job: here, a failed one
        db.session.flush()
        comment = review.add_comment(post, decider, "A question for the author.")
        # A token to revoke: the author's (the route has no post; it is the same for everyone).
        spare_id = world.posts.get("author", {}).get("token_id", 0)
        spare = db.session.get(ApiToken, spare_id)
        if spare is None or spare.revoked_at is not None:
            spare, _ = tokens.create_token(_user(world, "author"), "a token to revoke")
        admin = _user(world, "admin")
        _, invitation = people.invite(f"new-{slug}@example.com", [Role.WRITER], admin)
        db.session.commit()
        assert db.session.get(Post, post.id).state == state
        return {
            "post_id": post.id,
            "revision": post.current_revision.number,
            "slug": slug,
            "checklist": sorted(keys),
            "comment_id": comment.id,
            "job": job.id if job else 0,
            "token": invitation,
            "token_id": spare.id,
            "user_id": world.users["target"],
            "number": 1,
            "path": "index.html",
            "filename": "site.css",
        }


def _ids(world: World, actor: str) -> dict[str, Any]:
    """What the actor is asked about: their own post for an author, else the author's."""
    return world.posts["author_rv" if actor == "author_rv" else "author"]


def _restore_people(world: World) -> None:
    """Undo what the sweep's own requests did to the people (a password, a name, roles)."""
    with world.app.app_context():
        for key, (_, roles) in PEOPLE.items():
            user = _user(world, key)
            user.password_hash = world.hashes[key]
            user.active = True
            user.display_name = key.title()
            accounts.set_roles(user, roles)
        db.session.commit()


class Changes:
    """Whether a request changed anything: SQLite's ``data_version`` tells cheaply whether
    anything was committed at all; only then are the rows compared."""

    def __init__(self, app: Any):
        self.app = app
        self.watch = sqlite3.connect(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
        self.reset()

    def _version(self) -> int:
        return self.watch.execute("PRAGMA data_version").fetchone()[0]

    def reset(self) -> None:
        self.version, self.rows = self._version(), snapshot(self.app, bulky_by_length=True)

    def before(self) -> None:
        if self._version() != self.version:  # written since (a GET stamping a token, a rebuild)
            self.reset()

    def after(self) -> bool:
        if self._version() == self.version:
            return False
        rows = snapshot(self.app, bulky_by_length=True)
        changed = bool(changed_tables(self.rows, rows))
        self.version, self.rows = self._version(), rows
        return changed

    def close(self) -> None:
        self.watch.close()


# ---- what each route is sent -------------------------------------------------------------------


def _body(world: World, rule: Any, actor: str) -> dict[str, Any]:
    """A request that does the route's job when the actor may: a refusal is then a refusal."""
    ids, fields, endpoint = _ids(world, actor), world.fields, rule.endpoint
    slug = f"fresh-{next(world.slugs)}"
    content = sample() | {"slug": slug}
    own_slug = {"slug": ids["slug"]}
    own = own_slug | {"base_revision": str(ids["revision"])}
    bodies: dict[str, Any] = {
        "account.name": {"display_name": "Renamed"},
        "account.password": {"current_password": PASSWORD, "password": NEW_PASSWORD},
        "account.token_list": {"name": "another agent"},
        "admin.active": {"active": "0"},
        "admin.invite": {"email": f"{slug}@example.com", "role": "writer"},
        "admin.roles": {"role": ["writer", "reviewer"]},
        "admin.accept": {"name": "New Person", "password": NEW_PASSWORD},
        "admin.setup": {"email": "x@example.com", "name": "X", "password": NEW_PASSWORD},
        "auth.login": {"email": PEOPLE["writer"][0], "password": PASSWORD},
        "comments.add": {"body": "A reply."},
        "editor.new": fields | {"slug": slug, "action": "save"},
        "editor.edit": fields | own | {"intro": "A changed introduction.", "action": "save"},
        "editor.autosave_view": fields | (own if _about_a_post(rule) else {"slug": slug}),
        "editor.rows": fields | {"op": "add-faq"},
        "editor.check": fields,
        "editor.preview": fields,
        "history.restore": {"base_revision": str(ids["revision"])},
        "publishing.retry": {"job": str(ids["job"])},
        "review.bulk": {"action": "approve", "post": str(ids["post_id"])},
        "review.decide": {
            "action": "approve",
            "item": ids["checklist"],
            "comment": "Clear criteria, honest alternatives.",
            "revision": str(ids["revision"]),
        },
        "api.create": content,
        "api.check": content,
        "api.update": {"base_revision": ids["revision"], "content": content | own_slug},
        "api.decide": {
            "decision": "approve",
            "revision": ids["revision"],
            "checklist_confirmed": True,
            "comment": "Clear criteria, honest alternatives.",
        },
    }
    return bodies.get(endpoint, {})


def _sign_in(world: World, actor: str) -> None:
    client = world.app.test_client()
    if actor != "anon":
        data = {"email": PEOPLE[actor][0], "password": PASSWORD}
        assert client.post("/login", data=data).status_code == 302, f"{actor} not signed in"
    world.clients[actor] = client


def _about_a_post(rule: Any) -> bool:
    in_url = {"post_id", "comment_id"} & set(rule.arguments) - set(rule.defaults or {})
    return bool(in_url) or rule.endpoint == "review.bulk"


def _send(world: World, actor: str, method: str, rule: Any) -> Any:
    url = url_for_rule(rule, _ids(world, actor))
    body = _body(world, rule, actor)
    if rule.endpoint.startswith("api."):
        headers = {} if actor == "anon" else {"Authorization": f"Bearer {world.bearer[actor]}"}
        json = body if method in ("POST", "PUT") else None
        return world.clients[actor].open(url, method=method, headers=headers, json=json)
    data = body if method != "GET" else None
    return world.clients[actor].open(url, method=method, data=data)


def _outcome(response: Any, changed: bool) -> str:
    location = response.headers.get("Location", "")
    signed_out = response.status_code == 401 or (
        response.status_code == 302 and location.startswith("/login")
    )
    answer = "login" if signed_out else str(response.status_code)
    return answer + ("+" if changed else "")


def _routes(app: Any) -> list[tuple[str, Any]]:
    return sorted(
        (
            (method, rule)
            for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
            if rule.endpoint != "static"
        ),
        key=lambda m_r: (m_r[1].endpoint, m_r[0], m_r[1].rule),
    )


def _sweep(world: World) -> dict[tuple[str, str | None, str], str]:
    """(route, state, actor) -> the answer, for every route, state and actor."""
    seen: dict[tuple[str, str | None, str], str] = {}
    routes = _routes(world.app)
    changes = Changes(world.app)
    for state in STATES:
        _post(world, state)
        for actor in ACTORS:
            _sign_in(world, actor)
        changes.reset()
        for method, rule in routes:
            about_a_post = _about_a_post(rule)
            if not about_a_post and state != STATES[0]:
                continue
            for actor in ACTORS:
                if method != "GET":
                    changes.before()
                response = _send(world, actor, method, rule)
                changed = method != "GET" and changes.after()
                key = _key(method, rule)
                seen[(key, state if about_a_post else None, actor)] = _outcome(response, changed)
                where = f"{key} as {actor} in {state}"
                assert response.status_code != 500, where
                if rule.endpoint != "sitefiles.serve":  # the public site shows what is live
                    page = response.get_data(as_text=True)
                    for owner in MUST_NOT_SEE.get(actor, ()):
                        assert SECRET[owner] not in page, f"{where}: {owner}'s post leaked"
                if changed:  # start again from a clean world: a fresh post, the same people
                    _restore_people(world)
                    owner = "author_rv" if actor == "author_rv" and about_a_post else "author"
                    world.posts[owner] = _one_post(world, owner, state)
                    _sign_in(world, actor)
                    changes.reset()
    changes.close()
    return seen


def _as_table(seen: dict[tuple[str, str | None, str], str], keys: list[str]) -> str:
    """What ``keys`` answered, as rows for TABLE (one per state; fold them when adding)."""
    lines = []
    for key in keys:
        for state in (None, *STATES):
            cells = [seen.get((key, state, actor)) for actor in ACTORS]
            if all(cells):
                scope = state or "-"
                lines.append(f"{key:48} {scope:13} " + " ".join(f"{c:6}" for c in cells))
    return "\n".join(lines)


def test_the_authorisation_table(make_app, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the authorisation table runs on SQLite only: the answers do not vary by it")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>Site</title>")
    world = World(app=make_app(WTF_CSRF_ENABLED=False, SITE_DIR=str(site)), site=site)
    _people(world)
    _post(world, "draft")
    _sign_in(world, "author")
    page = world.clients["author"].get(f"/posts/{world.posts['author']['post_id']}/edit")
    world.fields = form_fields(page.get_data(as_text=True))
    world.fields.pop("csrf_token", None)
    world.fields["title"] = "A ranking of my own"  # what an actor sends is no leak when echoed

    seen = _sweep(world)

    table = _parse(TABLE)
    routes = {key for key, _, _ in seen}
    missing = sorted(routes - set(table))
    assert not missing, (
        "routes with no row in TABLE: decide who may use them, then add their rows. "
        f"Today they answer:\n{_as_table(seen, missing)}"
    )
    gone = sorted(set(table) - routes)
    assert not gone, f"rows in TABLE for routes the app no longer has: {gone}"
    wrong = [
        f"{key} in {state or '-'} as {actor}: expected {expected}, got {got}"
        for (key, state, actor), got in sorted(seen.items(), key=str)
        if (expected := _expected(table, key, state, actor)) != got
    ]
    assert not wrong, "\n".join(wrong)
