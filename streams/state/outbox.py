"""A table's changelog records on their way to the broker, sent again until written.

The state and history tables write their local databases themselves and send their changelog records
through a ``RecordSender`` of their own rather than Faust's producer, which costs about 60 µs a record
(``streams.sender``). What Faust did per record is done here per batch: an acknowledged batch moves the
database's changelog offset (``keep_offset``, as Faust's ``_on_changelog_sent`` does per record). A
record the broker refuses is counted, its key is unwritten (the worker is not ready), and it is sent
again with backoff, unless a newer record of its key replaced it, until one is written.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence

import faust

from connectors.kafka import KafkaConnection
from streams.faust_internals.commits import Deliveries
from streams.faust_internals.storage import keep_offset
from streams.metrics import StreamMetrics
from streams.sender import Record, RecordSender

_RETRY_FIRST, _RETRY_MAX = 0.5, 30.0
log = logging.getLogger(__name__)


class ChangelogOutbox:
    """Sends a table's changelog records, and sends a refused one again until it or a newer record of
    its key is written. Start its ``sender`` before the agents that write, stop it after them."""

    def __init__(
        self,
        table: faust.types.TableT[bytes, bytes],
        kafka: KafkaConnection,
        deliveries: Deliveries,
        metrics: StreamMetrics,
    ) -> None:
        self.table = table
        self.metrics = metrics
        self.sender = RecordSender(kafka, table.changelog_topic.get_topic_name(), deliveries, outcome=self)
        # Keys whose latest record the broker refused, until it or a newer record of the key is written.
        self.unwritten: set[bytes] = set()
        self._latest: dict[bytes, bytes | None] = {}  # key -> its latest record in flight
        self._attempts: dict[bytes, int] = {}  # key -> refusals of its records in a row

    def send(self, partition: int, key: bytes, value: bytes | None) -> None:
        """Send a record (None: a tombstone) to the changelog's ``partition``, behind its earlier ones."""
        self._latest[key] = value
        self.sender(key=key, value=value, partition=partition, backlog=True)

    def delivered(self, partition: int, offset: int, records: Sequence[Record]) -> None:
        keep_offset(self.table, partition, offset)
        for key, value in records:
            if self._is_latest(key, value):
                del self._latest[key]
                self._attempts.pop(key, None)
                self.unwritten.discard(key)

    def refused(self, partition: int, records: Sequence[Record]) -> None:
        loop = asyncio.get_running_loop()
        for key, value in records:
            if not self._is_latest(key, value):
                continue  # a newer record of the key holds everything this one did
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
            self.metrics.changelog_write_failures.inc()
            log.warning("changelog record for %r not written (attempt %d); retrying", key, attempt + 1)
            self.unwritten.add(key)
            delay = min(_RETRY_MAX, _RETRY_FIRST * 2**attempt) * random.uniform(0.5, 1.0)
            loop.call_later(delay, self._retry, partition, key, value)

    def _retry(self, partition: int, key: bytes, value: bytes | None) -> None:
        if self._is_latest(key, value):
            self.sender(key=key, value=value, partition=partition, backlog=True)

    def _is_latest(self, key: bytes, value: bytes | None) -> bool:
        """Whether this record (by identity: an equal newer one replaces it all the same) is the key's
        latest in flight."""
        return key in self._latest and self._latest[key] is value
