"""A store's profile (timezone, business hours and closures) and the calendar it implies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from weakref import WeakValueDictionary

from streams.engine.calendar import BusinessCalendar
from streams.engine.closures import Closure, closed_spans
from streams.engine.schedule import HoursRow, WeeklySchedule, shared_row
from streams.engine.zones import DEFAULT_TIMEZONE, is_known_timezone, zone_timeline


@dataclass(frozen=True, slots=True)
class StoreProfile:
    """What a store declared about itself. ``timezone`` is kept as given; ``hours`` and ``closures``
    sorted, unique."""

    timezone: str | None = None
    hours: tuple[HoursRow, ...] = ()
    closures: tuple[Closure, ...] = ()
    calendar: BusinessCalendar = field(init=False, compare=False, repr=False)
    fingerprint: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        hours = tuple(map(shared_row, sorted(set(self.hours))))
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "closures", tuple(sorted(set(self.closures))))
        zone = self.effective_timezone
        closed = closed_spans(self.closures)
        object.__setattr__(self, "calendar", _calendar(zone, hours, closed))
        object.__setattr__(self, "fingerprint", _fingerprint(zone, hours, closed))

    def closed_on(self, day: date) -> bool:
        """Whether one of the store's closures covers local date ``day``."""
        return any(closure.start_date <= day <= closure.end_date for closure in self.closures)

    @property
    def timezone_known(self) -> bool:
        """False for a named zone that zoneinfo does not know (worth a data warning)."""
        return not self.timezone or is_known_timezone(self.timezone)

    @property
    def effective_timezone(self) -> str:
        """The zone the wall-clock rule uses: the store's own, or the default when missing or unknown."""
        if self.timezone and is_known_timezone(self.timezone):
            return self.timezone
        return DEFAULT_TIMEZONE


# Many stores share a zone and a schedule; sharing the calendar shares its caches too. Shared, not
# kept: a calendar lives as long as a profile holds it, so what stays in memory (and what the cyclic
# collector walks on each full pass) is bounded by the profiles the caller keeps, not by the fleet.
_CalendarKey = tuple[str, tuple[HoursRow, ...], tuple[tuple[int, int], ...]]
_calendars: WeakValueDictionary[_CalendarKey, BusinessCalendar] = WeakValueDictionary()


def _calendar(
    zone: str, hours: tuple[HoursRow, ...], closed: tuple[tuple[int, int], ...]
) -> BusinessCalendar:
    key = (zone, hours, closed)
    calendar = _calendars.get(key)
    if calendar is None:
        calendar = BusinessCalendar(zone_timeline(zone), WeeklySchedule.from_rows(hours), closed)
        _calendars[key] = calendar
    return calendar


def _fingerprint(zone: str, hours: tuple[HoursRow, ...], closed: tuple[tuple[int, int], ...]) -> int:
    """A process-independent digest of what the calendar depends on (Python's hash() is salted).
    A closure's reason is not part of it: only its dates change a figure."""
    text = zone + "|" + ";".join(f"{d},{s},{e}" for d, s, e in hours)
    if closed:
        text += "|" + ";".join(f"{start},{end}" for start, end in closed)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


DEFAULT_PROFILE = StoreProfile()
