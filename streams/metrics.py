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
        self.watermark = Gauge(
            "storemon_watermark_seconds", "latest ping instant seen by this worker", registry=self.registry
        )
        self.lag = Gauge(
            "storemon_partition_lag",
            "messages not yet processed, per source partition held here",
            ["topic", "partition"],
            registry=self.registry,
        )
