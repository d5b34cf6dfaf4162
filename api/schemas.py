"""The API's response bodies that more than one module builds or reads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from streams.engine.report import Standing

REPORT_ID_PATTERN = r"^[A-Za-z0-9_-]{22}$"


class ReportStatus(StrEnum):
    RUNNING = "Running"
    COMPLETE = "Complete"
    FAILED = "Failed"


class UptimeFigures(BaseModel):
    """A store's report row: hour figures in minutes, day and week figures in hours."""

    store_id: str
    uptime_last_hour: float
    uptime_last_day: float
    uptime_last_week: float
    downtime_last_hour: float
    downtime_last_day: float
    downtime_last_week: float


class StoreUptime(UptimeFigures):
    as_of: datetime
    status: Literal["active", "inactive"]  # what its last ping said
    standing: Standing  # as the fleet counts it: closed, silent, up or down
    open_now: bool  # in its business hours at as_of
    last_ping: datetime
    silent_since: datetime | None = None  # when it fell silent, while no ping has been heard since


class HoursEntry(BaseModel):
    """One business-hours row, as the hours file holds it (day 0 is Monday; times local)."""

    model_config = ConfigDict(extra="forbid")

    day: int | str
    start_time_local: str
    end_time_local: str


class ClosureEntry(BaseModel):
    """Local dates, both inclusive, on which the store is closed whatever its hours say."""

    model_config = ConfigDict(extra="forbid")

    start_date: str = Field(examples=["2023-12-24"])
    end_date: str = Field(examples=["2023-12-26"])
    reason: str = ""


class ProfileIn(BaseModel):
    """A store's whole profile, nothing else. A misspelt field must not silently replace the store's
    hours with 24x7 (``"hours": []`` says that on purpose; ``"timezone": null``, the default zone).
    Without ``closures`` the store has none: the profile replaces the previous one whole."""

    model_config = ConfigDict(extra="forbid")

    timezone: str | None
    hours: list[HoursEntry]
    closures: list[ClosureEntry] = []


class ProfileOut(BaseModel):
    store_id: str
    is_default: bool  # no profile set: 24x7 in the default zone
    timezone: str | None
    effective_timezone: str
    hours: list[HoursEntry]
    closures: list[ClosureEntry] = []  # a worker of an earlier version answers without them


class PingsAccepted(BaseModel):
    accepted: int
    stores: int


class OutageOut(BaseModel):
    """One outage (``streams.outages.records``): instants ISO 8601 in UTC, and in the store's zone."""

    store_id: str
    started_at: str
    ended_at: str | None  # null while it goes on at as_of
    began_before_window: bool
    business_started_at: str
    business_downtime_minutes: float
    timezone: str
    started_at_local: str
    ended_at_local: str | None
    business_started_at_local: str


class StoreOutages(BaseModel):
    store_id: str
    as_of: str
    outages: list[OutageOut]


class HistoryDay(BaseModel):
    """One date of the daily history: its business minutes, and of them the minutes up and down."""

    date: str  # YYYY-MM-DD, the store's local date (the fleet's: UTC)
    business_minutes: float
    uptime_minutes: float
    downtime_minutes: float
    closed: bool  # a closure covers the date (the fleet's: always false)


class PublicStatus(BaseModel):
    """A store's public status page: nothing but this store, and no ping."""

    store_id: str
    as_of: datetime
    standing: Standing
    timezone: str
    hours: list[str]  # a line per weekday, in the store's own time
    closures: list[ClosureEntry]
    uptime_percent_last_day: float | None  # of business time; null without any
    uptime_percent_last_week: float | None
    days: list[HistoryDay]  # the last 30 local dates, oldest first


class StoreHistory(BaseModel):
    store_id: str
    timezone: str
    as_of: str
    days: list[HistoryDay]  # oldest first, from the date of the store's first ping


class FleetHistoryDay(BaseModel):
    """One UTC date of the fleet: its stores' business minutes, and of them the minutes up and down."""

    date: str
    business_minutes: float
    uptime_minutes: float
    downtime_minutes: float
    stores: int  # stores with a ping by the date's end (or by as_of)


class FleetHistory(BaseModel):
    as_of: str
    days: list[FleetHistoryDay]  # oldest first


class OutagePage(BaseModel):
    as_of: str
    outages: list[OutageOut]
    next_cursor: str | None


class SilenceOut(BaseModel):
    """One silence (``streams.silences.log``): instants ISO 8601 in UTC, and in the store's zone."""

    store_id: str
    started_at: str  # when the store fell silent: the first business instant its silence time after
    last_ping: str  # its last ping before
    ended_at: str | None  # the ping it was heard again at; null while it goes on at as_of
    timezone: str
    started_at_local: str
    last_ping_local: str
    ended_at_local: str | None


class SilencePage(BaseModel):
    as_of: str
    silences: list[SilenceOut]
    next_cursor: str | None


class RecentDates(BaseModel):
    """A store's daily history over its last dates summed: business minutes, and of them up and down."""

    dates: int  # local dates of its history in the period: fewer for a store younger than it
    business_minutes: float
    uptime_minutes: float
    downtime_minutes: float


class FleetStore(UptimeFigures):
    """One store in the fleet view; ``standing`` is closed, silent (open, no ping for the silence
    time), up or down."""

    status: Literal["active", "inactive"]
    standing: Standing
    last_ping: str
    open_now: bool
    timezone: str
    recent: str = Field(
        description="the last 24 hours, oldest first, a letter each: u up, d down, s silent, c closed, "
        "n no data"
    )
    last_30_days: RecentDates | None = Field(
        default=None,
        description="its last 30 local dates through the listing's as_of's, from its daily history; null "
        "when none is kept or the worker holding the store could not be asked",
    )


class FleetPage(BaseModel):
    as_of: str
    total: int  # stores the filters admit
    offset: int
    stores: list[FleetStore]
    next_cursor: str | None
    previous_cursor: str | None


class FleetProgress(BaseModel):
    as_of: str  # now: the group's watermark, or the wall clock ("" before any ping)
    lag_messages: int  # not yet processed by this worker


class FleetHour(BaseModel):
    start: str  # the UTC hour
    down: int  # stores with an outage reaching into it
    silent: int  # stores silent in it


class FleetHours(BaseModel):
    as_of: str
    hours: list[FleetHour] = Field(description="oldest first, the last holding as_of")


class FleetSummary(FleetProgress):
    stores: int
    open_now: int
    up: int
    down: int
    silent: int
    closed: int
    # Stores per tenth of uptime over their business time (0-10 %, ..., 90-100 %); stores with no
    # business time in the window are left out.
    uptime_last_day: list[int]
    uptime_last_week: list[int]
    timezones: dict[str, int] = Field(default_factory=dict, description="stores per timezone, the most first")


class ReportListed(BaseModel):
    """A kept report as the reports list shows it."""

    report_id: str
    as_of: datetime | None = Field(
        description="the instant it describes; null until a report triggered without one starts"
    )
    status: ReportStatus
    created_at: datetime
    finished_at: datetime | None = None
    error: str | None = None


class ReportList(BaseModel):
    reports: list[ReportListed] = Field(description="newest first")
    earliest_as_of: datetime | None = Field(description="the earliest as_of a report may be asked at")
    latest_as_of: datetime | None = Field(description="the latest: now")
