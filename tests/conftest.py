"""Fixtures: an app on each database backend, migrated once per run, cleaned after each test.

Databases are picked with ``--db`` (default: sqlite and postgres). PostgreSQL tests run
in a throwaway database created for this run. Under ``CI=true`` a missing PostgreSQL or
Redis fails the run; on a laptop the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import copy
import functools
import gc
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import g
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy.dialects import postgresql

from editorial import create_app
from editorial.config import broker_settings
from editorial.domain import passwords as security
from editorial.domain.interchange import parse_post
from editorial.models import Role, User, db
from editorial.operations import accounts, posts
from editorial.tasks import publishing as publisher

SAMPLES = Path(__file__).resolve().parent.parent / "editorial" / "samples"
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "correct horse battery staple"
SITE_URL = "https://example.org/site/"  # the publisher tests' site (``app``, ``desk_for``)


def pytest_configure(config: pytest.Config) -> None:
    # The collector runs far less often: each test makes an app, requests and sessions by the
    # thousand objects, and at Python's default threshold (700) the collector's passes over
    # them took some 15-20 % of the suite's CPU. Cycles are still collected. What is imported
    # by now (Flask, SQLAlchemy, the app) is left out of its passes for good.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    config.addinivalue_line("markers", "csrf: the app fixture has CSRF on, as in production")
    config.addinivalue_line(
        "markers",
        "publisher: the app fixture publishes to the site fixture's folder, at SITE_URL, "
        "through a private embedded queue",
    )
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): the tests run on SQLite alone, and are not made for another "
        "backend (the reason says why their answers do not vary by it)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests (those that start processes or drive a browser) first: with several
    test processes, one started last would run alone at the end while the others sit idle.
    The tests with no database come first of all (pytest put them last, and among them the
    console script's and the worker's, which start processes); then each backend's, apart and
    in pytest's order (each has its database), its longest first."""
    first_seen: dict[str, int] = {}
    for item in items:
        first_seen.setdefault(_backend(item), len(first_seen))
    items.sort(key=lambda item: (_backend(item) != "", first_seen[_backend(item)], not _long(item)))


def _backend(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return str(callspec.params.get("backend", "")) if callspec else ""


def _long(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return item.get_closest_marker("slow") is not None or "live_server" in fixtures


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", default="sqlite,postgres", help="comma-separated database backends to test"
    )


def need_service(name: str, reason: str) -> None:
    """Fail under CI, skip on a laptop: a missing service must never pass silently in CI."""
    message = f"{name} is not available: {reason}"
    if IN_CI:
        pytest.fail(message + " (CI=true: services are required)")
    pytest.skip(message)


def _reachable(url: str, default_port: int) -> str | None:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return None
    except OSError as exc:
        return str(exc)


# Argon2's cheapest settings: a real hash of the real kind, without the 0.2 s of CPU each
# hash and each sign-in costs at the production settings (the suite makes thousands).
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """In this process, passwords are hashed cheaply, unless the test is marked
    ``real_password_hashing`` (processes the tests start hash as in production)."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        monkeypatch.setattr(security, "_hasher", lambda: _CHEAP_HASHER)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = [b.strip() for b in metafunc.config.getoption("--db").split(",") if b.strip()]
        if metafunc.definition.get_closest_marker("sqlite_only"):
            backends = [b for b in backends if b == "sqlite"]
        elif "browser" in metafunc.fixturenames and metafunc.module.__name__.startswith(
            "tests.product."
        ):
            # A browser test checks what a person sees and does; every operation it drives is
            # tested on each backend beneath it. It runs on the first backend asked for: by
            # default SQLite, the embedded default a new user opens first.
            backends = backends[:1]
        elif metafunc.module.__name__.startswith("tests.web.") and not _lists(metafunc.module):
            # A view's answer (its page, form, redirect or refusal) does not depend on the
            # database: it is checked on the first backend asked for. Each backend runs what
            # the answer is made of: the operations beneath (tests/operations, api, tasks,
            # site), the lists' queries (the modules of _lists), and every route's answer to
            # hostile input (tests/product/test_bad_input.py, test_security_input.py).
            backends = backends[:1]
        metafunc.parametrize("backend", backends, scope="session")


# The view tests of the desk's lists (their filters, orders, pages and query counts): they run
# on each backend, as each database sorts, compares and pages in its own way.
LIST_MODULES = {
    "test_desk",
    "test_desk_rows",
    "test_due_for_review",
    "test_audit_log",
    "test_review_queue",
    "test_subscribers",
    "test_notifications",
}


def _lists(module: Any) -> bool:
    name = module.__name__.rsplit(".", 1)[-1]
    return name.endswith("_scale") or name in LIST_MODULES


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database for this run on ``backend``."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
        _migrate(url, tmp_path_factory)
        yield url
        return
    if backend != "postgres":
        raise pytest.UsageError(f"unknown --db backend {backend!r}")
    if problem := _reachable(POSTGRES_URL, 5432):
        need_service("PostgreSQL", f"{POSTGRES_URL}: {problem}")
    name = f"editorial_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = str(sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    try:
        _migrate(url, tmp_path_factory)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    from flask_migrate import upgrade

    app = create_app(_config(url), instance_path=str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _config(url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": f"editorial-test-{uuid.uuid4().hex}",
    }


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once per test process, not once per app: each app has a Jinja
    environment of its own, which compiles every template it renders on first use (the
    editor's alone takes some 0.3 s), and the suite makes an app per test. Every app is made
    by create_app, with the same Jinja options; a template whose source changed is compiled
    again (the bucket checks its checksum)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """A factory for apps on the test database; tables are emptied after the test."""
    apps = []

    def factory(**overrides: Any) -> Any:
        app = create_app(
            {**_config(database_url), **overrides}, instance_path=str(tmp_path / "instance")
        )
        app.jinja_env.bytecode_cache = _COMPILED_TEMPLATES
        apps.append(app)
        return app

    yield factory
    if apps:
        with apps[0].app_context():
            db.session.remove()
            _empty_tables()
        for app in apps:
            with app.app_context():
                db.engine.dispose()


def _empty_tables() -> None:
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(_postgres_emptying())
            conn.commit()
            return
        # Posts and revisions point at each other: check the foreign keys at commit only.
        conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.commit()


@functools.cache
def _postgres_emptying() -> str:
    """What empties every table on PostgreSQL, in one round trip: each table's rows deleted,
    the tables that point at them first, and every sequence started again (ids from 1, as in
    a new database). DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE makes new
    files for every table and index (some 0.15 s a test, a third of the test's time). Posts
    and their revisions point at each other: a post's pointers are cleared first."""
    post = db.metadata.tables["post"]
    pointers = {
        fk.parent.name: None
        for fk in post.foreign_keys
        if fk.column.table.name == "revision" and fk.parent.nullable
    }
    statements = [post.update().values(state="draft", **pointers)]
    statements += [table.delete() for table in reversed(db.metadata.sorted_tables)]
    literal = {"literal_binds": True}
    dialect = postgresql.dialect()
    sql = [str(s.compile(dialect=dialect, compile_kwargs=literal)) for s in statements]
    sql.append(
        "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, "
        "1, false) "
        "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
    )
    return ";\n".join(sql)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The folder the publisher's app writes the public site to."""
    return tmp_path / "site"


@pytest.fixture
def app(
    request: pytest.FixtureRequest, make_app: Callable[..., Any], site: Path, tmp_path: Path
) -> Iterator[Any]:
    """An app inside an app context, with CSRF off; as the test's module is marked:

    - ``csrf``: CSRF on, as in production;
    - ``publisher``: the site written to ``site``, at SITE_URL, and jobs sent to a private
      embedded queue (under ``tmp_path / "broker-instance"``).
    """
    if request.node.get_closest_marker("csrf"):
        application = make_app()
        # The test holds an app context for its database work, and the test client reuses it
        # for each request: start every request with an empty ``g``, as a server would, so that
        # the signed-in user and the CSRF token of one client never leak into another's request.
        application.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    elif request.node.get_closest_marker("publisher"):
        broker = broker_settings(None, tmp_path / "broker-instance")
        application = make_app(
            WTF_CSRF_ENABLED=False, SITE_DIR=str(site), SITE_URL=SITE_URL, CELERY=broker
        )
    else:
        application = make_app(WTF_CSRF_ENABLED=False)
    with application.app_context():
        yield application
        db.session.rollback()


def _fresh_g() -> None:
    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def create_user(app: Any) -> Callable[..., User]:
    """Create and commit a user: ``create_user("w@x.org", Role.WRITER)``."""

    def factory(
        email: str = "writer@example.com",
        *roles: Role,
        name: str | None = None,
        password: str = PASSWORD,
    ) -> User:
        user = accounts.create_user(
            email, name or email.split("@")[0].title(), password, roles or (Role.WRITER,)
        )
        db.session.commit()
        return user

    return factory


def sample(name: str = "python-web-frameworks-2026") -> dict[str, Any]:
    """A copy of a sample post as interchange data."""
    return json.loads((SAMPLES / f"{name}.json").read_text())


@pytest.fixture
def create_post(app: Any) -> Callable[..., Any]:
    """Create and commit a draft post from interchange data (a complete sample by default)."""

    def factory(author: User, data: dict[str, Any] | None = None, **changes: Any) -> Any:
        content = copy.deepcopy(data) if data is not None else sample()
        content.update(changes)
        post = posts.create_post(parse_post(content), author)
        db.session.commit()
        return post

    return factory


@pytest.fixture
def writer(create_user: Callable[..., User]) -> User:
    return create_user("writer@example.com", name="Wren Writer")


@pytest.fixture
def reviewer(create_user: Callable[..., User]) -> User:
    return create_user("rev@example.com", Role.REVIEWER)


@pytest.fixture
def post(writer: User, create_post: Callable[..., Any]) -> Any:
    """A complete draft (no findings) of the Python web frameworks sample, revision 1."""
    return create_post(writer)


@pytest.fixture
def publish(create_post: Callable[..., Any], writer: User, reviewer: User) -> Callable[..., Any]:
    """Create post number ``n``, approve it and run its job; the post."""
    from tests.helpers.publisher import approve, content  # it imports this module: not at the top

    def factory(n: int = 1, now: Any = None, **changes: Any) -> Any:
        post = create_post(writer, content(n, **changes))
        job = approve(post, reviewer)
        assert publisher.run(job.id, now=now)
        return post

    return factory


@pytest.fixture
def people(app: Any) -> dict[str, User]:
    """The review desk's people (PEOPLE in tests/helpers/review.py), by key: ``people["rhea"]``."""
    from tests.helpers.review import add_people  # it imports this module: not at the top

    return add_people()


class AuthActions:
    def __init__(self, client: Any):
        self.client = client

    def login(
        self, email: str = "writer@example.com", password: str = PASSWORD, **extra: Any
    ) -> Any:
        return self.client.post("/login", data={"email": email, "password": password, **extra})

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: Any) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def served_site(tmp_path: Path) -> Path:
    """A one-page site for the desk to serve at /site/."""
    site = tmp_path / "served-site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>Site</title>")
    return site


@pytest.fixture
def web(make_app: Callable[..., Any], served_site: Path) -> Any:
    """CSRF off, and no app context held open: each request gets its own, as in production.
    The desk serves a one-page site at /site/.

    (The ``app`` fixture keeps one pushed, which the test client's requests then share, and
    with it ``flask.g``: Flask-Login's cached user and Flask-WTF's CSRF token would leak from
    one request or client to the next and hide sign-outs.)
    """
    return make_app(WTF_CSRF_ENABLED=False, SITE_DIR=str(served_site))


@pytest.fixture
def csrf_app(make_app: Callable[..., Any], served_site: Path) -> Any:
    """CSRF on, as in production; otherwise as ``web``."""
    return make_app(SITE_DIR=str(served_site))


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment production insists on (nothing here is contacted by the tests)."""
    monkeypatch.setenv("EDITORIAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.invalid/editorial")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://redis.invalid:6379/0")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")


@pytest.fixture
def redis_url() -> str:
    """This machine's Redis, required under CI."""
    if problem := _reachable(REDIS_URL, 6379):
        need_service("Redis", f"{REDIS_URL}: {problem}")
    return REDIS_URL


# --- the publisher's real processes (helpers/publisher_processes.py) ---------------------------


@pytest.fixture
def desk_for(make_app: Any, database_url: str, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Set up the desk and the worker's environment for a broker URL (None: embedded)."""
    from tests.helpers.publisher_processes import desks  # it imports this module: not at the top

    with desks(make_app, database_url, tmp_path) as factory:
        yield factory


@pytest.fixture
def redis_queue(redis_url) -> Iterator[tuple[str, str]]:
    """The machine's Redis, with a queue (and exchange, and worker name) of this run's own;
    its keys and its entries in kombu's shared binding sets are removed after."""
    url = f"{redis_url}/{os.environ.get('TEST_REDIS_DB', '14')}"
    queue = f"editorial-test-{uuid.uuid4().hex}"
    yield url, queue
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"*{queue}*"))
    if keys:
        client.delete(*keys)
    for key in client.scan_iter("_kombu.binding*"):
        if client.type(key) == b"set":
            if mine := [m for m in client.smembers(key) if queue.encode() in m]:
                client.srem(key, *mine)
        elif client.type(key) == b"zset":
            if mine := [m for m in client.zrange(key, 0, -1) if queue.encode() in m]:
                client.zrem(key, *mine)
    client.close()
