"""Weekly business hours of one store, as a union of intervals over a local Monday-to-Sunday week."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from streams.engine.units import DAY, SECOND, WEEK

H = TypeVar("H", bound=Hashable)


class Interner(Generic[H]):
    """Hands out one shared object for equal values, so that many profiles hold one copy of them.

    Business hours repeat across stores: a fleet of 100,000 stores with nearly all different weekly
    hours had 336 distinct rows between them, and their boundaries in microseconds repeat as well.
    Bounded: once ``limit`` values are kept, new ones are handed back as they came.
    """

    def __init__(self, limit: int = 1 << 16) -> None:
        self.limit = limit
        self._kept: dict[H, H] = {}

    def __call__(self, value: H) -> H:
        kept = self._kept.get(value)
        if kept is None:
            if len(self._kept) >= self.limit:
                return value
            kept = self._kept[value] = value
        return kept


class HoursRow(NamedTuple):
    """One business-hours row: weekday (0 = Monday) and local times as seconds after midnight."""

    day: int
    start: int
    end: int


def clock_text(seconds: int) -> str:
    """``HH:MM:SS`` for seconds after local midnight; the inverse of ``parse_clock``."""
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


shared_row: Interner[HoursRow] = Interner()
_shared_instant: Interner[int] = Interner()


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Disjoint, sorted open intervals in microseconds since Monday 00:00 local time.

    ``cumulative[i]`` is the open time before interval ``i``, so the open time up to any point of
    the week is one bisection away; that is what keeps every window query constant-time.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    cumulative: tuple[int, ...]
    total: int

    @classmethod
    def from_rows(cls, rows: Iterable[HoursRow]) -> WeeklySchedule:
        """Build the union of ``rows``; no rows at all means open 24x7.

        A row whose end is not after its start runs overnight into the next weekday (Sunday spills
        into Monday); start == end is a full 24 hours.
        """
        pieces: list[tuple[int, int]] = []
        for day, start, end in rows:
            base = day * DAY
            if end > start:
                pieces.append((base + start * SECOND, base + end * SECOND))
            else:
                pieces.append((base + start * SECOND, base + DAY))
                next_base = ((day + 1) % 7) * DAY
                if end > 0:
                    pieces.append((next_base, next_base + end * SECOND))
        if not pieces:
            pieces.append((0, WEEK))
        return cls._from_pieces(pieces)

    @classmethod
    def _from_pieces(cls, pieces: list[tuple[int, int]]) -> WeeklySchedule:
        merged: list[list[int]] = []
        for start, end in sorted(pieces):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        cumulative = []
        total = 0
        for start, end in merged:
            cumulative.append(total)
            total += end - start
        return cls(
            starts=tuple(_shared_instant(s) for s, _ in merged),
            ends=tuple(_shared_instant(e) for _, e in merged),
            cumulative=tuple(map(_shared_instant, cumulative)),
            total=total,
        )

    @property
    def always_open(self) -> bool:
        return self.total == WEEK

    def open_before(self, local: int) -> int:
        """Open time in ``[0, local)``, where ``local`` counts microseconds from a local Monday 00:00."""
        weeks, offset = divmod(local, WEEK)
        i = bisect_right(self.starts, offset) - 1
        within = 0 if i < 0 else self.cumulative[i] + min(offset, self.ends[i]) - self.starts[i]
        return weeks * self.total + within

    def next_open(self, local: int) -> int:
        """The first open local instant at or after ``local`` (every schedule is open some of the week)."""
        weeks, offset = divmod(local, WEEK)
        i = bisect_right(self.starts, offset) - 1
        if i >= 0 and offset < self.ends[i]:
            return local
        if i + 1 < len(self.starts):
            return weeks * WEEK + self.starts[i + 1]
        return (weeks + 1) * WEEK + self.starts[0]
