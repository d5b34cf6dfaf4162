"""A table's outbox: refused records are sent again until written, unless a newer one of their key
replaced them, and acknowledged batches move the database's changelog offset."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from faust.types import TP

from connectors.kafka import partition_of
from streams.state.outbox import ChangelogOutbox
from streams.worker import StreamWorker
from tests.streams.conftest import PARTITIONS, ChangelogSink, changelog_sink


def _settle(worker: StreamWorker, scenario: Any) -> None:
    async def run() -> None:
        scenario()
        for _ in range(100):  # a retry waits 0.25 to 0.5 s
            await asyncio.sleep(0.05)
            if not worker.tables.unwritten:
                await asyncio.sleep(0.6)  # long enough for a retry that should not come
                return

    asyncio.run(run())


def _refusing(worker: StreamWorker, refusals: int) -> tuple[ChangelogOutbox, ChangelogSink]:
    """The history's outbox, whose changelog refuses the next ``refusals`` records."""
    outbox = worker.tables.history_outbox
    sink = changelog_sink(outbox)
    sink.refusals = refusals
    return outbox, sink


def test_a_refused_record_replaced_by_a_newer_one_of_its_key_is_not_sent_again(
    stream_worker: StreamWorker,
) -> None:
    outbox, sink = _refusing(stream_worker, 1)
    older, newer = b"dates 1", b"dates 1 and 2"

    def scenario() -> None:
        outbox.send(1, b"s\x00\x01block", older)
        outbox.send(1, b"s\x00\x01block", newer)
        outbox.send(1, b"t\x00\x01block", None)

    _settle(stream_worker, scenario)
    assert sink.records == [(1, 0, b"s\x00\x01block", newer), (1, 1, b"t\x00\x01block", None)]
    assert stream_worker.tables.unwritten == set()
    assert stream_worker.metrics.registry.get_sample_value("storemon_changelog_write_failures_total") == 0


def test_a_refused_record_still_the_latest_is_sent_again_and_acknowledged_batches_keep_the_offset(
    stream_worker: StreamWorker,
) -> None:
    _, sink = _refusing(stream_worker, 2)

    _settle(stream_worker, lambda: stream_worker.tables.put_frozen(b"s\x00\x01block", b"dates"))
    partition = partition_of(b"s", PARTITIONS)
    assert sink.records == [(partition, 0, b"s\x00\x01block", b"dates")]
    assert stream_worker.metrics.registry.get_sample_value("storemon_changelog_write_failures_total") == 2
    history = stream_worker.tables.history
    changelog = history.changelog_topic.get_topic_name()
    assert cast(Any, history.data).persisted_offset(TP(changelog, partition)) == 0
