"""Realistic ranking posts for the benchmarks, written straight into a database.

Posts are built from the samples in ``editorial/samples`` with their names, titles, tags and
prose varied per post; the Markdown of each variant is rendered once and reused (what the
publisher reads is the stored rendering, exactly as in production).
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import sqlalchemy as sa

from editorial.domain.markdown import render_content
from editorial.domain.tags import tag_slug
from editorial.domain.workflow import PostState
from editorial.models import Post, PostTag, Publication, Revision, Role, db
from editorial.operations import accounts

SAMPLES = ["python-web-frameworks-2026", "static-site-generators-2026", "password-managers-2026"]
TOPICS = [
    "databases", "web frameworks", "password managers", "note-taking apps", "text editors",
    "static site generators", "task runners", "message queues", "monitoring tools", "CI services",
    "laptops", "keyboards", "backup tools", "VPN services", "browsers", "terminal emulators",
]  # fmt: skip
WORDS = "fast solid honest careful simple mature modern quiet small large open steady".split()


def _samples() -> list[dict[str, Any]]:
    folder = resources.files("editorial") / "samples"
    return [json.loads((folder / f"{name}.json").read_text()) for name in SAMPLES]


def make_content(i: int, rng: random.Random, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Post number ``i``: a sample with its names, title, tags and some prose changed."""
    content = copy.deepcopy(samples[i % len(samples)])
    topic = TOPICS[i % len(TOPICS)]
    content["title"] = f"The best {topic} in 2026, ranked (#{i})"
    content["slug"] = f"best-{tag_slug(topic)}-2026-{i}"
    content["summary"] = (
        f"{rng.choice(WORDS).title()} picks among {topic}, post {i}. " + content["summary"]
    )
    for entry in content["entries"]:
        entry["name"] = f"{entry['name']} {i}"
        entry["verdict"] += f" Checked again for post {i}: still {rng.choice(WORDS)}."
    content["tags"] = [topic, rng.choice(TOPICS), "2026"]
    return content


SCORED_SAMPLE = "backend-frameworks-2026"


def scored_sample() -> dict[str, Any]:
    """The sample with weights, scores on a scale, pros and cons, evidence and a disclosure."""
    folder = resources.files("editorial") / "samples"
    return json.loads((folder / f"{SCORED_SAMPLE}.json").read_text())


def make_scored_content(i: int, rng: random.Random, sample: dict[str, Any]) -> dict[str, Any]:
    """Scored post number ``i``: the scored sample with its names, title and tags changed, each
    score moved by up to a point (so no two posts pose the same linear programmes: a worker
    solves every post's anew) and the entries ranked by their weighted totals, as the rules
    want. One entry's address is an affiliate link, marked as such, beside the affiliate link
    the sample's introduction already has; the disclosure names both."""
    content = make_content(i, rng, [sample])
    content["title"] = f"The best backend frameworks in 2026, weighted (#{i})"
    content["slug"] = f"best-backend-frameworks-2026-{i}"
    low, high = content["scale"]["min"], content["scale"]["max"]
    weights = {c["name"]: c["weight"] for c in content["criteria"]}
    for entry in content["entries"]:
        for note in entry["criteria"]:
            note["score"] = min(high, max(low, note["score"] + rng.choice((-1, 0, 0, 1))))
    totals = {
        entry["name"]: sum(weights[n["criterion"]] * n["score"] for n in entry["criteria"])
        for entry in content["entries"]
    }
    content["entries"].sort(key=lambda entry: -totals[entry["name"]])
    for rank, entry in enumerate(content["entries"], 1):
        entry["rank"] = rank
    paid = content["entries"][-1]
    paid["url"] = f"{paid['url'].rstrip('/')}/?tag=honestrank-20"
    paid["link"] = "affiliate"
    content["disclosure"] += f" The link to {paid['name']} is an affiliate link too."
    content["review_by"] = "2027-06-30"
    return content


def _rendering(sample: dict[str, Any]) -> dict[str, Any]:
    """The rendered Markdown of a sample whose verdicts end as ``make_content`` ends them, with
    stand-ins for the post number and each entry's word (the only Markdown that varies)."""
    content = copy.deepcopy(sample)
    for k, entry in enumerate(content["entries"]):
        entry["verdict"] += f" Checked again for post {_NUMBER}: still {_WORD}{k}x."
    return render_content(content)


_NUMBER, _WORD = "zqnumberzq", "zqwordzq"


def rendered_for(
    i: int, content: dict[str, Any], renderings: list[dict[str, Any]]
) -> dict[str, Any]:
    """What ``render_content(content)`` gives for post ``i``, from its sample's rendering."""
    rendering = renderings[i % len(renderings)]
    entries = []
    for k, (entry, done) in enumerate(zip(content["entries"], rendering["entries"], strict=True)):
        word = entry["verdict"].rsplit(" still ", 1)[1][:-1]
        verdict = done["verdict"].replace(_NUMBER, str(i)).replace(f"{_WORD}{k}x", word)
        entries.append({**done, "verdict": verdict})
    return {**rendering, "entries": entries}


def populate(count: int, seed: int = 2026, batch: int = 1000) -> None:
    """Create ``count`` published posts (and their author) in the app's database.

    Rows go in by the thousand (Core executemany), as a migration would load them: 100,000
    posts take minutes, not hours. Each post is one revision, published once, with its tags.
    """
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    samples = _samples()
    renderings = [_rendering(sample) for sample in samples]
    writer = accounts.create_user(
        f"bench-{uuid.uuid4().hex[:8]}@example.com",
        "Bench Writer",
        "bench phrase 2026",
        [Role.WRITER],
    )
    db.session.flush()
    writer_id = writer.id
    start = datetime(2024, 1, 1, tzinfo=UTC)
    base_seq = db.session.scalar(sa.select(sa.func.max(Post.site_seq))) or 0
    for first in range(0, count, batch):
        numbers = range(base_seq + first + 1, base_seq + min(first + batch, count) + 1)
        contents = [make_content(n, rng, samples) for n in numbers]
        if first == 0:  # the shortcut renders exactly what rendering each post would
            for n, content in list(zip(numbers, contents, strict=True))[:3]:
                if rendered_for(n, content, renderings) != render_content(content):
                    raise RuntimeError("bench.corpus: the rendering shortcut no longer holds")
        whens = [start + timedelta(hours=n - base_seq - 1) for n in numbers]
        post_ids = _insert(
            Post,
            [
                {"slug": c["slug"], "author_id": writer_id, "state": PostState.DRAFT,
                 "created_at": when, "updated_at": when}
                for c, when in zip(contents, whens, strict=True)
            ],
        )  # fmt: skip
        revision_ids = _insert(
            Revision,
            [
                {"post_id": post_id, "number": 1, "content": c,
                 "rendered": rendered_for(n, c, renderings), "created_by_id": writer_id,
                 "created_at": when}
                for post_id, n, c, when in zip(post_ids, numbers, contents, whens, strict=True)
            ],
        )  # fmt: skip
        table = Post.__table__
        db.session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("post_id"))
            .values(
                current_revision_id=sa.bindparam("revision_id"),
                approved_revision_id=sa.bindparam("revision_id"),
                published_revision_id=sa.bindparam("revision_id"),
                state=PostState.PUBLISHED,
                published_at=sa.bindparam("when"),
                site_seq=sa.bindparam("seq"),
                public_slug=sa.bindparam("public_slug"),
                feed_id=sa.bindparam("feed_id"),
            ),
            [
                {"post_id": post_id, "revision_id": revision_id, "when": when, "seq": n,
                 "public_slug": c["slug"], "feed_id": f"urn:uuid:{uuid.uuid4()}"}
                for post_id, revision_id, n, c, when
                in zip(post_ids, revision_ids, numbers, contents, whens, strict=True)
            ],
        )  # fmt: skip
        db.session.execute(
            sa.insert(Publication),
            [
                {"post_id": post_id, "revision_id": revision_id, "published_at": when}
                for post_id, revision_id, when in zip(post_ids, revision_ids, whens, strict=True)
            ],
        )  # fmt: skip
        db.session.execute(
            sa.insert(PostTag),
            [
                {"post_id": post_id, "slug": slug, "name": name, "site_seq": n}
                for post_id, n, c in zip(post_ids, numbers, contents, strict=True)
                for slug, name in {tag_slug(t): t for t in c["tags"]}.items()
            ],
        )
        db.session.commit()


def _insert(model: type[db.Model], rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in one executemany; their new ids, in order."""
    table = model.__table__
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(db.session.execute(statement, rows).scalars())
