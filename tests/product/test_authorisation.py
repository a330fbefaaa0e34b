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

The world the sweep runs in (who is who, a post by each author in each state) and what each
route is sent are in tests/helpers/authorisation.py.

SQLite only: who may do what is decided in Python, not by the database, and CI stays fast
(the operations behind each route run on PostgreSQL in their own tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.helpers.authorisation import (
    ACTORS,
    STATES,
    World,
    add_people,
    add_posts,
    route_keys,
    sign_in,
    sweep,
)
from tests.helpers.desk import form_fields

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

# People and the audit log: admins only.
GET /admin/audit                             -             login  403    403    403    403    200
GET /admin/people                            -             login  403    403    403    403    200
POST /admin/people/invite                    -             login  403    403    403    403    200+
POST /admin/people/<user_id>/roles           -             login  403    403    403    403    302+
POST /admin/people/<user_id>/active          -             login  403    403    403    403    302+

# Writing: writers only, and only its author touches a post. A post in review is read-only
# to its author until withdrawn (409); editing an approved or live post starts a new draft.
GET /posts/new                               -             login  200    200    200    403    403
POST /posts/new                              -             login  302+   302+   302+   403    403
POST /posts/new/autosave                     -             login  200+   200+   200+   403    403
GET /posts/import                            -             login  200    200    200    403    403
POST /posts/import                           -             login  422    422    422    403    403
POST /posts/check                            -             login  200    200    200    403    403
POST /posts/preview                          -             login  200    200    200    403    403
POST /posts/rows                             -             login  200    200    200    403    403
POST /posts/weightings                       -             login  200    200    200    403    403
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
# A live post with no unpublished changes goes back to review as it is (issue 18, point 8).
POST /posts/<id>/rereview                    live          login  302+   302+   403    403    403
POST /posts/<id>/rereview                    *             login  302    302    403    403    403

# A post's history and status: its author, reviewers and admins; never another writer.
GET /posts/<id>/history                      *             login  200    200    403    200    200
GET /posts/<id>/diff                         *             login  200    200    403    200    200
GET /posts/<id>/revisions/<number>           *             login  200    200    403    200    200
GET /posts/<id>/revisions/<number>/preview   *             login  200    200    403    200    200
GET /posts/<id>/revisions/<number>/export    *             login  200    200    403    200    200
GET /posts/<id>/publishing                   *             login  200    200    403    200    200

# Shared previews: who may read the post makes and revokes links to its revisions; the link
# itself is its own credential (here an unknown token: 404 for everyone).
GET /posts/<id>/previews                     *             login  200    200    403    200    200
POST /posts/<id>/previews                    *             login  200+   200+   403    200+   200+
POST /posts/<id>/previews/<link_id>/revoke   *             login  302+   302+   403    302+   302+
GET /preview/<token>                         -             404    404    404    404    404    404

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

# Readers' subscriptions: anyone, signed in or not (an empty form is refused; the tokens here
# are no subscriber's: 410 for a confirmation, 404 for a manage link). Subscriber data is on
# no page but the reader's own manage page.
GET /subscribe                               -             200    200    200    200    200    200
POST /subscribe                              -             422    422    422    422    422    422
GET /subscribe/confirm/<token>               -             200    200    200    200    200    200
POST /subscribe/confirm/<token>              -             410    410    410    410    410    410
GET /subscription/<token>                    -             404    404    404    404    404    404
POST /subscription/<token>                   -             404    404    404    404    404    404
GET /subscription/<token>/unsubscribe        -             404    404    404    404    404    404
POST /subscription/<token>/unsubscribe       -             404    404    404    404    404    404
# The Subscribers page and its export: admins only (removing no one: 404).
GET /admin/subscribers                       -             login  403    403    403    403    200
POST /admin/subscribers/remove               -             login  403    403    403    403    404
GET /admin/subscribers.csv                   -             login  403    403    403    403    200

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
# A live post may go back to review as it is (a re-review; issue 18, point 8).
POST /api/v1/posts/<id>/submit               draft,changes,live login 200+ 200+ 403 403 403
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


SHORT = {"review": "in_review", "changes": "changes_requested", "live": "published"}  # narrow


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


def _expected(rows: dict[str, list[Row]], key: str, state: str | None, actor: str) -> str | None:
    for row in rows.get(key, []):
        if row.states is None or state in row.states:
            return row.cells[actor]
    return None


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


# One test per post state, so that the states are swept side by side (the routes with no post
# are asked in the first); every route the app has is in one of them.
# SQLite only: the answers do not vary by backend, and the sweep watches writes with SQLite's
# triggers and undoes them with its backup API.
@pytest.mark.sqlite_only("the answers do not vary by it")
@pytest.mark.parametrize("state", STATES)
def test_the_authorisation_table(make_app, tmp_path, backend, state):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>Site</title>")
    world = World(app=make_app(WTF_CSRF_ENABLED=False, SITE_DIR=str(site)), site=site)
    add_people(world)
    add_posts(world, "draft")
    sign_in(world, "author")
    page = world.clients["author"].get(f"/posts/{world.posts['author']['post_id']}/edit")
    world.fields = form_fields(page.get_data(as_text=True))
    world.fields.pop("csrf_token", None)
    world.fields["title"] = "A ranking of my own"  # what an actor sends is no leak when echoed

    seen = sweep(world, (state,))

    table = _parse(TABLE)
    routes = {key for key, _, _ in seen}
    missing = sorted(routes - set(table))
    assert not missing, (
        "routes with no row in TABLE: decide who may use them, then add their rows. "
        f"Today they answer:\n{_as_table(seen, missing)}"
    )
    gone = sorted(set(table) - route_keys(world.app))
    assert not gone, f"rows in TABLE for routes the app no longer has: {gone}"
    wrong = [
        f"{key} in {state or '-'} as {actor}: expected {expected}, got {got}"
        for (key, state, actor), got in sorted(seen.items(), key=str)
        if (expected := _expected(table, key, state, actor)) != got
    ]
    assert not wrong, "\n".join(wrong)
