"""Worker-to-worker routes: the parts a report or a lookup gathers from the worker holding them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from api.deps import LookupsDep, WorkerDep
from api.schemas import StoreUptime

router = APIRouter(prefix="/api/internal", tags=["internal"], include_in_schema=False)


@router.get("/watermark")
async def watermark(worker: WorkerDep) -> dict[str, int | None]:
    return {"watermark_us": worker.watermark()}


@router.get("/report-part")
async def report_part(worker: WorkerDep, as_of_us: Annotated[int, Query()]) -> dict[str, list[Any]]:
    partitions, rows = await worker.report_part(as_of_us)
    return {"partitions": sorted(partitions), "rows": [list(row) for row in rows]}


@router.get("/stores/{store_id}", response_model=StoreUptime)
async def store(
    lookups: LookupsDep,
    store_id: Annotated[str, Path(min_length=1, max_length=128)],
    as_of_us: Annotated[int, Query()],
) -> Response:
    return Response(lookups.lookup_here(store_id, as_of_us), media_type="application/json")
