"""WebSub (W3C Recommendation): telling the hubs in WEBSUB_HUBS which feeds changed.

A publish job names the feeds it rewrote (``announce``); once its transaction commits, one
ping task per hub is queued with them (an ``after_commit`` hook, as the outbox sends jobs), so
publishing never waits on a hub and a rolled-back job pings nobody. The task POSTs each feed's
address to its hub (``ping``) and retries with backoff while the hub is down. A ping is an
invitation for the hub to fetch the feed: sending one twice is harmless.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from editorial.celery_app import queue_task

_TO_PING = "editorial.feeds_to_ping"
PING = "editorial.websub.ping"  # the task in tasks.websub, by its pinned name
TIMEOUT = 5.0  # seconds a hub has to answer one ping: it holds a worker while it waits


class HubError(Exception):
    """A hub did not take a ping; ``transient`` when trying again later may work."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


def announce(session: Session, feed_urls: list[str]) -> None:
    """Ping the hubs about ``feed_urls`` once ``session`` commits (nothing without hubs)."""
    if current_app.config.get("WEBSUB_HUBS") and feed_urls:
        pending = session.info.setdefault(_TO_PING, [])
        pending.extend(url for url in feed_urls if url not in pending)


def send(feed_urls: list[str]) -> None:
    """Queue one ping task per hub; a broker outage is logged (the next publication pings
    the hubs about the same feeds again)."""
    for hub in current_app.config.get("WEBSUB_HUBS", ()):
        try:
            queue_task(PING, hub, feed_urls)
        except Exception:  # noqa: BLE001 - publishing is done; a lost ping only delays readers
            current_app.logger.warning("Could not queue the WebSub ping of %s.", hub)


def ping(hub: str, feed_url: str, timeout: float = TIMEOUT) -> None:
    """Tell ``hub`` that ``feed_url`` changed: a form-encoded POST of ``hub.mode=publish``
    with the feed as ``hub.url`` (the PubSubHubbub convention most hubs read) and as
    ``hub.topic`` (what some others read). Raises HubError unless the hub answers 2xx."""
    if urllib.parse.urlsplit(hub).scheme not in ("http", "https"):  # never file: or ftp:
        raise HubError(f"{hub} is not an http(s) URL", transient=False)
    body = urllib.parse.urlencode(
        {"hub.mode": "publish", "hub.url": feed_url, "hub.topic": feed_url}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        hub,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        # B310 warns of file: and custom schemes: the hub is http(s), checked above.
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 # nosec B310
            response.read()
    except urllib.error.HTTPError as exc:
        # A hub that is overloaded or restarting answers 5xx or 429: later may work. Any
        # other refusal (400, 404: a wrong hub address, an unknown feed) will not.
        transient = exc.code >= 500 or exc.code in (408, 429)
        raise HubError(f"{hub} answered {exc.code} for {feed_url}", transient=transient) from exc
    except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timed out, garbled
        raise HubError(f"{hub} unreachable for {feed_url}: {exc}", transient=True) from exc


@sa.event.listens_for(Session, "after_commit")
def _ping_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the real commit is still to come
    feed_urls = session.info.pop(_TO_PING, None)
    if feed_urls and current_app:
        send(feed_urls)


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_TO_PING, None)
