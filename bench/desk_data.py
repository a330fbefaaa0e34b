"""A desk at real size for bench/desk_bench.py, written straight into a PostgreSQL database.

Users (an admin, reviewers, writers of whom one owns ``writer_posts`` posts), ``posts`` posts
in every state (``in_review`` of them in the queue, some claimed), their revisions with stored
findings, audit events, publications, notifications and comments, and the pages' subjects: a
20-entry draft, a scored 50-entry, 20-criterion draft (weights, scores, evidence, pros and
cons, sponsored and affiliate links, overrides, the disclosure and a review-by day: every field
of the editor), a 20-entry post in review with comments and sign-offs, and a post with a long
history.

Rows go in with COPY and explicit ids, foreign-key triggers off for the load (the rows are
consistent by construction), then the sequences are moved past them and the tables analysed.
Content comes from bench/corpus.py's variants of the samples; Markdown is rendered with a
cache per text (most texts repeat across variants), and a post's older revisions, which differ
from its current one in the summary only, share its findings and rendering.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa

from bench.corpus import _samples, make_content, scored_sample
from editorial.domain import markdown
from editorial.domain import passwords as security
from editorial.domain.checklist import entry_key
from editorial.domain.checklist import items as checklist_items
from editorial.domain.interchange import RankingPost
from editorial.domain.rules import RULES_VERSION, Severity, check_post
from editorial.domain.tags import tag_slug
from editorial.domain.workflow import PostState

PASSWORD = "bench phrase 2026"  # noqa: S105 - the bench's own throwaway accounts
REVIEWER_EMAIL = "reviewer@bench.example"
WRITER_EMAIL = "busy-writer@bench.example"
WRITERS = 20
START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Desk:
    """What the benchmark drives: who signs in, and the ids of the pages' posts."""

    reviewer_email: str = REVIEWER_EMAIL
    writer_email: str = WRITER_EMAIL
    password: str = PASSWORD
    editor_post: int = 0  # 20 entries, a draft of the busy writer
    big_post: int = 0  # 50 entries x 20 criteria, scored, a draft of the busy writer
    review_post: int = 0  # 20 entries, in review, claimed by the reviewer, with comments
    history_post: int = 0  # the busy writer's, with many revisions
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Rows:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, **row: Any) -> int:
        if "id" not in row and table in _SERIAL:
            row["id"] = self.ids[table] = self.ids.get(table, 0) + 1
        self.tables.setdefault(table, []).append(row)
        return row.get("id", 0)


_SERIAL = {
    "user", "post", "revision", "audit_event", "notification", "comment", "publish_job",
    "publication",
}  # fmt: skip


def _big_content(i: int, entries: int, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """A post with ``entries`` entries: a sample's entries repeated under new names."""
    content = make_content(i, random.Random(i), samples)  # noqa: S311 - test data
    base = content["entries"]
    out = []
    for n in range(entries):
        entry = copy.deepcopy(base[n % len(base)])
        entry["rank"] = n + 1
        entry["name"] = f"{entry['name']} edition {n + 1}"
        entry["url"] = f"https://tool-{n + 1}.example.com/"
        out.append(entry)
    content["entries"] = out
    return content


CRITERIA = [
    "Performance", "Ecosystem maturity", "Ownership", "Documentation", "Security process",
    "Hosting options", "Learning curve", "Testing tools", "Async support", "ORM and migrations",
    "Admin interface", "Authentication", "Background jobs", "Templating", "Type checking",
    "Release cadence", "Community", "Hiring", "Licence", "Observability",
]  # fmt: skip


def scored_big_content(i: int, entries: int, criteria: int) -> dict[str, Any]:
    """A scored post of that size as a writer would leave it (the findings refresh's subject):
    the scored sample's text, a weight on every criterion, a score on every note (on the
    sample's 0-10 scale), evidence under a third of the notes, pros and cons on every entry,
    the entries ranked by their weighted totals but for two pairs swapped with an override
    note saying why, one affiliate and one sponsored link, the disclosure and a review-by
    day."""
    rng = random.Random(i)  # noqa: S311 - repeatable test data
    sample = scored_sample()
    content = make_content(i, rng, [sample])
    base = content["entries"]
    declared = content["criteria"]
    content["criteria"] = [
        {
            "name": CRITERIA[c] if c < len(CRITERIA) else f"Criterion {c + 1}",
            "description": declared[c % len(declared)]["description"],
            "weight": rng.randint(1, 10),
        }
        for c in range(criteria)
    ]
    weights = [c["weight"] for c in content["criteria"]]
    out = []
    for n in range(entries):
        entry = copy.deepcopy(base[n % len(base)])
        notes = entry["criteria"]
        entry["name"] = f"{entry['name']} edition {n + 1}"
        entry["url"] = f"https://framework-{n + 1}.example.com/"
        entry["criteria"] = []
        for c, criterion in enumerate(content["criteria"]):
            note = {
                "criterion": criterion["name"],
                "note": notes[c % len(notes)]["note"],
                "score": rng.randint(0, 20) / 2,
            }
            if rng.random() < 1 / 3:
                note["evidence"] = [f"https://bench.example.org/{n + 1}/{c + 1}/results"]
            entry["criteria"].append(note)
        out.append(entry)

    def total(entry: dict[str, Any]) -> float:
        return sum(w * note["score"] for w, note in zip(weights, entry["criteria"], strict=True))

    out.sort(key=total, reverse=True)
    for upper in (3, 17):  # the writer's own call: the one below goes first, and says why
        if upper + 1 < len(out):
            out[upper], out[upper + 1] = out[upper + 1], out[upper]
            out[upper]["override"] = (
                "Our readers run it in production today; the two totals are close and its "
                "upgrade story is the better one."
            )
    for rank, entry in enumerate(out, 1):
        entry["rank"] = rank
    out[1]["url"] += "?tag=honestrank-20"
    out[1]["link"] = "affiliate"
    if len(out) > 5:
        out[5]["link"] = "sponsored"
    content["entries"] = out
    content["disclosure"] += " Two entries' own links are affiliate or sponsored links."
    content["review_by"] = "2027-06-30"
    return content


@cache
def _render_text(text: str | None) -> str:
    return _plain_render(text)


_plain_render = markdown.render_markdown


def _derived(content: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rendering and the stored-findings values of ``content``."""
    markdown.render_markdown = _render_text  # type: ignore[assignment]
    try:
        rendered = markdown.render_content(content)
    finally:
        markdown.render_markdown = _plain_render  # type: ignore[assignment]
    found = check_post(RankingPost.model_validate(content))
    errors = sum(f.severity is Severity.ERROR for f in found)
    return rendered, {
        "rules_version": RULES_VERSION,
        "errors": errors,
        "warnings": len(found) - errors,
        "findings": [f.as_dict() for f in found],
    }


def _states(count: int, in_review: int) -> list[PostState]:
    """States for ``count`` posts: ``in_review`` in review, the rest mostly published."""
    rest = count - in_review
    shares = [
        (PostState.PUBLISHED, 0.62),
        (PostState.DRAFT, 0.25),
        (PostState.CHANGES_REQUESTED, 0.07),
        (PostState.APPROVED, 0.03),
    ]
    states = [PostState.IN_REVIEW] * in_review
    for state, share in shares:
        states += [state] * int(rest * share)
    states += [PostState.RETRACTED] * (count - len(states))
    return states


def build(url: str, posts: int, in_review: int, writer_posts: int, seed: int = 2026) -> Desk:
    """Fill the (migrated, empty) database at ``url``; returns what the benchmark needs."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    samples = _samples()
    rows = _Rows()
    desk = Desk()
    password_hash = security.hash_password(PASSWORD)

    def user(email: str, name: str, *roles: str) -> int:
        uid = rows.add(
            "user",
            email=email,
            display_name=name,
            password_hash=password_hash,
            active=True,
            session_token=uuid.uuid4().hex,
            created_at=START,
        )
        for role in roles:
            rows.add("user_role", user_id=uid, role=role)
        return uid

    user("admin@bench.example", "Bench Admin", "admin")
    reviewer = user(REVIEWER_EMAIL, "Rita Reviewer", "reviewer")
    other_reviewers = [
        user(f"reviewer-{n}@bench.example", f"Reviewer {n}", "reviewer") for n in (2, 3)
    ]
    busy = user(WRITER_EMAIL, "Busy Writer", "writer")
    writers = [busy] + [
        user(f"writer-{n}@bench.example", f"Writer {n}", "writer") for n in range(1, WRITERS)
    ]

    # Who writes what: the busy writer the first ``writer_posts``, the others the rest in turn.
    authors = [busy] * writer_posts + [
        writers[1 + n % (WRITERS - 1)] for n in range(posts - writer_posts)
    ]
    states = _states(posts, in_review)
    rng.shuffle(states)
    # The busy writer's own subjects must be editable drafts; the review subject someone else's.
    special = {0: ("editor", 20), 1: ("big", 50), 2: ("history", 0)}
    for n in special:
        states[n] = PostState.DRAFT
    review_at = next(n for n in range(writer_posts, posts) if states[n] is PostState.IN_REVIEW)

    site_seq = 0
    now = datetime.now(UTC)
    for n in range(posts):
        author, state = authors[n], states[n]
        kind, entries = special.get(n, ("", 0))
        if n == review_at:
            kind, entries = "review", 20
        if kind == "big":  # the findings refresh's subject
            content = scored_big_content(n + 1, entries, len(CRITERIA))
        elif entries:
            content = _big_content(n + 1, entries, samples)
        else:
            content = make_content(n + 1, rng, samples)
        rendered, findings = _derived(content)
        created = START + timedelta(minutes=97 * n)
        revisions = 60 if kind == "history" else 1 + n % 3
        post_id = rows.add("post", slug=content["slug"], state=state.value, author_id=author,
                           created_at=created, updated_at=created)  # fmt: skip
        rev_ids = []
        for number in range(1, revisions + 1):
            at = created + timedelta(hours=number)
            body = content if number == revisions else {
                **content, "summary": f"{content['summary']} (draft {number})"
            }  # fmt: skip
            rev = rows.add("revision", post_id=post_id, number=number, content=body,
                           rendered=rendered, created_by_id=author, created_at=at)  # fmt: skip
            rows.add("revision_findings", revision_id=rev, **findings)
            rows.add("audit_event", at=at, actor_id=author, post_id=post_id, revision_id=rev,
                     action="post.created" if number == 1 else "post.revised",
                     details={} if number == 1 else {"number": number})  # fmt: skip
            rev_ids.append(rev)
        current = rev_ids[-1]
        post = rows.tables["post"][-1]
        post["current_revision_id"] = current
        updated = created + timedelta(hours=revisions + 1)
        post["updated_at"] = updated

        def event(action: str, actor: int, at: datetime, **details: Any) -> None:
            rows.add("audit_event", at=at, actor_id=actor, post_id=post_id,  # noqa: B023
                     revision_id=current, action=action, details=details)  # noqa: B023 # fmt: skip

        if state is not PostState.DRAFT:
            event("post.submit", author, updated, **{"from": "draft", "to": "in_review"})
        decider = other_reviewers[n % 2] if n % 3 else reviewer
        if state in (PostState.APPROVED, PostState.PUBLISHED, PostState.RETRACTED):
            event("post.approve", decider, updated + timedelta(hours=1), comment="")
            post["approved_revision_id"] = current
            rows.add("notification", user_id=author, post_id=post_id, kind="approved",
                     message=f"Approved: {content['title']}", created_at=updated,
                     read_at=updated + timedelta(days=1))  # fmt: skip
        if state is PostState.CHANGES_REQUESTED:
            event(
                "post.request_changes",
                decider,
                updated + timedelta(hours=1),
                comment="More sources.",
            )
            rows.add("notification", user_id=author, post_id=post_id, kind="changes_requested",
                     message=f"Changes asked: {content['title']}", created_at=updated)  # fmt: skip
        if state in (PostState.PUBLISHED, PostState.RETRACTED):
            site_seq += 1
            at = updated + timedelta(hours=2)
            job = rows.add("publish_job", post_id=post_id, action="publish", revision_id=current,
                           status="done", attempts=1, not_before=at, created_by_id=decider,
                           created_at=at, updated_at=at, finished_at=at)  # fmt: skip
            rows.add(
                "publication", post_id=post_id, revision_id=current, published_at=at, job_id=job
            )
            event("post.publish", decider, at)
            post.update(published_revision_id=current, published_at=at, site_seq=site_seq,
                        public_slug=content["slug"],
                        feed_id=f"urn:uuid:{uuid.uuid4()}")  # fmt: skip
            if state is PostState.PUBLISHED:
                for tag in {tag_slug(t): t for t in content["tags"]}.items():
                    rows.add(
                        "post_tag", post_id=post_id, slug=tag[0], name=tag[1], site_seq=site_seq
                    )
            else:
                event("post.retract", decider, at + timedelta(days=2))
        if state is not PostState.DRAFT:
            # Every reviewer heard of each submission; they have read most of that by now.
            unread = state is PostState.IN_REVIEW and n % 10 == 0
            for r in [reviewer, *other_reviewers]:
                rows.add("notification", user_id=r, post_id=post_id, kind="queue",
                         message=f"New in the review queue: “{content['title']}”.",
                         created_at=updated, read_at=None if unread else updated)  # fmt: skip
        if state is PostState.IN_REVIEW:
            if n % 5 == 0 or kind == "review":  # a fifth are claimed, for an hour from now
                holder = reviewer if n % 2 == 0 or kind == "review" else other_reviewers[0]
                rows.add("review_claim", post_id=post_id, reviewer_id=holder, claimed_at=now,
                         expires_at=now + timedelta(hours=1))  # fmt: skip
                event("post.claimed", holder, updated + timedelta(minutes=5))
        if kind == "history":
            for k in range(120):  # a long life: claims, comments, decisions back and forth
                event(["comment.added", "post.claimed", "post.released"][k % 3], reviewer,
                      updated + timedelta(minutes=k))  # fmt: skip
        if kind == "review":
            _review_extras(rows, post_id, current, content, reviewer, author, updated)
        if kind:
            setattr(desk, {"editor": "editor_post", "big": "big_post", "review": "review_post",
                           "history": "history_post"}[kind], post_id)  # fmt: skip
    desk.counts = {name: len(table) for name, table in rows.tables.items()}
    _load(url, rows)
    return desk


def _review_extras(
    rows: _Rows, post_id: int, revision: int, content: dict[str, Any], reviewer: int,
    author: int, at: datetime,
) -> None:  # fmt: skip
    """The review page's subject: comments with replies, and half the checklist ticked."""
    for k, entry in enumerate(content["entries"][:6]):
        about = {"post_id": post_id, "revision_id": revision, "entry_name": entry["name"],
                 "entry_key": entry_key(entry["name"])}  # fmt: skip
        parent = rows.add("comment", **about, author_id=reviewer,
                          body=f"Is the verdict on {entry['name']} still true? A source, please.",
                          created_at=at + timedelta(minutes=k))  # fmt: skip
        rows.add("comment", **about, parent_id=parent, author_id=author,
                 body="Added the changelog link.",
                 created_at=at + timedelta(minutes=k + 30))  # fmt: skip
    for k, item in enumerate(checklist_items(content)):
        if k % 2 == 0:
            rows.add("signoff", post_id=post_id, reviewer_id=reviewer, item=item.key,
                     fingerprint=item.fingerprint, revision_id=revision, signed_at=at)  # fmt: skip


# Parents before children (the foreign keys are not checked during the load, but the order
# keeps the load readable and valid if they were).
_ORDER = [
    "user", "user_role", "post", "revision", "revision_findings", "publish_job", "publication",
    "post_tag", "audit_event", "notification", "review_claim", "comment", "signoff",
]  # fmt: skip


def _copy(cursor: Any, table: str, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    columns = sorted({c for row in rows for c in row})
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy_:
        for row in rows:
            copy_.write_row([_value(row.get(c)) for c in columns])


def _value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _load(url: str, rows: _Rows) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cursor:
                # Foreign-key triggers (and revision's immutability trigger) off for this load.
                cursor.execute("SET LOCAL session_replication_role = replica")
                for table in _ORDER:
                    if rows.tables.get(table):
                        _copy(cursor, table, rows.tables[table])
                for table in _SERIAL:  # our own table names
                    sequence = f"pg_get_serial_sequence('\"{table}\"', 'id')"
                    top = f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"'  # noqa: S608
                    cursor.execute(f"SELECT setval({sequence}, ({top}), false)")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()
