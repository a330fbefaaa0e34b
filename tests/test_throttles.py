"""Throttles: the API counts a token however its header is spelt, and requests without a valid
token per client address; the sign-in throttle slows a guesser without locking the person out;
the embedded throttle storage is shared by every process on the machine.

SQLite only: the throttles keep their counts outside the app's database.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from editorial.models import Role, db
from editorial.operations import accounts, tokens
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0


pytestmark = pytest.mark.sqlite_only("the counts live outside the database")


# --- The API: one bucket per token identity, or per client address without one -------------

# The spellings of one token that authentication accepts (scheme in any case, spaces and tabs
# before the token, spaces after it).
SPELLINGS = [
    "Bearer {}",
    "bearer {}",
    "BEARER {}",
    "Bearer  {}",
    "Bearer \t{}",
    "bEaReR {}",
    "Bearer {} ",
    "Bearer \t \t{}",
    "BeArEr  \t{}",
    "bearer    {}",
    "Bearer {}\t",
    "BEARER \t{}  ",
]


def _writer_token() -> str:
    user = accounts.create_user("writer@example.com", "Wren", PASSWORD, [Role.WRITER])
    db.session.flush()
    _, token = tokens.create_token(user, "agent")
    db.session.commit()
    return token


def _api_get(client, authorization: str | None, address: str = "10.0.0.1", **environ) -> int:
    headers = {"Authorization": authorization} if authorization is not None else {}
    environ = {"REMOTE_ADDR": address, **environ}
    return client.get("/api/v1/posts", headers=headers, environ_base=environ).status_code


def test_one_token_is_one_bucket_however_the_header_is_spelt(make_app):
    app = make_app(API_RATE_LIMIT="120 per minute")  # the documented limit
    with app.app_context():
        token = _writer_token()
        client = app.test_client()
        # Twelve spellings, from several addresses: still one token, so one count.
        statuses = [
            _api_get(client, SPELLINGS[n % len(SPELLINGS)].format(token), f"10.0.0.{n % 5}")
            for n in range(121)
        ]
        db.session.rollback()
    assert statuses[:120] == [200] * 120
    assert statuses[120] == 429


def test_requests_without_a_valid_token_count_per_client_address(make_app):
    app = make_app(API_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        # A new made-up token on every request is no way round the limit.
        guesses = [_api_get(client, f"Bearer edt_guess{n}", "10.0.0.1") for n in range(4)]
        assert guesses == [401, 401, 401, 429]
        assert _api_get(client, None, "10.0.0.1") == 429  # the same client, with no token
        assert _api_get(client, "Bearer edt_guess9", "10.0.0.2") == 401  # another client


def test_unknown_tokens_count_per_client_behind_a_trusted_proxy(make_app):
    app = make_app(API_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    with app.app_context():
        client = app.test_client()

        def through_proxy(client_address: str) -> int:
            return _api_get(
                client, "Bearer edt_same", "10.0.0.1", HTTP_X_FORWARDED_FOR=client_address
            )

        assert [through_proxy(f"203.0.113.{n}") for n in range(4)] == [401] * 4
        assert [through_proxy("198.51.100.7") for _ in range(3)] == [401, 401, 429]


# --- Signing in: the per-account limit refuses only addresses that failed for the account --


def _sign_in(app, email: str, password: str, address: str) -> int:
    client = app.test_client()  # a browser of its own: nobody is signed in yet
    data = {"email": email, "password": password}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code


def _alice() -> None:
    accounts.create_user("alice@example.com", "Alice", PASSWORD, [Role.WRITER])
    db.session.commit()


def test_a_guesser_cannot_lock_the_person_out(make_app):
    app = make_app(WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="10 per minute;50 per hour")
    with app.app_context():
        _alice()
        guesses = [_sign_in(app, "alice@example.com", f"guess {n}", "10.0.0.1") for n in range(10)]
        assert guesses == [200] * 10
        # Alice, at her own desk, signs in; the guesser's address is refused, right or wrong.
        assert _sign_in(app, "alice@example.com", PASSWORD, "10.0.0.2") == 302
        assert _sign_in(app, "alice@example.com", PASSWORD, "10.0.0.1") == 429
        assert _sign_in(app, "Alice@Example.com ", "guess 11", "10.0.0.1") == 429


def test_over_the_account_limit_each_new_address_gets_one_guess(make_app):
    app = make_app(WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        _alice()
        spread = [_sign_in(app, "alice@example.com", "guess", f"10.0.0.{n}") for n in (1, 2, 3)]
        assert spread == [200, 200, 200]
        # Address .1 has failed once (under its own limit of 3) but the account is over its limit.
        assert _sign_in(app, "alice@example.com", "guess", "10.0.0.1") == 429
        # A new address gets one guess, then is refused too, even with the right password.
        assert _sign_in(app, "alice@example.com", "guess", "10.0.0.4") == 200
        assert _sign_in(app, "alice@example.com", PASSWORD, "10.0.0.4") == 429
        # Other accounts from those addresses are counted apart (under the address limit).
        assert _sign_in(app, "bob@example.com", "guess", "10.0.0.4") == 200


def test_ipv6_addresses_of_one_network_count_as_one_client(make_app):
    app = make_app(WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        _alice()
        # Each guess from another address of the same /64: one client, one count.
        addresses = [f"2001:db8:1:2::{n:x}" for n in range(1, 5)]
        guesses = [_sign_in(app, "alice@example.com", "guess", a) for a in addresses]
        assert guesses == [200, 200, 200, 429]
        assert _sign_in(app, "bob@example.com", "guess", "2001:db8:1:2:ffff::1") == 429
        # An IPv4 client of a dual-stack server is its IPv4 address; another network is
        # another client, and Alice signs in from hers (last: the app context keeps her in g).
        assert _sign_in(app, "bob@example.com", "guess", "::ffff:10.0.0.9") == 200
        assert _sign_in(app, "alice@example.com", PASSWORD, "2001:db8:1:3::1") == 302


# --- The embedded storage: one count for every process on the machine ----------------------

SERVER = """
import json, sys
from werkzeug.serving import make_server
from editorial import create_app

server = make_server("127.0.0.1", 0, create_app(json.loads(sys.argv[1])), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""

UNSET = ("RATELIMIT_STORAGE_URI", "REDIS_URL", "LOGIN_RATE_LIMIT", "EDITORIAL_ENV")


def _environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    return {**env, "PYTHONPATH": str(ROOT), **values}


def _start_server(env: dict[str, str], config: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SERVER, json.dumps(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _address(server: subprocess.Popen) -> str:
    assert server.stdout is not None
    port = server.stdout.readline().strip()
    assert port.isdigit(), "the server did not start"
    return f"127.0.0.1:{port}"


def _post_sign_in(address: str, email: str, password: str) -> int:
    connection = http.client.HTTPConnection(address, timeout=10)
    try:
        body = urllib.parse.urlencode({"email": email, "password": password})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/login", body, headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.slow
def test_two_processes_share_the_embedded_sign_in_throttle(database_url, tmp_path):
    instance = tmp_path / "instance"
    env = _environment(
        EDITORIAL_INSTANCE_PATH=str(instance),
        DATABASE_URL=database_url,
        SECRET_KEY="two-processes",
    )
    servers = [_start_server(env, {"WTF_CSRF_ENABLED": False}) for _ in range(2)]
    try:
        addresses = [_address(server) for server in servers]
        # The default limit is 10 per minute: five wrong passwords at each process, then one more.
        statuses = [_post_sign_in(addresses[n % 2], "nobody@example.com", "x") for n in range(11)]
    finally:
        for server in servers:
            server.kill()
            server.wait(10)
    assert statuses == [200] * 10 + [429]
    assert (instance / "throttle.sqlite3").exists()


COUNTER = """
import sys
from limits.storage import storage_from_string
import editorial.limiter_storage

storage = storage_from_string(sys.argv[1])
print(" ".join(str(storage.incr("shared-key", 60)) for _ in range(int(sys.argv[2]))))
"""


@pytest.mark.slow
def test_the_sqlite_storage_counts_atomically_across_processes(tmp_path):
    uri = f"sqlite:///{tmp_path / 'throttle.sqlite3'}"
    env = _environment()
    counters = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTER, uri, "150"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    seen = []
    for proc in counters:
        out, _ = proc.communicate(timeout=START_TIMEOUT)
        assert proc.returncode == 0
        seen += [int(n) for n in out.split()]
    # Every increment saw a count of its own: none was lost or counted twice.
    assert sorted(seen) == list(range(1, 451))


def test_the_sqlite_storage_forgets_a_count_when_it_expires(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from limits.storage import storage_from_string

    import editorial.limiter_storage as limiter_storage  # registers the sqlite:// scheme

    # The storage's clock, which only the test moves: a pause of a loaded machine cannot end
    # the 1-second window before the counts in it are checked.
    clock = SimpleNamespace(now=time.time())
    monkeypatch.setattr(limiter_storage, "time", SimpleNamespace(time=lambda: clock.now))
    storage = storage_from_string(f"sqlite:///{tmp_path / 'throttle.sqlite3'}")
    assert storage.check()
    assert [storage.incr("k", 1) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("other", 60) == 1
    assert storage.get("k") == 3
    assert clock.now < storage.get_expiry("k") <= clock.now + 1
    clock.now += 1.05
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1  # a new window
    storage.clear("other")
    assert storage.get("other") == 0
    assert storage.reset() == 1
    assert storage.get("k") == 0
