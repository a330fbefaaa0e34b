"""The authorisation table's sweep: its people, a post by each author in a given state and
whatever the URLs point at, what each route is sent, and the answer each actor gets, for
every route, state and actor. Its table and the test are in tests/product/test_authorisation.py."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import sqlalchemy as sa

from editorial.domain import checklist
from editorial.domain.interchange import parse_post
from editorial.domain.workflow import PostState
from editorial.models import ApiToken, JobStatus, Post, Role, User, db
from editorial.operations import (
    accounts,
    comments,
    invitations,
    notifications,
    outbox,
    posts,
    preview_links,
    review,
    tokens,
)
from editorial.tasks import publishing as publisher
from tests.conftest import PASSWORD, sample
from tests.helpers.sweep import VOLATILE, url_for_rule

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

CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
SHORT_NAMES = {"post_id": "id"}  # to keep TABLE narrow


def _key(method: str, rule: Any) -> str:
    """``POST /posts/<id>/edit``: the rule without its converters, ``post_id`` as ``id``."""
    path = CONVERTER.sub(lambda m: f"<{SHORT_NAMES.get(m[1], m[1])}>", rule.rule)
    return f"{method} {path}"


# ---- the world: people, a post in a given state, and whatever the URLs point at ------------------


@dataclass
class World:
    app: Any
    site: Any
    users: dict[str, int] = field(default_factory=dict)
    bearer: dict[str, str] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # per owner
    fields: dict[str, str] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)
    slugs: Iterator[int] = field(default_factory=count)


def add_people(world: World) -> None:
    with world.app.app_context():
        for key, (email, roles) in PEOPLE.items():
            user = accounts.create_user(email, key.title(), PASSWORD, roles)
            db.session.flush()
            world.users[key] = user.id
        for actor in ACTORS[1:]:
            _, world.bearer[actor] = tokens.create_token(_user(world, actor), "agent")
        # The reviewers have been told of a post waiting, as after any submission: marking
        # their notifications read changes something.
        for actor in ("author_rv", "reviewer"):
            notifications.notify(_user(world, actor), "queue", "A post waits for review.")
        db.session.commit()


def _user(world: World, key: str) -> User:
    return db.session.get(User, world.users[key])


def add_posts(world: World, state: str) -> None:
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
        post = posts.create_post(parse_post(content), author)
        keys = {item.key for item in checklist.items(post.current_revision.content)}
        if state != "draft":
            posts.submit_for_review(post, author)
        if state == "in_review":  # the reviewer is on it: claimed, every box ticked
            review.claim(post, reviewer, 60)
            review.sign_off(post, reviewer, keys, post.current_revision.number)
        if state == "changes_requested":
            review.request_changes(post, decider, set(), "Say more.", 1)
        if state in ("approved", "published", "retracted"):
            review.approve(post, decider, review.checklist_keys(post), "Good.", 1)
            db.session.commit()
        if state in ("published", "retracted"):
            assert publisher.run(outbox.latest_job(post).id)
        if state == "retracted":
            job = outbox.request_retract(post, decider)
            db.session.commit()
            assert publisher.run(job.id)
        job = outbox.latest_job(post)
        if state == "approved":
            job.status = JobStatus.FAILED  # an approved post waits on its job: here, a failed one
        db.session.flush()
        comment = comments.add_comment(post, decider, "A question for the author.")
        link, _ = preview_links.create_link(post, post.current_revision.number, author)
        db.session.commit()
        assert db.session.get(Post, post.id).state == state
        made = {
            "post_id": post.id,
            "revision": post.current_revision.number,
            "slug": slug,
            "checklist": sorted(keys),
            "comment_id": comment.id,
            "job": job.id if job else 0,
            "link_id": link.id,
            "user_id": world.users["target"],
            "number": 1,
            "path": "index.html",
            "filename": "site.css",
        }
    return made | _unused(world)


def _unused(world: World) -> dict[str, Any]:
    """What the routes with no post use up: an invitation to accept, and a token to revoke (the
    author's: the same for everyone)."""
    with world.app.app_context():
        spare = db.session.get(ApiToken, world.posts.get("author", {}).get("token_id", 0))
        if spare is None or spare.revoked_at is not None:
            spare, _ = tokens.create_token(_user(world, "author"), "a token to revoke")
        email = f"new-{next(world.slugs)}@example.com"
        _, invitation = invitations.invite(email, [Role.WRITER], _user(world, "admin"))
        db.session.commit()
        return {"token": invitation, "token_id": spare.id}


def _ids(world: World, actor: str) -> dict[str, Any]:
    """What the actor is asked about: their own post for an author, else the author's."""
    return world.posts["author_rv" if actor == "author_rv" else "author"]


_EVENTS = (("INSERT", ""), ("DELETE", ""), ("UPDATE", "WHEN {differs}"))


class Changes:
    """Whether a request changed anything, and in which tables: triggers count, per table, the
    rows inserted, deleted or updated to other values (a column in VOLATILE aside: a token's
    last use is stamped by every API request, refused or not)."""

    def __init__(self, app: Any):
        self.watch = sqlite3.connect(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
        self._drop()  # a sweep that failed midway may have left them
        self.watch.execute("CREATE TABLE sweep_writes (name TEXT PRIMARY KEY, n INTEGER)")
        for table in db.metadata.sorted_tables:
            name = table.name
            self.watch.execute("INSERT INTO sweep_writes VALUES (?, 0)", (name,))
            # The models' own table names, no input: S608 does not apply.
            count = f"UPDATE sweep_writes SET n = n + 1 WHERE name = '{name}'"  # noqa: S608
            differs = " OR ".join(
                f'OLD."{c.name}" IS NOT NEW."{c.name}"'
                for c in table.columns
                if c.name not in VOLATILE
            )
            for event, when in _EVENTS:
                self.watch.execute(
                    f'CREATE TRIGGER "sweep_{event}_{name}" AFTER {event} ON "{name}" '
                    + when.format(differs=differs)
                    + f" BEGIN {count}; END"
                )
        self.watch.commit()
        self.reset()

    def _drop(self) -> None:
        """Take the triggers and their table away: the database outlives the test."""
        for table in db.metadata.sorted_tables:
            for event, _ in _EVENTS:
                self.watch.execute(f'DROP TRIGGER IF EXISTS "sweep_{event}_{table.name}"')
        self.watch.execute("DROP TABLE IF EXISTS sweep_writes")
        self.watch.commit()

    def _counts(self) -> dict[str, int]:
        return dict(self.watch.execute("SELECT name, n FROM sweep_writes").fetchall())

    def reset(self) -> None:
        self.counts = self._counts()

    def before(self) -> None:
        self.reset()  # written since (a rebuild, a fresh post)

    def after(self) -> set[str]:
        """The tables the request changed."""
        counts = self._counts()
        changed = {name for name, n in counts.items() if n != self.counts[name]}
        self.counts = counts
        return changed

    def close(self) -> None:
        self._drop()
        self.watch.close()


class Snapshot:
    """The world as the sweep of one state starts it (the database, with the triggers' counts,
    the site's files, and each actor's session cookie): a request that changed anything is
    undone by putting it all back, which costs a few milliseconds where making a fresh post (and
    publishing it) cost a tenth of a second. The ids come back with it, so ``world.posts``
    stays true, and so do the sessions the actors signed in with."""

    def __init__(self, world: World):
        self.world = world
        path = sa.make_url(world.app.config["SQLALCHEMY_DATABASE_URI"]).database
        self.live = sqlite3.connect(path)
        self.saved = sqlite3.connect(":memory:")
        self.live.backup(self.saved)
        self.site = world.site.with_name(world.site.name + "-saved")
        shutil.rmtree(self.site, ignore_errors=True)
        shutil.copytree(world.site, self.site)
        self.cookie_name = world.app.config["SESSION_COOKIE_NAME"]
        self.cookies = {
            actor: client.get_cookie(self.cookie_name) for actor, client in world.clients.items()
        }

    def restore(self) -> None:
        self.saved.backup(self.live)
        shutil.rmtree(self.world.site)
        shutil.copytree(self.site, self.world.site)
        for actor, cookie in self.cookies.items():
            client = self.world.app.test_client()
            if cookie is not None:
                client.set_cookie(self.cookie_name, cookie.value, domain=cookie.domain)
            self.world.clients[actor] = client

    def close(self) -> None:
        self.saved.close()
        self.live.close()
        shutil.rmtree(self.site, ignore_errors=True)


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
        "editor.weightings": fields,
        "history.restore": {"base_revision": str(ids["revision"])},
        "preview_links.create": {"revision": str(ids["revision"]), "days": "7"},
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


def sign_in(world: World, actor: str) -> None:
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


# ---- the sweep ---------------------------------------------------------------------------------


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


def route_keys(app: Any) -> set[str]:
    """Every route of the app as TABLE names it (``POST /posts/<id>/edit``)."""
    return {_key(method, rule) for method, rule in _routes(app)}


def sweep(world: World, states: tuple[str, ...] = STATES) -> dict[tuple[str, str | None, str], str]:
    """(route, state, actor) -> the answer, for every route and actor in each of ``states``
    (the routes with no post are asked in the first state of STATES only)."""
    seen: dict[tuple[str, str | None, str], str] = {}
    changes = Changes(world.app)
    try:
        for state in states:
            _sweep_state(world, state, changes, seen)
    finally:
        changes.close()
    return seen


def _sweep_state(
    world: World, state: str, changes: Changes, seen: dict[tuple[str, str | None, str], str]
) -> None:
    add_posts(world, state)
    for actor in ACTORS:
        sign_in(world, actor)
    changes.reset()
    snapshot = Snapshot(world)
    try:
        _ask_every_route(world, state, changes, snapshot, seen)
    finally:
        snapshot.close()


def _ask_every_route(
    world: World,
    state: str,
    changes: Changes,
    snapshot: Snapshot,
    seen: dict[tuple[str, str | None, str], str],
) -> None:
    for method, rule in _routes(world.app):
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
            if changed:  # start again from the world as it was
                snapshot.restore()
                changes.reset()
