"""``storemon worker``: the Faust worker and the HTTP API in one process, on one event loop.

This is where the object graph is built (stream side, peers, gathering, reports) and where its lifespan runs;
it imports everything it wires and nothing imports it but the command line.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import faust
import uvicorn
from fastapi import FastAPI
from faust.contrib.asgi import faust_app_running
from prometheus_client import Histogram

from alerts.broadcast import EpisodeBroadcast
from alerts.channels import ChannelMetrics
from alerts.delivery import Backoff
from alerts.feed import EpisodeFeed, EpisodeTopic
from alerts.webhooks import WebhookDelivery
from api.deps import Services
from api.main import create_api
from api.services.events import Events
from api.services.fleet import FleetView
from api.services.gathering import GroupGathering
from api.services.intake import Intake
from api.services.outages import OutageListing
from api.services.peers import Peers
from api.services.repeating import repeating
from api.services.report_log import KafkaReportLog
from api.services.reports import ReportService
from api.services.silences import SilenceListing
from api.services.stores import RoutedStoreAnswers
from connectors.kafka import KafkaConnection, Publisher
from dashboard.pages import install_dashboard
from storemon.listening import claim_port
from storemon.logs import configure_logging
from storemon.notifier import Notifier
from storemon.settings import Settings
from streams.app import StreamsConfig
from streams.engine import HOUR, SECOND
from streams.faust_internals.probe import wait_for_kafka
from streams.layout import ensure_layout, planned_layout
from streams.outages.log import OUTAGE
from streams.silences.log import SILENCE
from streams.state.changelog import StateFormatError
from streams.worker import StreamWorker

log = logging.getLogger(__name__)
# Uncommitted offsets are safe to lose (processing is at-least-once and the state canonical), so a
# stop waits this long for Faust, then lets the process exit.
STOP_TIMEOUT = 15.0
# Seconds between catching the report processes up with ingestion (``StreamWorker.warm``).
WARM_EVERY = 20.0


def streams_config(settings: Settings, kafka: KafkaConnection) -> StreamsConfig:
    return StreamsConfig(
        app_id=settings.app_id,
        kafka=kafka,
        partitions=settings.partitions,
        data_dir=settings.data_dir,
        topics=settings.topics,
        canonical_url=settings.canonical_url,
        retention=settings.retention,
        history_days=settings.history_days,
        standby_replicas=settings.standby_replicas,
        outages=settings.outages,
        clock=settings.clock,
        silence=settings.silence,
        report_processes=settings.report_processes,
        guard=settings.guard,
    )


@asynccontextmanager
async def faust_running(app: faust.App) -> AsyncIterator[None]:
    """Faust started on this loop; its stop is bounded (e.g. the broker is gone and Faust keeps
    retrying its last commit), so the process still exits.

    At the bound the stop is cancelled; Faust may absorb the cancellation rather than raise it, so
    the time the stop took is what tells that it was cut short.
    """
    stop_began: float | None = None
    try:
        async with faust_app_running(app, stop_timeout=STOP_TIMEOUT):
            try:
                yield
            finally:
                stop_began = time.monotonic()
    except TimeoutError:
        if stop_began is None:
            raise
    finally:
        if stop_began is not None and time.monotonic() - stop_began >= STOP_TIMEOUT:
            log.warning("the stream processor did not stop within %.0f s; exiting anyway", STOP_TIMEOUT)


async def prepare_cluster(kafka: KafkaConnection, settings: Settings) -> None:
    """Reach the cluster and make sure it holds the topic layout, before anything starts: a cluster
    that cannot be reached, or a wrong layout, ends the worker with one line saying why."""
    await wait_for_kafka(kafka, settings.broker_wait_seconds)
    layout = await planned_layout(
        kafka, settings.topics, settings.partitions, settings.replication_factor, settings.app_id
    )
    await ensure_layout(kafka, layout)


def build_api(settings: Settings, kafka: KafkaConnection) -> tuple[FastAPI, StreamWorker, Events]:
    """The worker's whole object graph behind its HTTP API, started and stopped by the API's lifespan;
    ``kafka`` is how every Kafka client of it connects. The event streams are returned too: the
    server ends them when it stops."""
    streams = StreamWorker(streams_config(settings, kafka))
    token = settings.api_token.get_secret_value() if settings.api_token is not None else None
    peers = Peers(streams, token, settings.retention, settings.clock)
    gathering = GroupGathering(peers, streams, streams.side, settings.partitions)
    duration = Histogram(
        "storemon_report_seconds",
        "time from trigger to a finished report",
        ["status"],
        registry=streams.metrics.registry,
    )
    report_log = KafkaReportLog(kafka, settings.topics.reports, settings.data_dir / "reports")
    reports = ReportService(
        report_log,
        gathering,
        peers.watermark,
        duration,
        settings.retention,
        streams.canonical_url,
        keep=settings.report_retention_hours * HOUR / SECOND,
        now_mode=settings.clock,
    )

    # The dashboard's listings, kept ready at ``now`` in the background.
    outages = OutageListing(gathering, peers.moment)
    silences = SilenceListing(gathering, peers.moment)
    stores = RoutedStoreAnswers(peers, streams, settings.silence)
    fleet = FleetView(gathering, peers.moment, streams, stores, settings.silence)
    publisher = Publisher(kafka, linger_ms=1)  # live input waits on its acknowledgement
    intake = Intake(
        publisher,
        settings.topics,
        streams.metrics.registry,
        settings.ingest_max_pings,
        settings.guard,
        settings.ingest_timeout_seconds,
    )

    episode_topics = (
        EpisodeTopic(settings.topics.outages, OUTAGE),
        EpisodeTopic(settings.topics.silences, SILENCE),
    )
    deliveries: list[tuple[str, Callable[[], Awaitable[None]]]] = []
    closing: list[Callable[[], Awaitable[None]]] = []
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        webhook = WebhookDelivery(
            settings.webhook_url,
            kafka,
            episode_topics,
            f"{settings.app_id}-webhooks",
            streams.metrics.registry,
            secret,
            settings.webhook_format,
            Backoff(most=settings.webhook_retry_max_seconds),
        )
        deliveries.append(("webhook delivery", webhook.run))
        closing.append(webhook.close)
    if settings.notify_channels:
        notifier = Notifier(settings, episode_topics, ChannelMetrics(streams.metrics.registry))
        deliveries.append(("the notifier", notifier.run))

    @asynccontextmanager
    async def delivering() -> AsyncIterator[None]:
        """The webhook and the notifier, each started again 5 s after a failure."""
        async with AsyncExitStack() as stack:
            for close in closing:
                stack.push_async_callback(close)
            for what, run in deliveries:
                await stack.enter_async_context(repeating(5.0, run, what))
            yield

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        side_started = asyncio.ensure_future(streams.side.start())
        try:
            await streams.discard_unbacked_state()
            if streams.ingest.deriving:
                await streams.start_senders()
            async with faust_running(streams.app):
                await side_started
                # What exists now lives as long as the process. Frozen, it is left out of the collector's
                # full passes, which then stall the loop (and every lookup waiting on it) for about 15 ms,
                # not 40-90.
                gc.collect()
                gc.freeze()
                await publisher.start()
                try:
                    async with (
                        report_log.running(),
                        peers.refreshing(),
                        reports.supervising(),
                        repeating(5.0, streams.restart_stalled_recovery, "recovery watch"),
                        repeating(5.0, streams.kafka.check, "Kafka watch"),
                        repeating(WARM_EVERY, streams.warm, "report processes warm-up"),
                        fleet.now.refreshing(settings.listing_refresh_seconds),
                        outages.now.refreshing(settings.listing_refresh_seconds),
                        silences.now.refreshing(settings.listing_refresh_seconds),
                        delivering(),
                        repeating(2.0, feed.follow, "following the outage topic"),
                        repeating(1.0, streams.watch_silences, "silence watch"),
                    ):
                        yield
                finally:
                    await publisher.stop()
        finally:
            await streams.stop_senders()  # after the agents and their last commit
            streams.side.close()
            await peers.close()

    feed = EpisodeBroadcast(EpisodeFeed(kafka, episode_topics, settings.partitions), streams.metrics.registry)
    events = Events(feed, settings.events_heartbeat_seconds)
    services = Services(
        streams,
        stores,
        gathering,
        reports,
        intake,
        outages,
        silences,
        events,
        fleet,
        streams.metrics.registry,
        token,
        settings.public_status,
    )
    api = create_api(services, lifespan)
    install_dashboard(api)
    return api, streams, events


class WorkerServer(uvicorn.Server):
    """uvicorn's server, ending every open event stream as its stop begins: the stop waits for open
    responses to finish, which an event stream never does, then cancels them mid-write."""

    def __init__(self, config: uvicorn.Config, streams_closing: asyncio.Event) -> None:
        super().__init__(config)
        self.streams_closing = streams_closing

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.streams_closing.set()
        await super().shutdown(sockets)


def serving(api: FastAPI, settings: Settings) -> uvicorn.Config:
    """How uvicorn serves the API, and runs the event loop Faust's agents share with it."""
    return uvicorn.Config(
        api,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,  # keep the JSON logging configured above
        access_log=False,  # not written: a call per request, for lines the logging never kept
        lifespan="on",
        http="httptools",  # the C parser: a lookup spends a third less time in the server than with h11
        # libuv's loop: measured against asyncio's in the same hour, 9-11 % less worker CPU per one-ping
        # Kafka message and a third more single pings posted per second (docs/performance.md).
        loop="uvloop",
        timeout_graceful_shutdown=10,
    )


def run_worker(settings: Settings) -> None:
    configure_logging(settings.log_level)
    # The event loop shares the interpreter with Faust's consumer thread and the report process's
    # feeder and result threads. A thread that let go of the GIL waits up to this interval to get it
    # back; at the default 5 ms each hand-over can hold the loop up that long.
    sys.setswitchinterval(0.0005)
    listening = claim_port(settings.api_host, settings.api_port)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    kafka = settings.kafka
    asyncio.run(prepare_cluster(kafka, settings))
    api, streams, events = build_api(settings, kafka)
    server = WorkerServer(serving(api, settings), events.closing)
    streams.stop_process = lambda: setattr(server, "should_exit", True)
    server.run(sockets=[listening])
    if streams.fatal is not None:
        raise StateFormatError(streams.fatal)
