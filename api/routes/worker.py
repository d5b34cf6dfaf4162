"""The worker's own progress: what it has processed, so callers can tell when it has caught up."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import WorkerDep

router = APIRouter(prefix="/api/worker", tags=["worker"])


class WorkerStatus(BaseModel):
    ready: bool
    next_offsets: dict[str, dict[int, int]]
    outcomes: dict[str, int]
    crashed_agents: dict[str, str]
    watermark_us: int | None


@router.get("/status")
async def worker_status(worker: WorkerDep) -> WorkerStatus:
    """Next offset to process per topic partition held by this worker, and ping outcomes so far."""
    return WorkerStatus(
        ready=worker.ready,
        next_offsets=worker.progress.next_offsets,
        outcomes=dict(worker.progress.outcomes),
        crashed_agents=worker.progress.crashed,
        watermark_us=worker.watermark(),
    )
