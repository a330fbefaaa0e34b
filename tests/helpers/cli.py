"""The `editorial` command line in tests: sample files, writing a file, counting rows, and
running a command the way the tests read its result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from editorial.domain.interchange import parse_post
from editorial.models import AuditEvent, Post, Revision, db
from tests.conftest import SAMPLES, sample

GOOD = SAMPLES / "python-web-frameworks-2026.json"
OTHER = SAMPLES / "password-managers-2026.json"


def write_file(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def count_rows(model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def import_counts() -> tuple[int, int, int]:
    """Posts, revisions and audit events: what an import writes."""
    return count_rows(Post), count_rows(Revision), count_rows(AuditEvent)


def content_without_slug(data: Any) -> dict[str, Any]:
    content = parse_post(data).content()
    del content["slug"]
    return content


def without_pick_else() -> dict[str, Any]:
    data = sample()
    data["entries"][2]["pick_else"] = ""
    return data


def invoke(runner: Any, args: list[str], **kwargs: Any) -> Any:
    """Run a command, then drop whatever it left uncommitted: tests see what it committed."""
    result = runner.invoke(args=args, **kwargs)
    db.session.rollback()
    return result


def users_command(*args: str) -> list[str]:
    return ["users", *args]
