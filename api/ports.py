"""What the API needs of the parts around it, declared as Protocols.

The worker process provides the real ones (``streams.worker.StreamWorker``, ``api.services``); the
route tests provide fakes, and mypy checks both against these declarations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from alerts.feed import Notice, Position
from api.schemas import ReportListed, ReportStatus
from api.services.records import ReportRecord
from streams.engine import StoreProfile, StoreState, StoreStatus
from streams.engine.history import DayFigures
from streams.gathering import DaySums, FleetRow, PlacedOutage, PlacedSilence
from streams.progress import Progress

T = TypeVar("T")

# Stores' daily histories summed over their last dates, by id: the dates, business and up microseconds.
HistorySums = dict[str, tuple[int, int, int]]


class LocalWorker(Protocol):
    """The stream side of this process: its tables, its place in the group, its progress."""

    progress: Progress

    @property
    def canonical_url(self) -> str: ...

    @property
    def ready(self) -> bool: ...

    @property
    def kafka_unreachable(self) -> str | None:
        """Why the cluster does not answer, while it does not."""
        ...

    @property
    def settled(self) -> bool:
        """In its group, not rebalancing, its tables recovered: what it holds is complete."""
        ...

    def watermark(self) -> int | None: ...

    def version(self) -> str:
        """Changes whenever what this worker holds may have changed (it processed a message)."""
        ...

    def lookup(self, store_id: str, as_of: int) -> StoreStatus | None: ...

    def profile(self, store_id: str) -> StoreProfile | None:
        """The profile set for a store held here; None when it has none (the default applies)."""
        ...

    async def report_part(self, as_of: int) -> tuple[frozenset[int], list[str]]: ...

    async def outages_part(self, as_of: int) -> tuple[frozenset[int], list[PlacedOutage]]: ...

    async def silences_part(self, as_of: int) -> tuple[frozenset[int], list[PlacedSilence]]: ...

    async def fleet_part(self, as_of: int) -> tuple[frozenset[int], list[FleetRow]]: ...

    async def fleet_history_part(self, as_of: int, days: int) -> tuple[frozenset[int], DaySums]: ...

    def store_state(self, store_id: str) -> tuple[StoreState, StoreProfile] | None: ...

    def store_history(self, store_id: str, now: int, days: int) -> list[DayFigures] | None: ...

    def lag(self) -> int:
        """Messages of the partitions held here not processed yet."""
        ...

    def owner_url(self, store_id: str) -> str | None: ...

    def peer_urls(self) -> list[str]: ...

    def update_lag(self) -> None: ...


class Publisher(Protocol):
    """Publishes keyed messages; returns once the broker has acknowledged every one."""

    async def send_all(self, topic: str, messages: Iterable[tuple[str, bytes | None]]) -> int: ...


class OffLoop(Protocol):
    """Runs CPU-heavy work away from the event loop (``streams.gathering.ReportProcesses``)."""

    async def run(self, function: Callable[..., T], *args: object) -> T: ...


# A worker's part of a gathering at an instant: the partitions it holds, and what it read of their stores.
PartOf = Callable[[int], Awaitable[tuple[frozenset[int], T]]]


class Gathering(Protocol):
    """Rows of every store in the group at an instant, from every worker's part
    (``api.services.gathering.GroupGathering``)."""

    async def here(self, part: PartOf[T], as_of: int) -> tuple[frozenset[int], T]:
        """This worker's part of a gathering, which its peers ask for."""
        ...

    async def report_csv(self, as_of: int) -> tuple[str, int]:
        """The report's CSV text at ``as_of`` and its number of rows."""
        ...

    async def outages(self, as_of: int) -> list[PlacedOutage]: ...

    async def silences(self, as_of: int) -> list[PlacedSilence]: ...

    async def fleet(self, as_of: int) -> list[FleetRow]: ...

    async def fleet_history(self, as_of: int, days: int) -> DaySums: ...


# An instant of the group, asked anew each time: its watermark (the latest ping any worker holds), or
# ``now`` (the watermark or the wall clock, ``streams.engine.instants.present``), the default instant
# of every answer.
GroupInstant = Callable[[], Coroutine[Any, Any, int | None]]


class Moment(NamedTuple):
    """An instant of the group and the version of its state then: what a gathering is kept under.

    Pings at or before the watermark (a late store, a correction) change what a gathering would
    find without moving the instant; the version moves with every message any worker processes.
    """

    instant: int
    version: str


# ``now`` of the group with its state's version (``api.services.peers.Peers.moment``).
GroupMoment = Callable[[], Coroutine[Any, Any, Moment | None]]


class StoreAnswers(Protocol):
    """Answers about one store from whichever worker holds it, each its response body
    (``api.services.stores.RoutedStoreAnswers``); the ``_here`` ones are what a peer asks of the holder."""

    async def lookup(self, store_id: str) -> bytes: ...

    def lookup_here(self, store_id: str, as_of: int) -> bytes: ...

    async def profile(self, store_id: str) -> bytes: ...

    def profile_here(self, store_id: str) -> bytes: ...

    async def outages(self, store_id: str, as_of: int | None) -> bytes: ...

    def outages_here(self, store_id: str, as_of: int) -> bytes: ...

    async def timeline(self, store_id: str, as_of: int | None) -> bytes: ...

    async def history(self, store_id: str, days: int) -> bytes: ...

    def history_here(self, store_id: str, as_of: int, days: int) -> bytes: ...

    async def history_sums(self, store_ids: Iterable[str], as_of: int, days: int) -> HistorySums: ...

    def history_sums_here(self, store_ids: Iterable[str], as_of: int, days: int) -> HistorySums: ...

    def timeline_here(self, store_id: str, as_of: int) -> bytes: ...


class ReportLog(Protocol):
    """Where report records and CSVs are kept, shared by every worker (``api.services.report_log``)."""

    async def save(self, record: ReportRecord) -> None: ...

    async def save_csv(self, report_id: str, text: str) -> int: ...

    async def delete(self, record: ReportRecord) -> None: ...

    async def wait_caught_up(self, timeout: float = ...) -> None: ...

    def load(self, report_id: str) -> ReportRecord | None: ...

    def records(self) -> Iterable[ReportRecord]: ...

    def csv_path(self, report_id: str) -> Path: ...


class ReportRecordView(Protocol):
    @property
    def status(self) -> ReportStatus: ...

    @property
    def error(self) -> str | None: ...


class Reports(Protocol):
    """Triggering reports and fetching them by id."""

    async def trigger(self, as_of: int | None) -> str: ...

    async def record(self, report_id: str) -> ReportRecordView: ...

    async def listed(self) -> list[ReportListed]:
        """Every report kept, newest first."""
        ...

    async def horizon(self) -> tuple[int, int] | None:
        """The earliest and latest instants a report may be asked at; None before any ping."""
        ...

    def csv_path(self, report_id: str) -> Path: ...


class OutageNotices(Protocol):
    """Reads outage changes from a position on (``alerts.feed.EpisodeReader``)."""

    @property
    def position(self) -> Position: ...

    async def read(self, timeout: float) -> list[Notice]: ...


class EventFeed(Protocol):
    """Where the event stream reads outage changes (``alerts.feed.EpisodeFeed``)."""

    def position(self, text: str) -> Position: ...

    def reading(self, start: Position | None) -> AbstractAsyncContextManager[OutageNotices]: ...
