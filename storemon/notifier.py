"""The worker's notifier: one child process that runs every notification channel (``alerts.channels``).

Apprise sends from threads (its plugins block), and a thread running Python holds the GIL the
worker's event loop needs: run in the worker's own process, 200 notifications a second delayed the
event stream from 7 ms to 1.4 s at the median (``bench.alerts``). In a child process, ingestion,
lookups and the event stream never wait for a channel. The child runs at the report processes'
lower priority, so a replay that notifies costs the worker little (``bench.notifications``: -9.0 %
pings/s at ``nice`` 10, -13.6 % at the worker's own priority, medians of three rounds), while a
live ping still reaches a channel within 0.29 s at the 99th percentile. The child reports each send
to the worker, whose ``/metrics`` shows them, and exits with the worker; the worker starts a new
one when it dies.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from contextlib import AsyncExitStack
from multiprocessing import get_context
from multiprocessing.connection import Connection

from alerts.channels import ChannelDelivery, ChannelMetrics
from alerts.delivery import Backoff
from alerts.feed import EpisodeTopic
from alerts.notifications import NotificationRules
from api.services.repeating import repeating
from storemon.logs import configure_logging
from storemon.settings import Settings
from streams.gathering.processes import background_child

# How long a stopping notifier may take to leave its consumer groups before it is killed.
STOP_TIMEOUT = 10.0


class NotifierEnded(RuntimeError):
    pass


class PipeOutcomes:
    """A channel's outcomes, sent to the worker that keeps the metrics."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def sent(self, channel: str, count: int, lag: float) -> None:
        self.connection.send((channel, count, lag))

    def retried(self, channel: str) -> None:
        self.connection.send((channel, 0, 0.0))


def notify(
    settings: Settings, topics: tuple[EpisodeTopic, ...], since: float, parent: int, out: Connection
) -> None:
    """The child: every channel, each restarted 5 s after a failure, until the worker stops it."""
    background_child(parent)
    configure_logging(settings.log_level)
    asyncio.run(_channels(settings, topics, since, PipeOutcomes(out)))


async def _channels(
    settings: Settings, topics: tuple[EpisodeTopic, ...], since: float, outcomes: PipeOutcomes
) -> None:
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    rules = NotificationRules(settings.notify_after_minutes, settings.public_url)
    backoff = Backoff(most=settings.notify_retry_max_seconds)
    group_prefix = f"{settings.app_id}-notify"
    async with AsyncExitStack() as stack:
        for url in settings.notify_channels:
            channel = ChannelDelivery(
                url, settings.kafka, topics, group_prefix, outcomes, rules, backoff, since
            )
            await stack.enter_async_context(repeating(5.0, channel.run, f"notifications to {channel.label}"))
        await stopping.wait()


class Notifier:
    """In the worker: the child process, and its outcomes in the worker's metrics."""

    def __init__(self, settings: Settings, topics: tuple[EpisodeTopic, ...], metrics: ChannelMetrics) -> None:
        self.settings = settings
        self.topics = topics
        self.metrics = metrics
        # A channel whose consumer group has never committed starts here: at the worker's start.
        self.since = time.time()

    async def run(self) -> None:
        """Start the child and keep its outcomes until it ends (an error: the caller starts it again)
        or this is cancelled (the child is stopped)."""
        context = get_context("spawn")  # a fork would copy the worker's Kafka and RocksDB threads
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(
            target=notify,
            args=(self.settings, self.topics, self.since, os.getpid(), sending),
            name="storemon-notifier",
            daemon=True,
        )
        process.start()
        sending.close()
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            try:
                while receiving.poll():
                    channel, count, lag = receiving.recv()  # nothing sent: a retry
                    if count:
                        self.metrics.sent(channel, count, lag)
                    else:
                        self.metrics.retried(channel)
            except EOFError:  # the child is gone
                loop.remove_reader(receiving.fileno())
                if not ended.done():
                    ended.set_result(None)

        loop.add_reader(receiving.fileno(), readable)
        try:
            await ended
            await asyncio.to_thread(process.join, STOP_TIMEOUT)
            raise NotifierEnded(f"the notifier process ended (exit code {process.exitcode})")
        finally:
            if not ended.done():
                loop.remove_reader(receiving.fileno())
            receiving.close()
            if process.is_alive():
                process.terminate()
                await asyncio.to_thread(process.join, STOP_TIMEOUT)
                if process.is_alive():
                    process.kill()
