"""Notification channels: each Apprise URL of ``STOREMON_NOTIFY_URLS`` (Slack, Teams, Discord, Telegram,
e-mail, PagerDuty, ntfy, generic JSON, ...) told what ``alerts.notifications`` says, at least once.

Every channel reads the outage and silence topics in a consumer group of its own (named from a hash
of its URL, so no secret reaches the broker): a channel that is down is retried with backoff and
holds back only its own notifications. Notifications that are due together (many stores at once, a
backlog) go as digests, one message for up to ``MOST_PER_MESSAGE``. A channel added to a running
deployment starts with what is written from then on, not with the weeks the topics hold.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, Protocol

import apprise
from apprise.utils.parse import parse_urls
from prometheus_client import CollectorRegistry, Counter, Gauge

from alerts.delivery import Backoff, FeedDelivery
from alerts.feed import EpisodeTopic
from alerts.notifications import Notification, NotificationRules, digest
from connectors.kafka.connection import KafkaConnection

# Longest one attempt at a channel may take before it counts as failed and is tried again.
ATTEMPT_TIMEOUT = 30.0
# Seconds a channel's fetch may wait for more changes: while many are written (a storm, a replay)
# they come in fewer, fuller fetches and digests; while few are, a notification goes this much later.
GATHER = 0.2
# Most notifications one message carries: a storm of outages reads as a few digests, not a flood.
MOST_PER_MESSAGE = 20


class ChannelError(ValueError):
    pass


def channel_urls(text: str) -> list[str]:
    """The Apprise URLs in ``text`` (separated by spaces, commas or semicolons), each checked: an
    unknown scheme or a URL its service cannot use is refused here, at start, not at the first outage."""
    urls: list[str] = parse_urls(text)  # type: ignore[no-untyped-call]
    for url in urls:
        if apprise.Apprise.instantiate(url) is None:
            raise ChannelError(f"not a notification URL Apprise can use: {redacted(url)}")
    return list(dict.fromkeys(urls))


def redacted(url: str) -> str:
    """The URL with its secrets hidden, for logs and errors."""
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return url.split("://", 1)[0] + "://..."
    return str(plugin.url(privacy=True))  # type: ignore[no-untyped-call]


def channel_name(url: str) -> str:
    """A short name that stays the same for the same URL and gives none of its secrets away."""
    scheme = url.split("://", 1)[0].lower()
    return f"{scheme}-{hashlib.blake2b(url.encode(), digest_size=4).hexdigest()}"


class Outcomes(Protocol):
    """Where a channel reports how its sends went (its metrics, or the pipe to the process that
    keeps them)."""

    def sent(self, channel: str, count: int, lag: float) -> None: ...

    def retried(self, channel: str) -> None: ...


class ChannelMetrics:
    """One set for every channel of a worker, labelled by ``channel_name``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.outcomes = Counter(
            "storemon_notifications",
            "notifications by channel and outcome: sent; retried (a message failed, sent again)",
            ["channel", "outcome"],
            registry=registry,
        )
        self.lag = Gauge(
            "storemon_notification_lag_seconds",
            "time from an outage or silence change being written to its notification being sent",
            ["channel"],
            registry=registry,
        )

    def sent(self, channel: str, count: int, lag: float) -> None:
        self.outcomes.labels(channel, "sent").inc(count)
        self.lag.labels(channel).set(lag)

    def retried(self, channel: str) -> None:
        self.outcomes.labels(channel, "retried").inc()


class ChannelDelivery(FeedDelivery):
    def __init__(
        self,
        url: str,
        kafka: KafkaConnection,
        topics: tuple[EpisodeTopic, ...],
        group_prefix: str,
        outcomes: Outcomes,
        rules: NotificationRules,
        backoff: Backoff,
        since: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = channel_name(url)
        group = f"{group_prefix}-{self.name}"
        super().__init__(kafka, topics, group, backoff, new_group_since=since, gather=GATHER)
        self.label = redacted(url)
        self.outcomes = outcomes
        self.rules = rules
        self.clock = clock
        self.channel = apprise.Apprise()
        if not self.channel.add(url):
            raise ChannelError(f"not a notification URL Apprise can use: {self.label}")

    async def handle(self, notices: list[tuple[dict[str, Any], float]]) -> None:
        """The notifications the notices call for, in order; several at once (a backlog, many stores
        at a time) go as digests of up to ``MOST_PER_MESSAGE``."""
        found = [(n, at) for body, at in notices if (n := self.rules.notification(body)) is not None]
        for first in range(0, len(found), MOST_PER_MESSAGE):
            part = found[first : first + MOST_PER_MESSAGE]
            await self._send([n for n, _ in part], min(at for _, at in part))

    async def _send(self, notifications: list[Notification], written_at: float) -> None:
        """Until the channel takes them (each retry waits longer)."""
        message = digest(notifications)
        attempt = 0
        while True:
            result = await self.channel.async_notify(
                body=message.body,
                title=message.title,
                notify_type=message.severity.value,
                body_format=apprise.NotifyFormat.TEXT,  # its lines kept, in mail too
                timeout=ATTEMPT_TIMEOUT,
            )
            if result:
                self.outcomes.sent(self.name, len(notifications), max(0.0, self.clock() - written_at))
                return
            self.outcomes.retried(self.name)
            await self.pause(attempt, f"{message.title!r} to {self.label}", result.status)
            attempt += 1
