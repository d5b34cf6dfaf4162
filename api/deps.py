"""FastAPI dependencies: the running worker's services and the optional bearer-token check.

All are ``async def``: FastAPI would run plain functions in a thread pool, which costs more than they do.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPBearer

from api.cluster import Cluster
from api.reports import ReportService
from storemon.settings import Settings
from streams.app import StoreStreams


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_streams(request: Request) -> StoreStreams:
    streams: StoreStreams = request.app.state.streams
    return streams


class BearerToken(HTTPBearer):
    """Every /api route depends on this; it lets everything through when no token is configured.

    One dependency that is also the OpenAPI security scheme: lookups are the hot path, and each
    dependency FastAPI resolves costs them about 25 microseconds.
    """

    def __init__(self) -> None:
        super().__init__(auto_error=False)

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        settings: Settings = request.app.state.settings
        if settings.api_token is None:
            return
        credentials = await super().__call__(request)
        expected = settings.api_token.get_secret_value().encode()
        given = credentials.credentials.encode() if credentials is not None else b""
        if not secrets.compare_digest(given, expected):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"}
            )


require_token = BearerToken()


async def get_cluster(request: Request) -> Cluster:
    cluster: Cluster = request.app.state.cluster
    return cluster


async def get_reports(request: Request) -> ReportService:
    reports: ReportService = request.app.state.reports
    return reports


SettingsDep = Annotated[Settings, Depends(get_settings)]
StreamsDep = Annotated[StoreStreams, Depends(get_streams)]
ClusterDep = Annotated[Cluster, Depends(get_cluster)]
ReportsDep = Annotated[ReportService, Depends(get_reports)]
