"""Configuration from the environment, with embedded defaults (no app database needed)."""

from __future__ import annotations

import stat

import pytest

from editorial import create_app
from editorial.config import ConfigError, database_url, from_environment

ENV = [
    "TRUSTED_PROXIES",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "SITE_URL",
    "SITE_TITLE",
    "SITE_DIR",
    "REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "EDITORIAL_ENV",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_embedded_defaults_live_in_the_instance_folder(tmp_path):
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'editorial.sqlite3'}"
    assert config["CELERY"]["broker_url"] == "filesystem://"
    options = config["CELERY"]["broker_transport_options"]
    for folder in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert options[folder].startswith(str(tmp_path / "broker"))
    assert config["SITE_DIR"] == str(tmp_path / "site")
    # Shared by every process on the machine: two gunicorn workers count one limit.
    assert config["RATELIMIT_STORAGE_URI"] == f"sqlite:///{tmp_path / 'throttle.sqlite3'}"
    assert config["SESSION_COOKIE_SECURE"] is False


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = from_environment(str(tmp_path))["SECRET_KEY"]
    second = from_environment(str(tmp_path))["SECRET_KEY"]
    assert first == second
    assert len(first) >= 64
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    other = tmp_path / "other"
    assert from_environment(str(other))["SECRET_KEY"] != first


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.internal/editorial")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("SITE_URL", "https://rankings.example")
    monkeypatch.setenv("SITE_TITLE", "Rankings")
    monkeypatch.setenv("SITE_DIR", str(tmp_path / "public"))
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.internal/editorial"
    assert config["CELERY"]["broker_url"] == "redis://cache.internal:6379/2"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/2"
    assert config["SECRET_KEY"] == "from-env"
    assert config["SITE_URL"] == "https://rankings.example/"
    assert config["SITE_TITLE"] == "Rankings"
    assert config["SITE_DIR"] == str(tmp_path / "public")
    assert not (tmp_path / "secret_key").exists()


def test_celery_broker_url_wins_over_redis_url(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://a/1")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://b/2")
    assert from_environment(str(tmp_path))["CELERY"]["broker_url"] == "redis://b/2"


def test_production_refuses_to_start_without_a_secret_key(tmp_path, production_env, monkeypatch):
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        from_environment(str(tmp_path))


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        (["CELERY_BROKER_URL"], "CELERY_BROKER_URL"),
        (["RATELIMIT_STORAGE_URI"], "RATELIMIT_STORAGE_URI"),
        (["DATABASE_URL"], "DATABASE_URL"),
    ],
)
def test_production_refuses_per_machine_defaults(
    tmp_path, production_env, monkeypatch, unset, named
):
    for name in unset:
        monkeypatch.delenv(name)
    with pytest.raises(ConfigError, match=named):
        from_environment(str(tmp_path))


def test_production_accepts_one_redis_for_broker_and_throttle(
    tmp_path, production_env, monkeypatch
):
    monkeypatch.delenv("CELERY_BROKER_URL")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    monkeypatch.setenv("REDIS_URL", "redis://redis.invalid:6379/3")
    config = from_environment(str(tmp_path))
    assert config["CELERY"]["broker_url"] == config["RATELIMIT_STORAGE_URI"]


def test_secret_key_file_that_is_empty_is_refused(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        from_environment(str(tmp_path))


@pytest.mark.parametrize("value", ["-1", "two"])
def test_trusted_proxies_must_be_a_count(tmp_path, monkeypatch, value):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        from_environment(str(tmp_path))


@pytest.mark.parametrize("value", ["0", "-3", "a month", "3651", "99999999"])
def test_session_days_must_be_at_least_one(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SESSION_DAYS", value)
    with pytest.raises(ConfigError, match="SESSION_DAYS"):
        from_environment(str(tmp_path))


def test_keep_me_signed_in_lasts_as_long_as_a_session(tmp_path, monkeypatch):
    monkeypatch.setenv("SESSION_DAYS", "14")
    config = from_environment(str(tmp_path))
    assert config["SESSION_DAYS"] == 14
    assert config["REMEMBER_COOKIE_DURATION"].days == 14


def test_production_cookies_are_secure(tmp_path, production_env):
    config = from_environment(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://h/db", "postgresql+psycopg://h/db"),
        ("postgresql://h/db", "postgresql+psycopg://h/db"),
        ("postgresql+psycopg://h/db", "postgresql+psycopg://h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_uses_psycopg_3(given, expected):
    assert database_url(given) == expected


def test_worker_entry_is_wired_like_flasks_example(tmp_path, monkeypatch):
    monkeypatch.setenv("EDITORIAL_INSTANCE_PATH", str(tmp_path))
    import importlib

    import worker

    importlib.reload(worker)
    assert worker.celery_app is worker.flask_app.extensions["celery"]
    assert worker.celery_app.conf.task_acks_late is True
    assert worker.celery_app.conf.broker_url == "filesystem://"
    assert create_app().instance_path == str(tmp_path)
