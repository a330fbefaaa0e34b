"""The newsletter at size: one publish to N confirmed subscribers (10,000 by default).

    .venv/bin/python -m bench.newsletter_bench                        # SQLite, 10,000
    .venv/bin/python -m bench.newsletter_bench --subscribers 2000 \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/test   # a throwaway database

A fresh database is migrated and loaded with N confirmed subscribers (one INSERT, outside the
clock); a post is approved and its publish job run, which plans the mailing. Then the clock
runs over the newsletter task's own work (``tasks.newsletter.send_batches``: the delivery
rows, then every batch claimed, sent over one SMTP connection a batch, each delivery marked
and committed) until the last message has been handed to SMTP. The SMTP server is aiosmtpd
in this process, counting what it receives: it shares the CPU with the sender, so the figure
is on the pessimistic side. Peak memory is the process's maximum resident set, before and
after the send, and with --trace what tracemalloc saw the send allocate at most (tracemalloc
slows the send, so the time is then not the figure to quote).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import secrets
import socket
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


class Sink:
    """An aiosmtpd handler that only counts."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def _database(url: str | None, work: Path) -> tuple[str, Any]:
    if not url:
        return f"sqlite:///{work / 'bench.sqlite3'}", None
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"newsletter_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    bench_url = sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    return bench_url, (admin, name)


def _load(count: int) -> None:
    from editorial.models import Subscriber, db, utcnow

    now = utcnow()
    rows = []
    for n in range(count):
        salt = secrets.token_hex(16)
        rows.append(
            {
                "address": f"reader{n}@example.org",
                "status": "confirmed",
                "all_posts": True,
                "created_at": now,
                "confirmed_at": now,
                "manage_salt": salt,
                "manage_token_hash": hashlib.sha256(salt.encode()).hexdigest(),  # renewed on send
            }
        )
    db.session.execute(sa.insert(Subscriber), rows)
    db.session.commit()


def run(count: int, database: str | None, trace: bool = False) -> dict[str, Any]:
    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade

    from editorial import create_app
    from editorial.domain.interchange import parse_post
    from editorial.models import Mailing, Role, db
    from editorial.operations import accounts, newsletter, outbox, posts, review
    from editorial.tasks import newsletter as task
    from editorial.tasks import publishing as publisher

    work = Path(tempfile.mkdtemp(prefix="newsletter-bench-"))
    url, cleanup = _database(database, work)
    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "SITE_DIR": str(work / "site"),
            "SITE_URL": "https://rankings.example/",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "DESK_URL": "https://desk.rankings.example/",
        },
        instance_path=str(work / "instance"),
    )
    newsletter.queue_task = lambda *args: None  # the task is run below, in this process
    try:
        with app.app_context():
            upgrade()
            _load(count)
            writer = accounts.create_user(
                "w@example.com", "W", "a long bench password", [Role.WRITER]
            )
            checker = accounts.create_user(
                "r@example.com", "R", "a long bench password", [Role.REVIEWER]
            )
            data = json.loads(
                (ROOT / "editorial/samples/python-web-frameworks-2026.json").read_text()
            )
            post = posts.create_post(parse_post(data), writer)
            posts.submit_for_review(post, writer)
            review.approve(post, checker, review.checklist_keys(post), "Good.", 1, None)
            db.session.commit()
            assert publisher.run(outbox.latest_job(post).id)
            mailing_id = db.session.scalar(sa.select(Mailing.id))
            db.session.remove()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            if trace:  # slows Python down two- or threefold: off for the timing
                tracemalloc.start()
            start = time.perf_counter()
            sent = task.send_batches(mailing_id)
            seconds = time.perf_counter() - start
            _, traced_peak = tracemalloc.get_traced_memory() if trace else (0, 0)
            tracemalloc.stop()
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            db.session.remove()
            db.engine.dispose()
    finally:
        controller.stop()
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    assert sent == count == sink.count, (sent, count, sink.count)
    return {
        "database": sa.make_url(url).get_backend_name(),
        "subscribers": count,
        "seconds_to_last_message": round(seconds, 2),
        "messages_per_second": round(count / seconds, 1),
        "peak_rss_mb_before": round(rss_before / 1024, 1),
        "peak_rss_mb_after": round(rss_after / 1024, 1),
        "send_traced_peak_mb": round(traced_peak / 2**20, 1) if trace else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--database", help="a PostgreSQL server's URL (default: SQLite)")
    parser.add_argument("--trace", action="store_true", help="tracemalloc's peak of the send")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    print(json.dumps(run(args.subscribers, args.database, args.trace)))


if __name__ == "__main__":
    main()
