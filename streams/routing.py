"""Where things live in the group: which worker holds a store, who the peers are, what is held here."""

from __future__ import annotations

import faust

from streams.state.tables import STATES_TABLE


class Routing:
    def __init__(self, app: faust.App, pings_topic: str, canonical_url: str) -> None:
        self.app = app
        self.pings_topic = pings_topic
        self.me = canonical_url.rstrip("/")

    def owner_url(self, store_id: str) -> str | None:
        """Canonical URL of the worker holding ``store_id``; None while partitions are unassigned."""
        try:
            return str(self.app.router.key_store(STATES_TABLE, store_id.encode())).rstrip("/")
        except KeyError:
            return None

    def peer_urls(self) -> list[str]:
        """Canonical URLs of every worker in the group, this one included."""
        hosts = set(self.app.router.tables_metadata()) | {self.me}
        return sorted(str(host).rstrip("/") for host in hosts)

    def owned_partitions(self) -> frozenset[int]:
        """Source partitions (hence table partitions) this worker actively holds."""
        return frozenset(
            tp.partition for tp in self.app.consumer.assignment() if tp.topic == self.pings_topic
        )
