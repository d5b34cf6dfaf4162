"""The Faust application's configuration: one place for every setting the worker runs Faust with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import faust

from connectors.kafka import KafkaConnection
from streams.engine import DEFAULT_RETENTION
from streams.engine.history import DEFAULT_HISTORY_DAYS
from streams.engine.instants import ClockMode, EventTimeGuard
from streams.engine.silences import DEFAULT_SILENCE
from streams.faust_internals.commits import Deliveries
from streams.faust_internals.transport import WorkerTransport
from streams.topics import Topics


@dataclass(frozen=True)
class StreamsConfig:
    app_id: str
    kafka: KafkaConnection
    partitions: int
    data_dir: Path
    topics: Topics
    canonical_url: str
    retention: int = DEFAULT_RETENTION
    history_days: int = DEFAULT_HISTORY_DAYS  # dates of daily history kept per store; 0: none
    standby_replicas: int = 0
    outages: bool = True  # derive outages and silences, and publish them to their topics
    clock: ClockMode = ClockMode.EVENT  # what ``now`` is for silences going on
    silence: int = DEFAULT_SILENCE
    report_processes: int = 2  # child processes a gathering's reading and computing is split among
    # Pings stamped too far after the worker's clock are refused.
    guard: EventTimeGuard = field(default_factory=EventTimeGuard)


def create_app(config: StreamsConfig, deliveries: Deliveries) -> faust.App:
    """The worker's Faust app, on the transport that commits only what was delivered (``deliveries``)."""
    app = faust.App(
        config.app_id,
        **config.kafka.faust_settings(),
        store="rocksdb://",
        datadir=str(config.data_dir / "tables"),
        topic_partitions=config.partitions,
        # The layout (streams.layout) makes every topic, so the worker needs no right to create any.
        topic_allow_declare=False,
        topic_disable_leader=True,
        producer_acks=-1,  # every in-sync replica
        web_enabled=False,
        canonical_url=config.canonical_url,
        consumer_auto_offset_reset="earliest",
        # At-least-once with canonical state; exactly-once lost updates on table recovery here.
        processing_guarantee="at_least_once",
        broker_session_timeout=10.0,
        broker_heartbeat_interval=1.0,
        table_standby_replicas=config.standby_replicas,
        # Changelog writes are many and small: batch them instead of one produce request each.
        producer_linger=0.05,
        producer_max_batch_size=1 << 20,
        producer_max_request_size=8 << 20,
        autodiscover=False,
    )
    app.transport = WorkerTransport(app.conf.broker_consumer, app, deliveries=deliveries)
    return app
