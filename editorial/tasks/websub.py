"""The WebSub ping task, thin over ``operations.websub``: queued after a publish job commits,
one per hub, and retried with backoff while the hub is down (publishing never waits on it)."""

from __future__ import annotations

import logging

from celery import shared_task

from editorial.operations import websub
from editorial.operations.publishing import backoff

# With backoff capped at MAX_BACKOFF (5 minutes), about half an hour of trying at most.
MAX_RETRIES = 12

logger = logging.getLogger(__name__)


@shared_task(
    name="editorial.websub.ping",
    bind=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
    ignore_result=True,
)
def ping(self, hub: str, feed_urls: list[str]) -> None:  # noqa: ANN001 - Celery's bound task
    """Tell ``hub`` that ``feed_urls`` changed; from the first it could not take, try again
    later. Running it twice only pings twice."""
    for number, feed_url in enumerate(feed_urls):
        try:
            websub.ping(hub, feed_url)
        except websub.HubError as exc:
            if not exc.transient:
                logger.warning("WebSub ping refused, not retried: %s", exc)
                continue
            if self.request.retries >= self.max_retries:
                logger.error("WebSub ping given up after %s tries: %s", self.max_retries + 1, exc)
                return
            left = feed_urls[number:]
            raise self.retry(
                args=(hub, left), exc=exc, countdown=backoff(self.request.retries)
            ) from exc
