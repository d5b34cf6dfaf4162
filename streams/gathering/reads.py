"""Report rows, outages, silences and fleet rows from the tables' raw bytes, as a report process reads them.

A gathering reads every store a worker holds. Each report process (``streams.gathering.processes``)
reads its share of the worker's RocksDB databases itself (``streams.gathering.secondaries``):
decoding states and computing rows costs a few hundred milliseconds per 10,000 stores. Nothing here
touches Kafka.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from rocksdict import Rdict

from streams.engine import DAY, StoreProfile, StoreState, UptimeRow, store_status, uptime_row
from streams.engine.history import UtcPart, day_start, first_open_day, local_day, utc_parts
from streams.engine.outages import Outage, store_outages
from streams.engine.recent import recent_hours
from streams.engine.silences import Silence, store_silences
from streams.gathering.secondaries import Secondaries, items
from streams.history import block_key, frozen_in, records_of
from streams.state.cut import Cut
from streams.state.decoded_profiles import decoded_profile

# What a slice of a cut turns into: tuples that sort by store id first (rows, outages).
R = TypeVar("R", bound=tuple[Any, ...])

# (store id, encoded state, encoded profile or None for the default profile), as the tables hold them
RawStore = tuple[bytes, bytes, bytes | None]
# Stores decoded and computed at a time, so a partition is never held whole in memory.
SLICE = 2_000


# Decoded once per distinct profile in a report process, which sees its share of every store at each
# gathering: stores with the same hours and zone share the object.
profile_from = lru_cache(maxsize=1 << 16)(decoded_profile)


def rows_at(stores: list[RawStore], as_of: int) -> list[UptimeRow]:
    """Rows, sorted by store id, of the stores that have a ping at or before ``as_of``."""
    rows = [
        row
        for key, state, profile in stores
        if (row := uptime_row(key.decode(), StoreState.decode(state), profile_from(profile), as_of))
    ]
    rows.sort(key=lambda row: row.store_id)
    return rows


class PlacedOutage(NamedTuple):
    """An outage with the zone its business time was read in, which people want to see it in."""

    outage: Outage
    timezone: str

    @property
    def store_id(self) -> str:
        return self.outage.store_id


def outages_at(stores: list[RawStore], as_of: int) -> list[PlacedOutage]:
    """Outages in the week before ``as_of`` of the given stores (``of_cut`` sorts them)."""
    found = []
    for key, state, raw_profile in stores:
        profile = profile_from(raw_profile)
        zone = profile.effective_timezone
        for outage in store_outages(key.decode(), StoreState.decode(state), profile, as_of):
            found.append(PlacedOutage(outage, zone))
    return found


class PlacedSilence(NamedTuple):
    """A silence with the zone of the store's hours."""

    silence: Silence
    timezone: str

    @property
    def store_id(self) -> str:
        return self.silence.store_id


def silences_at(stores: list[RawStore], as_of: int, silence: int) -> list[PlacedSilence]:
    """Silences reaching into the week before ``as_of`` of the given stores (``of_cut`` sorts them)."""
    found = []
    for key, raw, raw_profile in stores:
        profile = profile_from(raw_profile)
        times = StoreState.decode(raw).times
        for found_silence in store_silences(key.decode(), times, profile.calendar, silence, as_of):
            found.append(PlacedSilence(found_silence, profile.effective_timezone))
    return found


class FleetRow(NamedTuple):
    """A store as the fleet view shows it: its report row, status and last ping, whether it is open,
    and its last hours a letter each (``streams.engine.recent``)."""

    row: UptimeRow
    active: bool
    last_ping: int
    open_now: bool
    timezone: str
    recent: str

    @property
    def store_id(self) -> str:
        return self.row.store_id


def fleet_at(stores: list[RawStore], as_of: int, silence: int) -> list[FleetRow]:
    """Fleet rows of the stores that have a ping at or before ``as_of`` (``of_cut`` sorts them)."""
    found = []
    for key, raw, raw_profile in stores:
        state, profile = StoreState.decode(raw), profile_from(raw_profile)
        status = store_status(key.decode(), state, profile, as_of)
        if status is not None:
            found.append(
                FleetRow(
                    status.row,
                    status.active,
                    status.last_ping,
                    status.open_now,
                    profile.effective_timezone,
                    recent_hours(state, profile, as_of, silence),
                )
            )
    return found


_secondaries: dict[Path, Secondaries] = {}


def of_cut(cut: Cut, as_of: int, of_slice: Callable[[list[RawStore], int], list[R]]) -> list[R]:
    """What ``of_slice`` makes of every store of ``cut`` at ``as_of``, sorted by store id; run in the
    report process, which reads the worker's databases itself (see ``streams.gathering.secondaries``).

    Every database is caught up before any is read, so all are read as they were within moments of
    each other. A store's state and profile lie in two of them; should its hours change in between,
    the engine recomputes the state's totals with the profile read (``StoreState.refresh``).
    """
    found: list[R] = []
    for states, profiles in _caught_up(cut):
        if states is None:
            continue  # a partition nothing was written to yet
        held = {} if profiles is None else dict(items(profiles, cut.hidden))
        stored = items(states, cut.hidden)
        while piece := list(islice(stored, SLICE)):
            found.extend(of_slice([(key, raw, held.get(key)) for key, raw in piece], as_of))
    found.sort(key=itemgetter(0))
    return found


def _reader(cut: Cut) -> Secondaries:
    """The secondary instances of ``cut``'s databases, those of no other closed."""
    reader = _secondaries.get(cut.scratch) or _secondaries.setdefault(cut.scratch, Secondaries(cut.scratch))
    reader.keep_only({path for pair in cut.partitions for path in pair} | set(cut.history))
    return reader


def _caught_up(cut: Cut) -> list[tuple[Rdict | None, Rdict | None]]:
    """Every database of ``cut`` (states, profiles) as the worker has written it so far."""
    reader = _reader(cut)
    return [(reader.caught_up(states), reader.caught_up(profiles)) for states, profiles in cut.partitions]


# Per UTC date (days since 1970-01-01): business and up microseconds, and the stores they sum.
DaySums = dict[int, list[int]]


def fleet_history_at(cut: Cut, as_of: int, days: int, retention: int) -> DaySums:
    """The stores of ``cut`` summed per UTC date, the last ``days`` through ``as_of``'s: the frozen
    local dates' UTC parts read from the history databases, the rest computed from the states
    (``streams.engine.history``). A store counts on the UTC dates its history reaches."""
    last = as_of // DAY
    oldest = last - days + 1
    sums: DaySums = {}
    reader = _reader(cut)
    for (states, profiles), history_path in zip(_caught_up(cut), cut.history, strict=True):
        if states is None:
            continue
        frozen = reader.caught_up(history_path)
        held = {} if profiles is None else dict(items(profiles, cut.hidden))
        for key, raw in items(states, cut.hidden):
            state, profile = StoreState.decode(raw), profile_from(held.get(key))
            if state.times and state.times[0] <= as_of:
                _add_store(sums, key, state, profile, frozen, range(oldest, last + 1), as_of, retention)
    return sums


def _add_store(
    sums: DaySums,
    key: bytes,
    state: StoreState,
    profile: StoreProfile,
    frozen: Rdict | None,
    utc_days: range,
    as_of: int,
    retention: int,
) -> None:
    """Add one store's UTC dates in ``utc_days``: its frozen local dates' parts, then the rest."""
    zone = profile.calendar.zone
    open_from = first_open_day(zone, state.times[-1], retention)
    # A local date reaches at most a day either side of the UTC date of the same number.
    wanted = range(utc_days.start - 1, min(open_from, utc_days.stop + 1))
    reached: set[int] = set()
    if frozen is not None and len(wanted):
        blocks = records_of(wanted)
        values = cast(list[bytes | None], frozen[[block_key(key, block) for block in blocks]])
        for frozen_day in frozen_in(wanted, zip(blocks, values, strict=True)).values():
            for part in frozen_day.parts:
                if part.utc_day in utc_days:
                    _add(sums, part, reached)
    first_instant = day_start(zone, max(open_from, local_day(zone, state.times[0])))
    for part in utc_parts(state, profile, max(first_instant, utc_days.start * DAY), as_of):
        _add(sums, part, reached)
    for day in reached:
        sums[day][2] += 1


def summed(parts: list[DaySums]) -> DaySums:
    """Parts of a fleet history added up per date."""
    total: DaySums = {}
    for part in parts:
        for day, figures in part.items():
            found = total.setdefault(day, [0, 0, 0])
            for i in range(3):
                found[i] += figures[i]
    return total


def _add(sums: DaySums, part: UtcPart, reached: set[int]) -> None:
    """Add one store's part of a UTC date; ``reached`` collects the store's dates, counted once each."""
    found = sums.setdefault(part.utc_day, [0, 0, 0])
    found[0] += part.business
    found[1] += part.up
    reached.add(part.utc_day)


def warm(cut: Cut, as_of: int) -> int:
    """Catch up ``cut``'s databases and decode their profiles, so that the next gathering finds both
    done; returns the number of profiles held. ``as_of`` is not used: a warm-up runs where a
    gathering does."""
    held = 0
    for _, profiles in _caught_up(cut):
        if profiles is not None:
            for _, raw in items(profiles, cut.hidden):
                profile_from(raw)
                held += 1
    return held


def report_part_at(cut: Cut, as_of: int) -> str:
    """The report's CSV lines (no header) of ``cut``'s stores at ``as_of``, sorted by store id.

    Text, because it crosses from the report process into the worker and on to the worker that
    gathers the report: one string costs a copy where rows would cost an object each.
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(row.csv_fields() for row in of_cut(cut, as_of, rows_at))
    return buffer.getvalue()
