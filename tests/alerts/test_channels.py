"""Notification channels through Apprise to real receivers on loopback (HTTP for ``json://``, SMTP for
``mailto://``): what arrives, retries while a receiver fails, and URLs checked at start."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from alerts.channels import (
    ChannelDelivery,
    ChannelError,
    ChannelMetrics,
    channel_name,
    channel_urls,
    redacted,
)
from alerts.delivery import Backoff
from alerts.feed import EpisodeTopic
from alerts.notifications import NotificationRules, notification_id
from connectors.kafka import KafkaConnection
from storemon.settings import Settings
from streams.outages.log import OUTAGE
from tests.alerts.test_notifications import outage
from tests.receivers import Received, json_receiver, smtp_receiver


def channel(url: str, registry: CollectorRegistry, **rules: Any) -> ChannelDelivery:
    return ChannelDelivery(
        url,
        KafkaConnection(bootstrap="127.0.0.1:9"),  # never reached: handle() is called directly
        (EpisodeTopic("t-outages", OUTAGE),),
        "t-notify",
        ChannelMetrics(registry),
        NotificationRules(**rules),
        Backoff(first=0.01, most=0.05),
        since=1_700_000_000.0,
        clock=lambda: 1_700_000_001.0,
    )


def test_urls_are_split_checked_and_named_without_their_secrets() -> None:
    text = "json://127.0.0.1:9/a, mailto://user:hunter2@mail.example.test?to=ops@example.test  json://127.0.0.1:9/a"
    urls = channel_urls(text)
    assert urls == ["json://127.0.0.1:9/a", "mailto://user:hunter2@mail.example.test?to=ops@example.test"]
    assert "hunter2" not in redacted(urls[1]) and "hunter2" not in channel_name(urls[1])
    assert channel_name(urls[1]) == channel_name(urls[1]) != channel_name(urls[0])
    assert channel_name(urls[0]).startswith("json-")
    with pytest.raises(ChannelError, match="not a notification URL Apprise can use: nosuch://"):
        channel_urls("json://127.0.0.1:9/a nosuch://secret@host")
    with pytest.raises(ValidationError, match="nosuch://"):
        Settings(notify_urls="nosuch://host")
    assert Settings(notify_urls="").notify_channels == []


def test_a_json_receiver_that_fails_is_retried_until_it_takes_the_notification() -> None:
    registry = CollectorRegistry()
    received = Received(failing=lambda: received.refused < 2)
    notice = outage("opened", 12.0, None)
    with json_receiver(received) as url:
        delivery = channel(url, registry, public_url="https://storemon.example.test")
        asyncio.run(delivery.handle([(notice, 1_700_000_000.0)]))
    [got] = received.accepted
    assert got["title"] == "Store s1 is down" and got["type"] == "failure"
    assert got["text"].splitlines()[1] == "Store page: https://storemon.example.test/stores/s1"
    name = delivery.name
    assert (
        registry.get_sample_value("storemon_notifications_total", {"channel": name, "outcome": "retried"})
        == 2
    )
    assert (
        registry.get_sample_value("storemon_notifications_total", {"channel": name, "outcome": "sent"}) == 1
    )
    assert registry.get_sample_value("storemon_notification_lag_seconds", {"channel": name}) == 1.0


def test_mail_reaches_an_smtp_server_with_the_title_as_subject_and_the_lines_kept() -> None:
    registry = CollectorRegistry()
    received = Received(failing=lambda: received.refused < 1)  # 451 once: tried again
    closed = outage("closed", 62.0, 30.0, ended_at="2023-01-23T22:32:00+00:00")
    with smtp_receiver(received) as url:
        asyncio.run(channel(url, registry).handle([(closed, 1_700_000_000.0)]))
    [mail] = received.accepted
    assert mail["title"] == "Store s1 is back up" and mail["to"] == ["ops@example.test"]
    lines = mail["text"].strip().splitlines()
    assert lines[0].startswith("Store s1 is back up since Mon 23 Jan 2023 16:32 CST")
    assert lines[1] == f"Notification id: {mail['ids'][0]}"


def test_a_notice_that_calls_for_nothing_sends_nothing() -> None:
    received = Received()
    with json_receiver(received) as url:
        asyncio.run(
            channel(url, CollectorRegistry(), after_minutes=30).handle([(outage("opened", 0, None), 0.0)])
        )
    assert received.accepted == [] and received.refused == 0


def test_notifications_due_together_go_as_digests_each_part_keeping_its_id() -> None:
    registry = CollectorRegistry()
    received = Received()
    notices = [(outage("opened", 5.0, None, store=f"s{i:02}"), 1_699_999_900.0 + i) for i in range(25)]
    notices.insert(3, (outage("opened", 0.0, None, store="below"), 0.0))  # calls for nothing
    with json_receiver(received) as url:
        delivery = channel(url, registry, after_minutes=1)
        asyncio.run(delivery.handle(notices))
    first, second = received.accepted
    assert first["title"] == "20 store changes: 20 down" and second["title"] == "5 store changes: 5 down"
    assert first["text"].startswith("Store s00 is down\nStore s00 has been down since")
    assert received.ids == [notification_id(n, "down") for n, _ in notices if n["store_id"] != "below"]
    name = delivery.name
    assert (
        registry.get_sample_value("storemon_notifications_total", {"channel": name, "outcome": "sent"}) == 25
    )
    assert (
        registry.get_sample_value("storemon_notification_lag_seconds", {"channel": name}) == 81.0
    )  # the last digest's oldest
