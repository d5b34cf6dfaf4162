"""Fakes of what the API depends on, implementing its declared Protocols (``api.ports``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from alerts.feed import Notice, Position
from api.errors import DomainError, UnknownReport, UnknownStore
from api.ports import HistorySums, Moment, PartOf
from api.schemas import ReportListed, ReportStatus
from api.services.records import ReportRecord
from streams.engine import DAY, DEFAULT_PROFILE, StoreProfile, StoreState, StoreStatus
from streams.engine.history import DayFigures, store_history
from streams.engine.outages import Outage
from streams.engine.silences import Silence
from streams.gathering import DaySums, FleetRow, PlacedOutage, PlacedSilence
from streams.progress import Progress

T = TypeVar("T")
ME = "http://127.0.0.1:1"


@dataclass
class FakeWorker:
    """One worker's stream side: a fixed set of store statuses, every partition held here."""

    stores: dict[str, StoreStatus] = field(default_factory=dict)
    latest: int | None = None
    owner: str | None = ME
    peers: list[str] = field(default_factory=lambda: [ME])
    partitions: frozenset[int] = frozenset({0})
    is_ready: bool = True
    kafka_unreachable: str | None = None
    is_settled: bool = True
    progress: Progress = field(default_factory=Progress)
    lag_updates: int = 0
    profiles: dict[str, StoreProfile] = field(default_factory=dict)
    outages: list[Outage] = field(default_factory=list)  # in the week before as_of, whatever it is
    silences: list[Silence] = field(default_factory=list)  # likewise
    states: dict[str, StoreState] = field(default_factory=dict)
    fleet_rows: list[FleetRow] = field(default_factory=list)
    day_sums: DaySums = field(default_factory=dict)  # the fleet's history, whatever as_of and days
    pending: int = 0

    @property
    def canonical_url(self) -> str:
        return ME

    @property
    def ready(self) -> bool:
        return self.is_ready

    @property
    def settled(self) -> bool:
        return self.is_settled

    def watermark(self) -> int | None:
        return self.latest

    def version(self) -> str:
        return f"fake:{self.progress.processed()}"

    def lookup(self, store_id: str, as_of: int) -> StoreStatus | None:
        found = self.stores.get(store_id)
        return found if found is not None and found.last_ping <= as_of else None

    def profile(self, store_id: str) -> StoreProfile | None:
        return self.profiles.get(store_id)

    async def report_part(self, as_of: int) -> tuple[frozenset[int], list[str]]:
        rows = sorted(s.row for s in self.stores.values() if s.last_ping <= as_of)
        return self.partitions, ["".join(",".join(row.csv_fields()) + "\n" for row in rows)]

    async def outages_part(self, as_of: int) -> tuple[frozenset[int], list[PlacedOutage]]:
        zone = DEFAULT_PROFILE.effective_timezone
        return self.partitions, sorted(PlacedOutage(outage, zone) for outage in self.outages)

    async def silences_part(self, as_of: int) -> tuple[frozenset[int], list[PlacedSilence]]:
        zone = DEFAULT_PROFILE.effective_timezone
        return self.partitions, sorted(PlacedSilence(silence, zone) for silence in self.silences)

    async def fleet_part(self, as_of: int) -> tuple[frozenset[int], list[FleetRow]]:
        return self.partitions, list(self.fleet_rows)

    async def fleet_history_part(self, as_of: int, days: int) -> tuple[frozenset[int], DaySums]:
        return self.partitions, dict(self.day_sums)

    def store_state(self, store_id: str) -> tuple[StoreState, StoreProfile] | None:
        state = self.states.get(store_id)
        return None if state is None else (state, self.profiles.get(store_id, DEFAULT_PROFILE))

    def store_history(self, store_id: str, now: int, days: int) -> list[DayFigures] | None:
        found = self.store_state(store_id)
        return None if found is None else store_history(*found, now, days)

    def lag(self) -> int:
        return self.pending

    def owner_url(self, store_id: str) -> str | None:
        return self.owner

    def peer_urls(self) -> list[str]:
        return self.peers

    def update_lag(self) -> None:
        self.lag_updates += 1


@dataclass
class FakeStoreAnswers:
    """Answers about stores: fixed bodies by key, or a failure; the instants asked about."""

    bodies: dict[str, bytes] = field(default_factory=dict)
    failure: DomainError | None = None
    asked: list[int] = field(default_factory=list)
    sums: HistorySums = field(default_factory=dict)  # by store id, whatever the dates asked

    async def lookup(self, store_id: str) -> bytes:
        return self.lookup_here(store_id, 0)

    def lookup_here(self, store_id: str, as_of: int) -> bytes:
        self.asked.append(as_of)
        if self.failure is not None:
            raise self.failure
        if store_id not in self.bodies:
            raise UnknownStore()
        return self.bodies[store_id]

    async def profile(self, store_id: str) -> bytes:
        return self.profile_here(store_id)

    def profile_here(self, store_id: str) -> bytes:
        if self.failure is not None:
            raise self.failure
        if f"profile:{store_id}" not in self.bodies:
            raise UnknownStore()
        return self.bodies[f"profile:{store_id}"]

    async def outages(self, store_id: str, as_of: int | None) -> bytes:
        return self.outages_here(store_id, as_of or 0)

    def outages_here(self, store_id: str, as_of: int) -> bytes:
        return self.lookup_here(f"outages:{store_id}", as_of)

    async def timeline(self, store_id: str, as_of: int | None) -> bytes:
        return self.timeline_here(store_id, as_of or 0)

    async def history(self, store_id: str, days: int) -> bytes:
        return self.history_here(store_id, 0, days)

    def history_here(self, store_id: str, as_of: int, days: int) -> bytes:
        return self.lookup_here(f"history:{store_id}:{days}", as_of)

    def timeline_here(self, store_id: str, as_of: int) -> bytes:
        return self.lookup_here(f"timeline:{store_id}", as_of)

    async def history_sums(self, store_ids: Iterable[str], as_of: int, days: int) -> HistorySums:
        return self.history_sums_here(store_ids, as_of, days)

    def history_sums_here(self, store_ids: Iterable[str], as_of: int, days: int) -> HistorySums:
        self.asked.append(as_of)
        return {store_id: self.sums[store_id] for store_id in store_ids if store_id in self.sums}


@dataclass
class FakeGathering:
    """The group's gatherings: fixed outages, silences and fleet rows at any as_of, counting the
    gatherings; the instants this worker's parts were asked for, or a failure."""

    latest: int | None = None
    found: list[PlacedOutage] = field(default_factory=list)
    silent: list[PlacedSilence] = field(default_factory=list)
    fleet_rows: list[FleetRow] = field(default_factory=list)
    day_sums: DaySums = field(default_factory=dict)
    version: int = 0
    gatherings: list[int] = field(default_factory=list)
    asked: list[int] = field(default_factory=list)
    failure: DomainError | None = None

    async def watermark(self) -> int | None:
        return self.latest

    async def moment(self) -> Moment | None:
        """The watermark, with ``version`` as the state's version (a test moves it)."""
        return None if self.latest is None else Moment(self.latest, str(self.version))

    async def here(self, part: PartOf[T], as_of: int) -> tuple[frozenset[int], T]:
        self.asked.append(as_of)
        if self.failure is not None:
            raise self.failure
        return await part(as_of)

    async def report_csv(self, as_of: int) -> tuple[str, int]:
        return "", 0

    async def outages(self, as_of: int) -> list[PlacedOutage]:
        self.gatherings.append(as_of)
        return list(self.found)

    async def silences(self, as_of: int) -> list[PlacedSilence]:
        self.gatherings.append(as_of)
        return list(self.silent)

    async def fleet(self, as_of: int) -> list[FleetRow]:
        self.gatherings.append(as_of)
        return list(self.fleet_rows)

    async def fleet_history(self, as_of: int, days: int) -> DaySums:
        self.gatherings.append(as_of)
        return {day: sums for day, sums in self.day_sums.items() if day > as_of // DAY - days}


@dataclass
class FakeRecord:
    status: ReportStatus
    error: str | None = None


@dataclass
class FakeReports:
    folder: Path
    records: dict[str, FakeRecord] = field(default_factory=dict)
    triggered: list[int | None] = field(default_factory=list)
    failure: DomainError | None = None
    listing: list[ReportListed] = field(default_factory=list)
    reach: tuple[int, int] | None = None  # the horizon reports may be asked in

    async def trigger(self, as_of: int | None) -> str:
        if self.failure is not None:
            raise self.failure
        self.triggered.append(as_of)
        report_id = f"{len(self.triggered):022d}"
        self.records[report_id] = FakeRecord(ReportStatus.RUNNING)
        return report_id

    async def record(self, report_id: str) -> FakeRecord:
        if report_id not in self.records:
            raise UnknownReport()
        return self.records[report_id]

    async def listed(self) -> list[ReportListed]:
        return list(self.listing)

    async def horizon(self) -> tuple[int, int] | None:
        return self.reach

    def csv_path(self, report_id: str) -> Path:
        return self.folder / f"{report_id}.csv"


class InlineSide:
    """Runs the CPU-heavy steps in the test's own process."""

    async def run(self, function: Callable[..., T], *args: object) -> T:
        return function(*args)


@dataclass
class MemoryReportLog:
    """The shared report log of one process: records in memory, CSVs in a folder."""

    folder: Path
    saved: dict[str, ReportRecord] = field(default_factory=dict)
    writes: int = 0

    async def save(self, record: ReportRecord) -> None:
        record.revision += 1
        self.writes += 1
        self.saved[record.report_id] = replace(record)

    async def save_csv(self, report_id: str, text: str) -> int:
        self.csv_path(report_id).write_text(text)
        return 1

    async def delete(self, record: ReportRecord) -> None:
        self.saved.pop(record.report_id, None)
        self.csv_path(record.report_id).unlink(missing_ok=True)

    async def wait_caught_up(self, timeout: float = 5.0) -> None:
        return None

    def load(self, report_id: str) -> ReportRecord | None:
        return self.saved.get(report_id)

    def records(self) -> list[ReportRecord]:
        return [replace(record) for record in self.saved.values()]

    def csv_path(self, report_id: str) -> Path:
        return self.folder / f"{report_id}.csv"


@dataclass
class FakePublisher:
    """Keeps what was published by topic; fails every send while ``down``, and never answers one while
    ``silent`` (a broker gone quiet, which a client waits on until its own timeout)."""

    messages: dict[str, list[tuple[str, bytes | None]]] = field(default_factory=dict)
    down: bool = False
    silent: bool = False

    async def send_all(self, topic: str, messages: Iterable[tuple[str, bytes | None]]) -> int:
        if self.down:
            raise ConnectionError("broker unreachable")
        if self.silent:
            await asyncio.Event().wait()
        sent = list(messages)
        self.messages.setdefault(topic, []).extend(sent)
        return len(sent)


@dataclass
class FakeReader:
    """Hands out the feed's notices after its position, a few per read, then nothing after waiting
    ``timeout``, as a consumer with nothing to read does."""

    notices: list[Notice]
    position: Position

    async def read(self, timeout: float) -> list[Notice]:
        later = [n for n in self.notices if n.position.offsets > self.position.offsets][:2]
        if later:
            self.position = later[-1].position
        else:
            await asyncio.sleep(timeout)
        return later


@dataclass
class FakeFeed:
    """An outage topic of one partition whose records are ``notices`` (positions 1, 2, ...)."""

    notices: list[Notice] = field(default_factory=list)
    starts: list[Position | None] = field(default_factory=list)

    def position(self, text: str) -> Position:
        return Position.parse(text, 1)

    @asynccontextmanager
    async def reading(self, start: Position | None) -> AsyncIterator[FakeReader]:
        self.starts.append(start)
        end = Position((len(self.notices),))
        yield FakeReader(self.notices, Position((0,)) if start is None and not self.notices else start or end)
