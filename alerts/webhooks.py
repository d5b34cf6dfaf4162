"""Webhook delivery: every outage and silence opening and closing POSTed to one URL, at least once,
in order per store and kind.

Delivery has its own consumer group on the outage and silence topics, so a slow or absent receiver
never slows ingestion. A record's offset is committed only once the receiver has accepted it (2xx); until then
it is retried with exponential backoff and jitter, so a worker restart resends whatever was not
acknowledged. Receivers drop repeats by the ``X-Storemon-Event-Id`` header (also ``event_id`` in the
body), which is derived from the change itself: the same change sent twice carries the same id.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
from aiokafka import ConsumerRecord, TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge

from alerts.feed import EpisodeTopic, readable_notice
from connectors.kafka import clients
from connectors.kafka.connection import KafkaConnection

log = logging.getLogger(__name__)
DELIVERED_EVENTS = frozenset({"opened", "closed"})
# Receiver answers worth trying again: it is down, overloaded or asks us to wait.
RETRYABLE = frozenset({408, 425, 429})


class WebhookFormat(StrEnum):
    JSON = "json"  # the outage or silence notice itself
    SLACK = "slack"  # {"text": ...}, what Slack's (and Mattermost's, Discord's /slack) incoming webhooks take


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5
    most: float = 60.0

    def delay(self, attempt: int) -> float:
        """Exponential, capped, with full jitter over its upper half so retrying workers spread out."""
        return float(min(self.most, self.first * 2**attempt) * random.uniform(0.5, 1.0))


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
    return json.dumps(content, separators=(",", ":")).encode()


class WebhookDelivery:
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
        self.url = url
        self.kafka = kafka
        self.kinds = {topic.name: topic.kind for topic in topics}
        self.group = group
        self.secret = secret
        self.style = style
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.metrics = WebhookMetrics(registry)
        self.client = client or httpx.AsyncClient(timeout=10.0)

    async def close(self) -> None:
        await self.client.aclose()

    async def run(self) -> None:
        """Deliver until cancelled; offsets are committed once the records before them were accepted.

        A failure (the broker gone, a commit refused after a rebalance) ends the run; what was not
        committed is delivered again by the next run, here or on the worker that took the partition.
        """
        consumer = clients.consumer(self.kafka, *self.kinds, group_id=self.group, max_poll_records=100)
        await consumer.start()
        committing: asyncio.Task[None] | None = None
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                if not batches:
                    continue
                # Partitions at once (a store's changes of a kind share one, so their order holds),
                # each in order.
                await asyncio.gather(*(self._handle_all(records) for records in batches.values()))
                # Only after the receiver took every one (a crash before this resends them all), and in
                # the background: the next batch is fetched meanwhile, commits stay in order.
                if committing is not None:
                    await committing
                offsets = {
                    TopicPartition(tp.topic, tp.partition): records[-1].offset + 1
                    for tp, records in batches.items()
                }
                committing = asyncio.ensure_future(consumer.commit(offsets))
        finally:
            if committing is not None and not committing.done():
                with suppress(Exception):
                    await committing
            await consumer.stop()

    async def _handle_all(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """One partition's records, in order; ``timestamp`` is when the worker wrote each."""
        for record in records:
            body = readable_notice(record, self.kinds[record.topic])
            if body is not None and body["event"] in DELIVERED_EVENTS:
                await self.deliver(body, record.timestamp / 1000)

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
            delay = self.backoff.delay(attempt)
            log.warning("webhook delivery failed (%s); retrying in %.1f s", status, delay)
            attempt += 1
            await asyncio.sleep(delay)
