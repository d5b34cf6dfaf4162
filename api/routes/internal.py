"""Worker-to-worker routes: a worker's part of a gathering, and the answers about a store it holds."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from api.deps import GatheringDep, StoresDep, WorkerDep
from api.params import StoreId
from api.schemas import ProfileOut, StoreHistory, StoreOutages, StoreUptime
from api.services.gathering import fleet_row_fields, placed_fields
from api.services.stores import HISTORY_SUMS_PATH
from streams.engine.units import EARLIEST, LATEST

# Instants the engine accepts, checked before anything is computed.
Instant = Annotated[int, Query(ge=EARLIEST, lt=LATEST, description="microseconds since the Unix epoch")]
router = APIRouter(prefix="/api/internal", tags=["internal"], include_in_schema=False)


@router.get("/watermark")
async def watermark(worker: WorkerDep) -> dict[str, int | str | None]:
    return {"watermark_us": worker.watermark(), "version": worker.version()}


@router.get("/report-part")
async def report_part(gathering: GatheringDep, worker: WorkerDep, as_of_us: Instant) -> dict[str, Any]:
    partitions, lines = await gathering.here(worker.report_part, as_of_us)
    return {"partitions": sorted(partitions), "csv": lines}


@router.get("/outages-part")
async def outages_part(gathering: GatheringDep, worker: WorkerDep, as_of_us: Instant) -> dict[str, list[Any]]:
    partitions, found = await gathering.here(worker.outages_part, as_of_us)
    return {"partitions": sorted(partitions), "rows": [placed_fields(placed) for placed in found]}


@router.get("/silences-part")
async def silences_part(
    gathering: GatheringDep, worker: WorkerDep, as_of_us: Instant
) -> dict[str, list[Any]]:
    partitions, found = await gathering.here(worker.silences_part, as_of_us)
    return {"partitions": sorted(partitions), "rows": [placed_fields(placed) for placed in found]}


@router.get("/fleet-part")
async def fleet_part(gathering: GatheringDep, worker: WorkerDep, as_of_us: Instant) -> dict[str, list[Any]]:
    partitions, rows = await gathering.here(worker.fleet_part, as_of_us)
    return {"partitions": sorted(partitions), "rows": [fleet_row_fields(row) for row in rows]}


@router.get("/fleet-history-part")
async def fleet_history_part(
    gathering: GatheringDep, worker: WorkerDep, as_of_us: Instant, days: int
) -> dict[str, Any]:
    part = partial(worker.fleet_history_part, days=days)
    partitions, sums = await gathering.here(part, as_of_us)
    return {"partitions": sorted(partitions), "days": sums}


@router.get("/stores/{store_id}/timeline.svg")
async def timeline(stores: StoresDep, store_id: StoreId, as_of_us: Instant) -> Response:
    return Response(stores.timeline_here(store_id, as_of_us), media_type="image/svg+xml")


@router.get("/stores/{store_id}/outages", response_model=StoreOutages)
async def store_outages(stores: StoresDep, store_id: StoreId, as_of_us: Instant) -> Response:
    return Response(stores.outages_here(store_id, as_of_us), media_type="application/json")


@router.get("/stores/{store_id}/history", response_model=StoreHistory)
async def store_history(stores: StoresDep, store_id: StoreId, as_of_us: Instant, days: int) -> Response:
    return Response(stores.history_here(store_id, as_of_us, days), media_type="application/json")


@router.post(HISTORY_SUMS_PATH.removeprefix(router.prefix))
async def history_sums(
    stores: StoresDep,
    as_of_us: Instant,
    days: int,
    store_ids: Annotated[list[str], Body(max_length=500)],  # a page of the fleet listing at most
) -> dict[str, Any]:
    return {"sums": stores.history_sums_here(store_ids, as_of_us, days)}


@router.get("/stores/{store_id}/profile", response_model=ProfileOut)
async def profile(stores: StoresDep, store_id: StoreId) -> Response:
    return Response(stores.profile_here(store_id), media_type="application/json")


@router.get("/stores/{store_id}", response_model=StoreUptime)
async def store(stores: StoresDep, store_id: StoreId, as_of_us: Instant) -> Response:
    return Response(stores.lookup_here(store_id, as_of_us), media_type="application/json")
