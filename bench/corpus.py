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


def populate(count: int, seed: int = 2026) -> None:
    """Create ``count`` published posts (and their authors) in the app's database."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    samples = _samples()
    writer = accounts.create_user(
        f"bench-{uuid.uuid4().hex[:8]}@example.com",
        "Bench Writer",
        "bench phrase 2026",
        [Role.WRITER],
    )
    db.session.flush()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    base_seq = db.session.scalar(sa.select(sa.func.max(Post.site_seq))) or 0
    for i in range(count):
        content = make_content(base_seq + i + 1, rng, samples)
        when = start + timedelta(hours=i)
        post = Post(
            slug=content["slug"],
            author=writer,
            state=PostState.DRAFT,
            created_at=when,
            updated_at=when,
        )
        db.session.add(post)
        db.session.flush()
        revision = Revision(
            post=post,
            number=1,
            content=content,
            rendered=render_content(content),
            created_by_id=writer.id,
            created_at=when,
        )
        db.session.add(revision)
        db.session.flush()
        post.current_revision = revision
        post.approved_revision = revision
        post.published_revision = revision
        db.session.flush()
        post.state = PostState.PUBLISHED
        post.published_at = when
        post.site_seq = base_seq + i + 1
        post.public_slug = content["slug"]
        post.feed_id = f"urn:uuid:{uuid.uuid4()}"
        db.session.add(Publication(post_id=post.id, revision_id=revision.id, published_at=when))
        for tag in content["tags"]:
            db.session.merge(
                PostTag(post_id=post.id, slug=tag_slug(tag), name=tag, site_seq=post.site_seq)
            )
        if i % 500 == 499:
            db.session.commit()
            db.session.expunge_all()
            writer = db.session.merge(writer)
    db.session.commit()
