"""Per-store uptime state, updated one ping at a time and queried at any instant in its horizon.

The state keeps the store's pings inside the retention horizon (plus the one ping just before it,
which fixes the status at the horizon's start) and, for each ping, the active business time from
the first kept ping up to it. A window query is then two bisections and a few calendar lookups,
and a ping costs one insertion: no history is ever replayed.
"""

from __future__ import annotations

import struct
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from streams.engine.profile import StoreProfile
from streams.engine.units import DAY

# The 7-day window plus one day in which a report may name an earlier as_of.
DEFAULT_RETENTION = 8 * DAY

_HEADER = struct.Struct("<BqI")
_FORMAT_VERSION = 1
STATE_FORMAT = _FORMAT_VERSION  # of an encoded state: a version that changes it says so here


class AddResult(Enum):
    """What one ping did to the state; every outcome is counted by the callers."""

    ADDED = "added"
    DUPLICATE = "duplicate"
    CHANGED = "changed"  # same instant as a kept ping, with a status that overrides it
    EXPIRED = "expired"  # older than the retention horizon: it cannot affect any answerable window


@dataclass(slots=True)
class StoreState:
    """Pings of one store in time order with running active business time.

    Canonical: the same set of pings and profile give the same state, whatever the arrival order,
    duplication or interleaving of profile changes, so replays and recoveries are idempotent.
    Two pings at one instant count once; when their statuses disagree ``inactive`` wins, a rule
    that does not depend on which arrived first.
    """

    fingerprint: int = 0
    times: list[int] = field(default_factory=list)
    active: bytearray = field(default_factory=bytearray)
    up: list[int] = field(default_factory=list)

    @classmethod
    def from_pings(
        cls, pings: Iterable[tuple[int, bool]], profile: StoreProfile, retention: int = DEFAULT_RETENTION
    ) -> StoreState:
        """Build in one pass from unordered ``(instant, active)`` pairs; equal to adding them one by one."""
        state = cls(fingerprint=profile.fingerprint)
        times, flags = state.times, state.active
        for instant, is_active in sorted(pings):
            if times and times[-1] == instant:
                flags[-1] &= is_active
            else:
                times.append(instant)
                flags.append(is_active)
        state.prune(retention)
        state._recompute(profile)
        return state

    def pings(self) -> list[tuple[int, bool]]:
        """The kept pings as ``(instant, active)`` pairs, in time order."""
        return list(zip(self.times, map(bool, self.active), strict=True))

    @property
    def latest(self) -> int | None:
        return self.times[-1] if self.times else None

    def add(
        self,
        instant: int,
        is_active: bool,
        profile: StoreProfile,
        retention: int = DEFAULT_RETENTION,
        *,
        prune: bool = True,
    ) -> AddResult:
        """Insert one ping; work is bounded by the number of kept pings after it. Without ``prune``
        the pings that leave the retention stay until ``prune`` is called (a caller that reads
        them first: the daily history, before it freezes a date)."""
        self.refresh(profile)
        times = self.times
        if times and instant < times[0] < times[-1] - retention:
            return AddResult.EXPIRED
        k = bisect_left(times, instant)
        calendar = profile.calendar
        if k < len(times) and times[k] == instant:
            if is_active or not self.active[k]:
                return AddResult.DUPLICATE
            self.active[k] = 0
            if k + 1 < len(times):
                self._shift(k + 1, -calendar.business_between(instant, times[k + 1]))
            return AddResult.CHANGED
        running = 0
        if k:
            running = self.up[k - 1]
            if self.active[k - 1]:
                running += calendar.business_between(times[k - 1], instant)
        times.insert(k, instant)
        self.active.insert(k, is_active)
        self.up.insert(k, running)
        if k + 1 < len(times):
            following = running + (calendar.business_between(instant, times[k + 1]) if is_active else 0)
            self._shift(k + 1, following - self.up[k + 1])
        if prune:
            self.prune(retention)
        return AddResult.ADDED

    def add_all(
        self,
        pings: Sequence[tuple[int, bool]],
        profile: StoreProfile,
        retention: int = DEFAULT_RETENTION,
        *,
        prune: bool = True,
    ) -> list[AddResult]:
        """``add`` each ping in turn: the same state and results. Pings in time order after the latest
        kept one (a replay's frame, a live store's next ping) are appended with one schedule reading
        each, not the two of a ``business_between`` per ping."""
        times = self.times
        instants = [instant for instant, _ in pings]
        if instants != sorted(instants) or (times and instants and instants[0] < times[-1]):
            return [self.add(i, a, profile, retention, prune=prune) for i, a in pings]
        self.refresh(profile)
        flags, start = self.active, len(times)
        if len(set(instants)) == len(instants) and not (times and instants and instants[0] == times[-1]):
            times.extend(instants)
            flags.extend([is_active for _, is_active in pings])
            results = [AddResult.ADDED] * len(instants)
        else:
            results = []
            for instant, is_active in pings:
                if times and times[-1] == instant:
                    results.append(self._restate_last(is_active))
                else:
                    times.append(instant)
                    flags.append(is_active)
                    results.append(AddResult.ADDED)
        self._extend_running(start, profile)
        if prune:
            self.prune(retention)
        return results

    def refresh(self, profile: StoreProfile) -> bool:
        """Recompute running totals if they were made with another profile; True when it did."""
        if self.fingerprint == profile.fingerprint:
            return False
        self.fingerprint = profile.fingerprint
        self._recompute(profile)
        return True

    def active_before(self, profile: StoreProfile, instant: int) -> int:
        """Active business time from the first kept ping to ``instant``, using pings at or before it.

        Before the first ping the store is taken to have had the first ping's status, so the result
        is then negative (or zero).
        """
        calendar = profile.calendar
        times = self.times
        j = bisect_right(times, instant) - 1
        if j >= 0:
            total = self.up[j]
            if self.active[j]:
                total += calendar.business_between(times[j], instant)
            return total
        return -calendar.business_between(instant, times[0]) if self.active[0] else 0

    def active_at(self, profile: StoreProfile, instants: Sequence[int]) -> tuple[list[int], list[int]]:
        """For sorted ``instants``: the business time from a fixed origin to each, and ``active_before``
        each. One calendar pass reads the instants and the pings they follow, where ``active_before``
        reads the calendar twice per instant (its ``business_between``) and a caller wanting the
        business time too reads it again."""
        times, active, up = self.times, self.active, self.up
        if not times:
            return profile.calendar.running_business(instants), [0] * len(instants)
        marks = [bisect_right(times, instant) - 1 for instant in instants]
        points = sorted({times[max(j, 0)] for j in marks}.union(instants))
        at = dict(zip(points, profile.calendar.running_business(points), strict=True))
        business = [at[instant] for instant in instants]
        found = []
        for instant, j in zip(instants, marks, strict=True):
            if j < 0:  # before the first ping, which sets the status back to then
                found.append(at[instant] - at[times[0]] if active[0] else 0)
            else:
                found.append(up[j] + at[instant] - at[times[j]] if active[j] else up[j])
        return business, found

    def last_ping_at(self, instant: int) -> int | None:
        """Instant of the latest ping at or before ``instant`` (None when there is none)."""
        j = bisect_right(self.times, instant) - 1
        return self.times[j] if j >= 0 else None

    def status_at(self, instant: int) -> bool | None:
        """Status of the latest ping at or before ``instant`` (None when there is none)."""
        j = bisect_right(self.times, instant) - 1
        return bool(self.active[j]) if j >= 0 else None

    def encode(self) -> bytes:
        """Compact binary form for table storage: fixed header, then three packed columns."""
        times = array("q", self.times)
        up = array("q", self.up)
        if sys.byteorder != "little":
            times.byteswap()
            up.byteswap()
        header = _HEADER.pack(_FORMAT_VERSION, self.fingerprint, len(self.times))
        return header + times.tobytes() + bytes(self.active) + up.tobytes()

    @staticmethod
    def latest_of(data: bytes) -> int | None:
        """The latest kept ping of an encoded state, read without decoding the rest."""
        _, _, count = _HEADER.unpack_from(data)
        if not count:
            return None
        return int.from_bytes(
            data[_HEADER.size + 8 * (count - 1) : _HEADER.size + 8 * count], "little", signed=True
        )

    @staticmethod
    def inactive_last(data: bytes) -> bool:
        """True when the latest kept ping of an encoded state is inactive, read without decoding."""
        _, _, count = _HEADER.unpack_from(data)
        return bool(count) and data[_HEADER.size + 9 * count - 1] == 0

    @classmethod
    def decode(cls, data: bytes) -> StoreState:
        """The state encoded at the start of ``data``; bytes after it (a table's own) are not read."""
        version, fingerprint, count = _HEADER.unpack_from(data)
        if version != _FORMAT_VERSION:
            raise ValueError(f"unsupported store state format {version}")
        offset = _HEADER.size
        times = array("q")
        times.frombytes(data[offset : offset + 8 * count])
        offset += 8 * count
        active = bytearray(data[offset : offset + count])
        offset += count
        up = array("q")
        up.frombytes(data[offset : offset + 8 * count])
        if sys.byteorder != "little":
            times.byteswap()
            up.byteswap()
        return cls(fingerprint=fingerprint, times=times.tolist(), active=active, up=up.tolist())

    def _restate_last(self, is_active: bool) -> AddResult:
        """A ping at the latest kept instant: ``inactive`` wins (no total after it to shift)."""
        if is_active or not self.active[-1]:
            return AddResult.DUPLICATE
        self.active[-1] = 0
        return AddResult.CHANGED

    def _extend_running(self, start: int, profile: StoreProfile) -> None:
        """Running totals of the pings appended from index ``start`` on, from the one before them."""
        times, flags, up = self.times, self.active, self.up
        if start == len(times):
            return
        base = max(start - 1, 0)
        readings = profile.calendar.running_business(times[base:])
        running = up[base] if start else 0
        if not start:
            up.append(0)
        for i in range(1, len(readings)):
            if flags[base + i - 1]:
                running += readings[i] - readings[i - 1]
            up.append(running)

    def _shift(self, start: int, delta: int) -> None:
        if delta:
            up = self.up
            for i in range(start, len(up)):
                up[i] += delta

    def prune(self, retention: int) -> None:
        """Drop pings before the horizon except the last one, which sets the status at the horizon."""
        times = self.times
        if not times:
            return
        drop = bisect_left(times, times[-1] - retention) - 1
        if drop > 0:
            del times[:drop]
            del self.active[:drop]
            del self.up[:drop]
            if self.up and self.up[0]:
                base = self.up[0]
                self.up = [u - base for u in self.up]

    def _recompute(self, profile: StoreProfile) -> None:
        readings = profile.calendar.running_business(self.times)
        flags = self.active
        up = [0] * len(readings)
        running = 0
        for i in range(1, len(readings)):
            if flags[i - 1]:
                running += readings[i] - readings[i - 1]
            up[i] = running
        self.up = up
