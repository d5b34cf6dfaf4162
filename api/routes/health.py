"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import RegistryDep, WorkerDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving HTTP."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(worker: WorkerDep, response: Response) -> dict[str, str]:
    """Ready when Kafka answers, the worker has joined its group, its tables are not recovering and its
    agents run."""
    if worker.ready:
        return {"status": "ready"}
    response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    unreachable = worker.kafka_unreachable
    if unreachable is not None:
        return {"status": "Kafka unreachable", "detail": unreachable}
    crashed = worker.progress.crashed
    if crashed:
        return {
            "status": "agent crashed",
            "detail": "; ".join(f"{a}: {e}" for a, e in sorted(crashed.items())),
        }
    return {"status": "recovering"}


@router.get("/metrics", include_in_schema=False)
async def metrics(worker: WorkerDep, registry: RegistryDep) -> Response:
    worker.update_lag()
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
