"""Webhook delivery: every outage and silence opening and closing POSTed to one URL, at least once,
in order per store and kind.

Delivery has its own consumer group on the outage and silence topics (``alerts.delivery``), so a slow
or absent receiver never slows ingestion. A record's offset is committed only once the receiver has
accepted it (2xx); until then it is retried with exponential backoff and jitter, so a worker restart
resends whatever was not acknowledged. Receivers drop repeats by the ``X-Storemon-Event-Id`` header
(also ``event_id`` in the body), which is derived from the change itself: the same change sent twice
carries the same id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge

from alerts.delivery import Backoff, FeedDelivery
from alerts.feed import EpisodeTopic
from connectors.kafka.connection import KafkaConnection
from streams.contract.messages import compact_json

log = logging.getLogger(__name__)
DELIVERED_EVENTS = frozenset({"opened", "closed"})
# Receiver answers worth trying again: it is down, overloaded or asks us to wait.
RETRYABLE = frozenset({408, 425, 429})


class WebhookFormat(StrEnum):
    JSON = "json"  # the outage or silence notice itself
    SLACK = "slack"  # {"text": ...}, what Slack's (and Mattermost's, Discord's /slack) incoming webhooks take


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "storemon_webhook_deliveries",
            "webhook POSTs by outcome: delivered, retried (failed, sent again), rejected (4xx, dropped)",
            ["outcome"],
            registry=registry,
        )
        self.lag = Gauge(
            "storemon_webhook_delivery_lag_seconds",
            "time from an outage change being written to its webhook being accepted, for the latest one",
            registry=registry,
        )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``; the time lets receivers refuse replays."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def slack_text(body: dict[str, Any]) -> str:
    store, zone = body.get("store_id"), body.get("timezone")
    if body.get("kind") == "silence":
        if body["event"] == "opened":
            return (
                f":grey_question: Store {store} fell silent at {body.get('started_at_local')} ({zone}): "
                f"no ping since {body.get('last_ping_local')}"
            )
        return f":speech_balloon: Store {store} is heard again at {body.get('ended_at_local')} ({zone})"
    if body["event"] == "opened":
        return f":red_circle: Store {store} is down since {body.get('started_at_local')} ({zone})"
    minutes = body.get("business_downtime_minutes", 0.0)
    return (
        f":large_green_circle: Store {store} is back up at {body.get('ended_at_local')} ({zone}); "
        f"{minutes:g} business minutes lost"
    )


def payload(body: dict[str, Any], style: WebhookFormat) -> bytes:
    content: dict[str, Any] = body if style is WebhookFormat.JSON else {"text": slack_text(body)}
    return compact_json(content)


class WebhookDelivery(FeedDelivery):
    def __init__(
        self,
        url: str,
        kafka: KafkaConnection,
        topics: tuple[EpisodeTopic, ...],
        group: str,
        registry: CollectorRegistry,
        secret: str | None = None,
        style: WebhookFormat = WebhookFormat.JSON,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(kafka, topics, group, backoff or Backoff())
        self.url = url
        self.secret = secret
        self.style = style
        self.clock = clock
        self.metrics = WebhookMetrics(registry)
        self.client = client or httpx.AsyncClient(timeout=10.0)

    async def close(self) -> None:
        await self.client.aclose()

    async def handle(self, notices: list[tuple[dict[str, Any], float]]) -> None:
        for body, written_at in notices:
            if body["event"] in DELIVERED_EVENTS:
                await self.deliver(body, written_at)

    async def deliver(self, body: dict[str, Any], written_at: float) -> bool:
        """POST until the receiver accepts (True) or refuses for good with a 4xx (False)."""
        content = payload(body, self.style)
        attempt = 0
        while True:
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "storemon-webhook",
                "X-Storemon-Event": f"{body['kind']}.{body['event']}",
                "X-Storemon-Event-Id": str(body["event_id"]),
            }
            if self.secret:
                headers["X-Storemon-Signature"] = signature(self.secret, int(self.clock()), content)
            try:
                response = await self.client.post(self.url, content=content, headers=headers)
                status: int | str = response.status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            if isinstance(status, int) and 200 <= status < 300:
                self.metrics.deliveries.labels("delivered").inc()
                self.metrics.lag.set(max(0.0, self.clock() - written_at))
                return True
            if isinstance(status, int) and 400 <= status < 500 and status not in RETRYABLE:
                self.metrics.deliveries.labels("rejected").inc()
                log.error("webhook receiver refused %s with %d; dropped", body["event_id"], status)
                return False
            self.metrics.deliveries.labels("retried").inc()
            await self.pause(attempt, "webhook delivery", status)
            attempt += 1
