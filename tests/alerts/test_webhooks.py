"""Webhook delivery against an in-process receiver: retries, refusals, signatures, formats."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import httpx
from prometheus_client import CollectorRegistry

from alerts.delivery import Backoff
from alerts.feed import EpisodeTopic
from alerts.webhooks import WebhookDelivery, WebhookFormat, signature
from connectors.kafka import KafkaConnection
from streams.outages.log import OUTAGE
from streams.silences.log import SILENCE

BODY = {
    "kind": "outage",
    "event": "closed",
    "event_id": "abc123",
    "store_id": "s1",
    "started_at": "2023-01-23T16:30:00Z",
    "ended_at": "2023-01-23T19:00:00Z",
    "business_downtime_minutes": 150.0,
    "timezone": "America/New_York",
    "ended_at_local": "2023-01-23T14:00:00-05:00",
}


class Receiver:
    """Answers with the given statuses in turn (then 200), keeping every request it saw."""

    def __init__(self, *statuses: int | Exception) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        if isinstance(status, Exception):
            raise status
        return httpx.Response(status)


def delivery(receiver: Receiver, registry: CollectorRegistry, **kwargs: object) -> WebhookDelivery:
    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    return WebhookDelivery(
        "http://receiver.test/hook",
        KafkaConnection(bootstrap="127.0.0.1:9"),
        (EpisodeTopic("t-outages", OUTAGE), EpisodeTopic("t-silences", SILENCE)),
        "t-webhooks",
        registry,
        backoff=Backoff(first=0.001, most=0.01),
        clock=lambda: 1_700_000_000.0,
        client=client,
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_down_or_failing_receiver_is_retried_until_it_accepts() -> None:
    registry = CollectorRegistry()
    receiver = Receiver(httpx.ConnectError("refused"), 500, 503, 429)
    accepted = asyncio.run(delivery(receiver, registry).deliver(BODY, 1_699_999_999.0))
    assert accepted and len(receiver.requests) == 5
    assert {r.headers["X-Storemon-Event-Id"] for r in receiver.requests} == {"abc123"}
    assert json.loads(receiver.requests[-1].content) == BODY
    assert registry.get_sample_value("storemon_webhook_deliveries_total", {"outcome": "retried"}) == 4
    assert registry.get_sample_value("storemon_webhook_deliveries_total", {"outcome": "delivered"}) == 1
    assert registry.get_sample_value("storemon_webhook_delivery_lag_seconds") == 1.0


def test_a_refusal_for_good_is_counted_and_not_retried() -> None:
    registry = CollectorRegistry()
    receiver = Receiver(404)
    assert not asyncio.run(delivery(receiver, registry).deliver(BODY, 0.0))
    assert len(receiver.requests) == 1
    assert registry.get_sample_value("storemon_webhook_deliveries_total", {"outcome": "rejected"}) == 1


def test_the_signature_covers_the_time_and_the_body() -> None:
    receiver = Receiver()
    asyncio.run(delivery(receiver, CollectorRegistry(), secret="s3cret").deliver(BODY, 0.0))
    (request,) = receiver.requests
    header = request.headers["X-Storemon-Signature"]
    assert header == signature("s3cret", 1_700_000_000, request.content)
    stamp, mac = (part.split("=", 1)[1] for part in header.split(","))
    expected = hmac.new(b"s3cret", f"{stamp}.".encode() + request.content, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    unsigned = Receiver()
    asyncio.run(delivery(unsigned, CollectorRegistry()).deliver(BODY, 0.0))
    assert "X-Storemon-Signature" not in unsigned.requests[0].headers


def test_slack_messages_say_what_happened_in_the_stores_time() -> None:
    receiver = Receiver()
    asyncio.run(delivery(receiver, CollectorRegistry(), style=WebhookFormat.SLACK).deliver(BODY, 0.0))
    text = json.loads(receiver.requests[0].content)["text"]
    assert "s1" in text and "back up at 2023-01-23T14:00:00-05:00" in text and "150 business minutes" in text
