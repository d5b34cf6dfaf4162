"""Typed FastAPI dependencies: the services ``create_api`` was given, and the bearer-token check.

All are ``async def``: FastAPI would run plain functions in a thread pool, which costs more than they do.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.security import HTTPBearer
from prometheus_client import CollectorRegistry

from api.ports import Gathering, LocalWorker, Reports, StoreAnswers
from api.services.events import Events
from api.services.fleet import FleetView
from api.services.intake import Intake
from api.services.outages import OutageListing
from api.services.silences import SilenceListing


@dataclass(frozen=True)
class Services:
    """Everything the routes call; the worker process builds the real ones, tests build fakes."""

    worker: LocalWorker
    stores: StoreAnswers
    gathering: Gathering
    reports: Reports
    intake: Intake
    outages: OutageListing
    silences: SilenceListing
    events: Events
    fleet: FleetView
    registry: CollectorRegistry
    token: str | None = None
    public_status: bool = False  # stores' public status pages answered without the token


def services_of(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def _worker(request: Request) -> LocalWorker:
    return services_of(request).worker


async def _stores(request: Request) -> StoreAnswers:
    return services_of(request).stores


async def _gathering(request: Request) -> Gathering:
    return services_of(request).gathering


async def _reports(request: Request) -> Reports:
    return services_of(request).reports


async def _intake(request: Request) -> Intake:
    return services_of(request).intake


async def _outages(request: Request) -> OutageListing:
    return services_of(request).outages


async def _silences(request: Request) -> SilenceListing:
    return services_of(request).silences


async def _events(request: Request) -> Events:
    return services_of(request).events


async def _fleet(request: Request) -> FleetView:
    return services_of(request).fleet


async def _registry(request: Request) -> CollectorRegistry:
    return services_of(request).registry


class BearerToken(HTTPBearer):
    """Every /api route depends on this; it lets everything through when no token is configured, and
    the public status pages (``waived_when_public``) when those are made public.

    One dependency that is also the OpenAPI security scheme: lookups are the hot path, and each
    dependency FastAPI resolves costs them about 25 microseconds.
    """

    def __init__(self, waived_when_public: bool = False) -> None:
        super().__init__(auto_error=False)
        self.waived_when_public = waived_when_public

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        services = services_of(request)
        expected = services.token
        if expected is None or (self.waived_when_public and services.public_status):
            return
        credentials = await super().__call__(request)
        given = credentials.credentials.encode() if credentials is not None else b""
        if not secrets.compare_digest(given, expected.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"}
            )


require_token = BearerToken()
token_unless_public = BearerToken(waived_when_public=True)


async def _max_stale(
    cache_control: Annotated[
        str | None,
        Header(description="``max-stale=N``: a listing at the watermark may be up to N seconds old"),
    ] = None,
) -> float:
    """Seconds old an answer for "now" may be: ``Cache-Control: max-stale=N`` (bare ``max-stale``:
    any age), else 0. Listings answer such readers from the gathering kept ready in the background."""
    for directive in (cache_control or "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.strip().lower() == "max-stale":
            if not value:
                return math.inf
            try:
                seconds = float(value.strip().strip('"'))
            except ValueError:
                return 0.0
            return seconds if math.isfinite(seconds) and seconds > 0 else 0.0
    return 0.0


WorkerDep = Annotated[LocalWorker, Depends(_worker)]
StoresDep = Annotated[StoreAnswers, Depends(_stores)]
GatheringDep = Annotated[Gathering, Depends(_gathering)]
ReportsDep = Annotated[Reports, Depends(_reports)]
IntakeDep = Annotated[Intake, Depends(_intake)]
OutagesDep = Annotated[OutageListing, Depends(_outages)]
SilencesDep = Annotated[SilenceListing, Depends(_silences)]
EventsDep = Annotated[Events, Depends(_events)]
FleetDep = Annotated[FleetView, Depends(_fleet)]
RegistryDep = Annotated[CollectorRegistry, Depends(_registry)]
MaxStale = Annotated[float, Depends(_max_stale)]
