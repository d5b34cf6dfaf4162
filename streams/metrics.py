"""The stream processor's Prometheus metrics, in one registry the API serves at ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class StreamMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.pings_processed = Counter(
            "storemon_pings_processed",
            "pings applied to store state, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.messages_rejected = Counter(
            "storemon_messages_rejected",
            "messages that did not follow the wire format",
            ["topic"],
            registry=self.registry,
        )
        self.messages_repartitioned = Counter(
            "storemon_messages_repartitioned",
            "messages produced outside their store's partition, forwarded to it",
            ["topic"],
            registry=self.registry,
        )
        self.changelog_bytes = Counter(
            "storemon_changelog_bytes",
            "key and value bytes of the store state records sent to the changelog",
            registry=self.registry,
        )
        self.dates_frozen = Counter(
            "storemon_history_dates_frozen",
            "store dates written to the daily history as they left the pings' retention",
            registry=self.registry,
        )
        self.changelog_write_failures = Counter(
            "storemon_changelog_write_failures",
            "store state and history changelog records the broker refused (each is sent again)",
            registry=self.registry,
        )
        self.changelog_unwritten = Gauge(
            "storemon_changelog_unwritten",
            "store state and history changelog keys whose latest record is refused so far (not ready)",
            registry=self.registry,
        )
        self.changelog_records_unreadable = Counter(
            "storemon_changelog_records_unreadable",
            "store state changelog records skipped in recovery because this version cannot read them",
            registry=self.registry,
        )
        self.recoveries_restarted = Counter(
            "storemon_recoveries_restarted",
            "table recoveries started again because they received no changelog record for 30 s",
            registry=self.registry,
        )
        self.outage_events = Counter(
            "storemon_outage_events",
            "outage changes derived and published, by event (repeats are a message processed again)",
            ["event"],
            registry=self.registry,
        )
        self.outages_open = Gauge(
            "storemon_outages_open",
            "stores held by this worker with an outage going on at their latest ping",
            registry=self.registry,
        )
        self.silence_events = Counter(
            "storemon_silence_events",
            "silence changes derived and published, by event",
            ["event"],
            registry=self.registry,
        )
        self.stores_silent = Gauge(
            "storemon_stores_silent",
            "stores held by this worker announced silent and not heard since",
            registry=self.registry,
        )
        self.watermark = Gauge(
            "storemon_watermark_seconds", "latest ping instant seen by this worker", registry=self.registry
        )
        self.lag = Gauge(
            "storemon_partition_lag",
            "messages not yet processed, per source partition held here",
            ["topic", "partition"],
            registry=self.registry,
        )
