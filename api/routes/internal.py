"""Worker-to-worker routes: the parts a report or a lookup gathers from the worker holding them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from api.deps import GroupDep, WorkerDep
from api.schemas import StoreOutages, StoreUptime
from streams.engine.units import EARLIEST, LATEST

# Instants the engine accepts, checked before anything is computed.
Instant = Annotated[int, Query(ge=EARLIEST, lt=LATEST, description="microseconds since the Unix epoch")]
router = APIRouter(prefix="/api/internal", tags=["internal"], include_in_schema=False)


@router.get("/watermark")
async def watermark(worker: WorkerDep) -> dict[str, int | None]:
    return {"watermark_us": worker.watermark()}


@router.get("/report-part")
async def report_part(group: GroupDep, as_of_us: Instant) -> dict[str, Any]:
    partitions, lines = await group.report_part_here(as_of_us)
    return {"partitions": sorted(partitions), "csv": lines}


@router.get("/outages-part")
async def outages_part(group: GroupDep, as_of_us: Instant) -> dict[str, list[Any]]:
    partitions, found = await group.outages_part_here(as_of_us)
    return {"partitions": sorted(partitions), "rows": [[*placed.outage, placed.timezone] for placed in found]}


@router.get("/fleet-part")
async def fleet_part(group: GroupDep, as_of_us: Instant) -> dict[str, list[Any]]:
    partitions, rows = await group.fleet_part_here(as_of_us)
    return {"partitions": sorted(partitions), "rows": [list(row) for row in rows]}


@router.get("/stores/{store_id}/timeline.svg")
async def timeline(
    group: GroupDep,
    store_id: Annotated[str, Path(min_length=1, max_length=128)],
    as_of_us: Instant,
) -> Response:
    return Response(group.timeline_here(store_id, as_of_us), media_type="image/svg+xml")


@router.get("/stores/{store_id}/outages", response_model=StoreOutages)
async def store_outages(
    group: GroupDep,
    store_id: Annotated[str, Path(min_length=1, max_length=128)],
    as_of_us: Instant,
) -> Response:
    return Response(group.store_outages_here(store_id, as_of_us), media_type="application/json")


@router.get("/stores/{store_id}", response_model=StoreUptime)
async def store(
    group: GroupDep,
    store_id: Annotated[str, Path(min_length=1, max_length=128)],
    as_of_us: Instant,
) -> Response:
    return Response(group.lookup_here(store_id, as_of_us), media_type="application/json")
