"""Settings from the environment, with defaults that need no services (see README)."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """A setting is missing or unusable; the message says which and why."""


def _secret_key(instance: Path) -> str:
    """The SECRET_KEY from the environment, else one generated once and kept in the instance."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if not path.exists():
        # Written whole under a temporary name, then linked into place: when several processes
        # start at once, exactly one key wins and nobody reads a half-written file.
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"{path} is empty; delete it to generate a new key, or set SECRET_KEY.")
    return key


def database_url(url: str) -> str:
    """Normalise a database URL: plain postgres URLs use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def broker_settings(url: str | None, instance: Path) -> dict[str, Any]:
    """Celery settings for the broker URL; the default is kombu's filesystem transport."""
    settings: dict[str, Any] = {
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        # The outbox's safety net: re-send publish jobs that stayed pending too long, or whose
        # worker is gone (run by `celery worker -B`, or a separate `celery beat`; duplicates are
        # harmless). Often, so that a job left by a dead worker goes out again in seconds.
        "beat_schedule": {
            "sweep-publish-outbox": {"task": "editorial.publisher.sweep", "schedule": 5.0},
            # The newsletter's safety net: mailings left unfinished with no worker at them.
            "sweep-newsletter": {"task": "editorial.newsletter.sweep", "schedule": 60.0},
            "prune-sessions": {
                "task": "editorial.housekeeping.prune_sessions",
                "schedule": 24 * 3600.0,
            },
            "flag-due-posts": {
                "task": "editorial.housekeeping.flag_due_posts",
                "schedule": 3600.0,
            },
        },
        "beat_schedule_filename": str(instance / "celerybeat-schedule"),
    }
    if url:
        settings["broker_url"] = url
        return settings
    queue = instance / "broker"
    for sub in ("queue", "processed", "control"):
        (queue / sub).mkdir(parents=True, exist_ok=True)
    settings["broker_url"] = "filesystem://"
    # kombu's own transport, with messages renamed into the queue once whole (editorial/broker.py)
    settings["broker_transport"] = "editorial.broker:Transport"
    settings["broker_transport_options"] = {
        "data_folder_in": str(queue / "queue"),
        "data_folder_out": str(queue / "queue"),
        "processed_folder": str(queue / "processed"),
        "control_folder": str(queue / "control"),
        "store_processed": False,
        # How often an idle worker looks in the folder (kombu's default, 1 s, is the delay
        # before each job is picked up); listing a small folder costs next to nothing.
        "polling_interval": 0.05,
    }
    return settings


def _require_services(env: Mapping[str, str], redis_url: str | None) -> None:
    # The embedded defaults are per machine; several machines need shared services.
    missing = []
    if not (env.get("CELERY_BROKER_URL") or redis_url):
        missing.append("CELERY_BROKER_URL (or REDIS_URL)")
    if not (env.get("RATELIMIT_STORAGE_URI") or redis_url):
        missing.append("RATELIMIT_STORAGE_URI (or REDIS_URL)")
    if not env.get("DATABASE_URL"):
        missing.append("DATABASE_URL")
    if missing:
        raise ConfigError("In production set " + ", ".join(missing) + ".")


def from_environment(instance_path: str) -> dict[str, Any]:
    """Build the app config from environment variables (documented in the README)."""
    env = os.environ
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    production = env.get("EDITORIAL_ENV", "development") == "production"
    if production and not env.get("SECRET_KEY"):
        raise ConfigError(
            "SECRET_KEY must be set in production: every web and worker machine needs the same key."
        )
    redis_url = env.get("REDIS_URL")
    if production:
        _require_services(env, redis_url)
    site_dir = Path(env.get("SITE_DIR") or instance / "site")
    session_days = _count(env.get("SESSION_DAYS", "30"), "SESSION_DAYS")
    if not 1 <= session_days <= 3650:
        raise ConfigError(f"SESSION_DAYS must be from 1 to 3650 (ten years), not {session_days}.")
    return {
        "EDITORIAL_ENV": "production" if production else "development",
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'editorial.sqlite3'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "CELERY": broker_settings(env.get("CELERY_BROKER_URL") or redis_url, instance),
        "SITE_URL": env.get("SITE_URL", "http://127.0.0.1:5000/site/").rstrip("/") + "/",
        "SITE_TITLE": env.get("SITE_TITLE", "Honest Rankings"),
        # Absolute, but not resolved: after a rebuild SITE_DIR is a symlink to the newest build.
        "SITE_DIR": os.path.abspath(site_dir),
        # The embedded default is a SQLite file that every process on this machine shares
        # (editorial/limiter_storage.py); several machines need Redis.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI")
        or redis_url
        or f"sqlite:///{os.path.abspath(instance / 'throttle.sqlite3')}",
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "editorial"),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A sign-in lasts this many days at most, "keep me signed in" or not; then the desk
        # asks again. Ended and expired sessions are deleted by the worker's daily sweep.
        "SESSION_DAYS": session_days,
        "REMEMBER_COOKIE_DURATION": timedelta(days=session_days),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # Generous, so that a huge paste reaches the form and comes back with a message next
        # to the field instead of a bare "413 Request Entity Too Large" that loses the text.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 16 * 1024 * 1024,
        "MAX_FORM_PARTS": 20_000,  # 50 entries with 20 criterion notes each, and room to spare
        # CSRF tokens live as long as the session: a writer who drafts for two hours must
        # still be able to save.
        "WTF_CSRF_TIME_LIMIT": None,
        # The desk serves SITE_DIR at /site/ (the embedded default); production's web server
        # or CDN does that instead.
        "SERVE_SITE": env.get("SERVE_SITE", "true").lower() not in ("0", "false", "no"),
        # Requests per API token (Flask-Limiter syntax); over it, 429 with Retry-After.
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "120 per minute;2000 per hour"),
        # A reviewer's claim on a post lapses after this long.
        "REVIEW_CLAIM_MINUTES": _count(
            env.get("REVIEW_CLAIM_MINUTES", "120"), "REVIEW_CLAIM_MINUTES"
        ),
        # E-mail for notifications; without MAIL_SERVER they stay in the desk only.
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": _count(env.get("MAIL_PORT", "25"), "MAIL_PORT"),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes"),
        "MAIL_FROM": env.get("MAIL_FROM", "editorial@localhost"),
        "DESK_URL": env.get("DESK_URL", ""),
        # The subscribe form's limits (Flask-Limiter syntax), per client network and per address.
        "SUBSCRIBE_CLIENT_RATE_LIMIT": env.get(
            "SUBSCRIBE_CLIENT_RATE_LIMIT", "10 per hour;50 per day"
        ),
        "SUBSCRIBE_ADDRESS_RATE_LIMIT": env.get(
            "SUBSCRIBE_ADDRESS_RATE_LIMIT", "5 per hour;10 per day"
        ),
        # How long the editor waits after the last keystroke before autosaving.
        "EDITOR_AUTOSAVE_MS": _count(env.get("EDITOR_AUTOSAVE_MS", "3000"), "EDITOR_AUTOSAVE_MS"),
        "TRUSTED_PROXIES": _count(env.get("TRUSTED_PROXIES", "0"), "TRUSTED_PROXIES"),
        # WebSub hubs (space- or comma-separated URLs): every feed names them, and the worker
        # tells each one which feeds changed after every publication, correction and retraction.
        "WEBSUB_HUBS": websub_hubs(env.get("WEBSUB_HUBS", "")),
        # How long after each approval a live post is due for another review (unless the writer
        # set review_by).
        "REVIEW_AFTER_MONTHS": _count(env.get("REVIEW_AFTER_MONTHS", "12"), "REVIEW_AFTER_MONTHS"),
        # Query parameters that make a link an affiliate link, which a post must disclose.
        "AFFILIATE_PARAMS": tuple(
            env.get("AFFILIATE_PARAMS", "tag aff aff_id affid affiliate ref")
            .replace(",", " ")
            .split()
        ),
    }


def websub_hubs(value: str) -> tuple[str, ...]:
    """The hub URLs in ``value`` (space- or comma-separated), each an http(s) URL."""
    hubs = tuple(dict.fromkeys(value.replace(",", " ").split()))
    for hub in hubs:
        parts = urlsplit(hub)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"WEBSUB_HUBS must be http(s) URLs, not {hub!r}.")
    return hubs


def _count(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ConfigError(f"{name} must be a whole number of 0 or more, not {value!r}.")
    return number
