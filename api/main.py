"""The FastAPI application: it collects the routers and maps domain errors; it builds nothing.

The worker process (``storemon.worker``) builds the services and the lifespan that runs them;
the route tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import Depends, FastAPI

from api.body_limit import BodyLimit
from api.deps import Services, require_token, token_unless_public
from api.errors import install_error_handlers
from api.routes import (
    events,
    fleet,
    health,
    ingest,
    internal,
    outages,
    public,
    reports,
    silences,
    stores,
    worker,
)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_api(services: Services, lifespan: Lifespan | None = None) -> FastAPI:
    api = FastAPI(
        title="storemon", summary="Store uptime over business hours, from a ping stream", lifespan=lifespan
    )
    api.state.services = services
    install_error_handlers(api)
    api.add_middleware(BodyLimit)
    api.include_router(health.router)
    secured = [Depends(require_token)]
    # Routes are matched in order: lookups, the hot path, first.
    for module in (stores, reports, ingest, outages, silences, events, fleet, worker, internal):
        api.include_router(module.router, dependencies=secured)
    api.include_router(public.router, dependencies=[Depends(token_unless_public)])
    return api
