"""The pure uptime engine: business calendars, per-store incremental state and report rows.

Nothing here touches Kafka, files or the network, so it can be tested exhaustively and reused by
the offline report, the Faust worker and the API alike.
"""

from streams.engine.calendar import BusinessCalendar
from streams.engine.closures import Closure
from streams.engine.profile import DEFAULT_PROFILE, StoreProfile
from streams.engine.report import (
    CSV_HEADER,
    WINDOWS,
    StoreStatus,
    UptimeRow,
    store_status,
    uptime_row,
    write_report_csv,
)
from streams.engine.schedule import HoursRow, WeeklySchedule
from streams.engine.state import DEFAULT_RETENTION, AddResult, StoreState
from streams.engine.units import DAY, HOUR, MINUTE, SECOND, WEEK
from streams.engine.zones import DEFAULT_TIMEZONE, ZoneTimeline, is_known_timezone, zone_timeline

__all__ = [
    "CSV_HEADER",
    "DAY",
    "DEFAULT_PROFILE",
    "DEFAULT_RETENTION",
    "DEFAULT_TIMEZONE",
    "HOUR",
    "MINUTE",
    "SECOND",
    "WEEK",
    "WINDOWS",
    "AddResult",
    "BusinessCalendar",
    "Closure",
    "HoursRow",
    "StoreProfile",
    "StoreState",
    "StoreStatus",
    "UptimeRow",
    "WeeklySchedule",
    "ZoneTimeline",
    "is_known_timezone",
    "store_status",
    "uptime_row",
    "write_report_csv",
    "zone_timeline",
]
