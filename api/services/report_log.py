"""The reports' shared store: a compacted Kafka topic that every worker reads into a local copy.

Keys: ``r/<id>`` holds a report's record (JSON); ``c/<id>/<n>`` holds the n-th piece of its CSV, so no
message comes near the broker's size limit. The CSV pieces are written before the record that says
the report is Complete, so a reader that sees that record already has every piece; it writes the CSV
to ``<data dir>/reports/<id>.csv`` and drops the pieces. A record with a higher revision replaces a
lower one, so a worker that applied its own write at once is not set back when the topic echoes an
older one. Tombstones remove a report (the retention sweep), everywhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from api.services.records import ReportRecord, write_atomically
from connectors.kafka import clients
from connectors.kafka.connection import KafkaConnection

log = logging.getLogger(__name__)
PIECE_BYTES = 512 * 1024
_RECORD, _PIECE = "r/", "c/"


class KafkaReportLog:
    def __init__(self, kafka: KafkaConnection, topic: str, folder: Path) -> None:
        self.kafka = kafka
        self.partition = TopicPartition(topic, 0)
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._records: dict[str, ReportRecord] = {}
        self._pieces: dict[str, dict[int, bytes]] = {}
        self._reading: asyncio.Task[None] | None = None
        self._started: list[AIOKafkaConsumer | AIOKafkaProducer] = []  # what to stop, last started first

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Connected and reading, having read the whole topic so far: every report kept is known."""
        try:
            await self._start()
            yield
        finally:
            await self._stop()

    async def _start(self) -> None:
        # aiokafka clients belong to the loop they are made on, so they are made here.
        self._producer = clients.producer(self.kafka, max_request_size=2 * PIECE_BYTES, linger_ms=5)
        self._consumer = clients.consumer(self.kafka)
        await self._producer.start()
        self._started.insert(0, self._producer)
        await self._consumer.start()
        self._started.insert(0, self._consumer)
        self._consumer.assign([self.partition])
        await self._consumer.seek_to_beginning(self.partition)
        self._reading = asyncio.get_running_loop().create_task(self._read_forever())
        await self.wait_caught_up(timeout=60.0)
        for path in self.folder.glob("*.csv"):  # reports deleted while this worker was away
            if path.stem not in self._records:
                path.unlink(missing_ok=True)

    async def _stop(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
            with suppress(asyncio.CancelledError):
                await self._reading
        for client in self._started:
            try:
                await client.stop()
            except asyncio.CancelledError:
                # aiokafka lets a fetch it cancelled itself escape when the broker is gone
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                log.warning("the report log's Kafka client did not stop cleanly")
        self._started.clear()

    async def wait_caught_up(self, timeout: float = 5.0) -> None:
        """Return once everything written to the topic before this call has been read here."""
        end = (await self._consumer.end_offsets([self.partition]))[self.partition]
        async with asyncio.timeout(timeout):
            while await self._consumer.position(self.partition) < end:
                await asyncio.sleep(0.01)

    def load(self, report_id: str) -> ReportRecord | None:
        return self._records.get(report_id)

    def records(self) -> Iterable[ReportRecord]:
        return list(self._records.values())

    def csv_path(self, report_id: str) -> Path:
        return self.folder / f"{report_id}.csv"

    async def save(self, record: ReportRecord) -> None:
        """Durable (acknowledged by the broker) before it returns; visible here at once."""
        record.revision += 1
        body = json.dumps({**asdict(record), "status": record.status.value}).encode()
        await self._send_all([(_RECORD + record.report_id, body)])
        self._apply_record(record.report_id, body)

    async def save_csv(self, report_id: str, text: str) -> int:
        """Write the CSV's pieces (before the record that says Complete); how many there are."""
        data = text.encode()
        pieces = [data[i : i + PIECE_BYTES] for i in range(0, len(data), PIECE_BYTES)] or [b""]
        # Written here first, so this worker's reader skips the pieces instead of assembling them again.
        await asyncio.to_thread(write_atomically, self.csv_path(report_id), data)
        await self._send_all([(f"{_PIECE}{report_id}/{n}", piece) for n, piece in enumerate(pieces)])
        return len(pieces)

    async def delete(self, record: ReportRecord) -> None:
        """Tombstones for the record and every piece; gone here at once, elsewhere once read."""
        pieces = (f"{_PIECE}{record.report_id}/{n}" for n in range(record.pieces))
        await self._send_all([(_RECORD + record.report_id, None), *((key, None) for key in pieces)])
        self._apply_record(record.report_id, None)

    async def _send_all(self, messages: list[tuple[str, bytes | None]]) -> None:
        """Send in one batch, then wait until the broker has acknowledged every one."""
        topic = self.partition.topic
        sent = [
            await self._producer.send(topic, value, key=key.encode(), partition=0) for key, value in messages
        ]
        await asyncio.gather(*sent)

    async def _read_forever(self) -> None:
        async for message in self._consumer:
            try:
                if message.key is None:
                    raise ValueError("a message without a key")
                self._apply(message.key.decode(), message.value)
            except (ValueError, TypeError, KeyError) as error:
                log.warning("skipped an unreadable message in %s: %s", self.partition.topic, error)

    def _apply(self, key: str, value: bytes | None) -> None:
        if key.startswith(_RECORD):
            self._apply_record(key[len(_RECORD) :], value)
        elif key.startswith(_PIECE):
            report_id, n = key[len(_PIECE) :].rsplit("/", 1)
            if value is None:
                self._pieces.get(report_id, {}).pop(int(n), None)
            elif not self.csv_path(report_id).exists():
                self._pieces.setdefault(report_id, {})[int(n)] = value

    def _apply_record(self, report_id: str, value: bytes | None) -> None:
        if value is None:
            self._records.pop(report_id, None)
            self._pieces.pop(report_id, None)
            self.csv_path(report_id).unlink(missing_ok=True)
            return
        record = ReportRecord.from_json(value)
        known = self._records.get(report_id)
        if known is not None and known.revision > record.revision:
            return
        self._records[report_id] = record
        pieces = self._pieces.get(report_id, {})
        if record.pieces and len(pieces) == record.pieces:
            write_atomically(self.csv_path(report_id), b"".join(pieces[n] for n in range(record.pieces)))
            del self._pieces[report_id]
