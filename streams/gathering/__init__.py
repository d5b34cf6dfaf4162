"""Gathering: every store a worker holds read and computed in its report processes, off its event loop.

A report, the fleet view and the outage listings read every store; the worker's report processes
(``processes``) open its RocksDB databases as secondary instances (``secondaries``), compute rows
with the engine (``reads``), and the worker that gathers merges the sorted parts (``merge``).
"""

from streams.gathering.merge import StoresHeldTwice, merged_report
from streams.gathering.processes import ReportProcesses, SideProcess, shares_of
from streams.gathering.reads import (
    DaySums,
    FleetRow,
    PlacedOutage,
    PlacedSilence,
    RawStore,
    fleet_at,
    fleet_history_at,
    of_cut,
    outages_at,
    report_part_at,
    rows_at,
    silences_at,
    summed,
    warm,
)

__all__ = [
    "DaySums",
    "FleetRow",
    "PlacedOutage",
    "PlacedSilence",
    "RawStore",
    "ReportProcesses",
    "SideProcess",
    "StoresHeldTwice",
    "fleet_at",
    "fleet_history_at",
    "merged_report",
    "of_cut",
    "outages_at",
    "report_part_at",
    "rows_at",
    "shares_of",
    "silences_at",
    "summed",
    "warm",
]
