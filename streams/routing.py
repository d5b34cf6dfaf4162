"""Where things live in the group: which worker holds a store, who the peers are, what is held here."""

from __future__ import annotations

from typing import Any

import faust

from connectors.kafka import partition_of


class Routing:
    def __init__(
        self, app: faust.App, pings_topic: str, canonical_url: str, partitions: int, states_changelog: str
    ) -> None:
        self.app = app
        self.pings_topic = pings_topic
        self.states_changelog = states_changelog
        self.me = canonical_url.rstrip("/")
        self.partitions = partitions
        self._owners: tuple[Any, dict[int, str]] = (None, {})  # (the group's assignment, its owners)

    def owner_url(self, store_id: str) -> str | None:
        """Canonical URL of the worker holding ``store_id``; None while partitions are unassigned.

        The store's partition is the product's own (``partition_of``), as every table's, and its
        holder is the one the group's assignment gives the states' changelog partition to. (Faust's
        ``key_store`` asks the producer's metadata instead, which a worker just started may lack for
        minutes: its lookups failed until then.)"""
        distribution = self.app.router.tables_metadata()
        known, owners = self._owners
        if known is not distribution:
            owners = {
                partition: str(url).rstrip("/")
                for url, tables in distribution.items()
                for partition in tables.get(self.states_changelog, ())
            }
            self._owners = (distribution, owners)
        return owners.get(partition_of(store_id.encode(), self.partitions))

    def peer_urls(self) -> list[str]:
        """Canonical URLs of every worker in the group, this one included."""
        hosts = set(self.app.router.tables_metadata()) | {self.me}
        return sorted(str(host).rstrip("/") for host in hosts)

    def owned_partitions(self) -> frozenset[int]:
        """Source partitions (hence table partitions) this worker actively holds."""
        return frozenset(
            tp.partition for tp in self.app.consumer.assignment() if tp.topic == self.pings_topic
        )
