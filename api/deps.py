"""FastAPI dependencies: the running worker's services and the optional bearer-token check.

All are ``async def``: FastAPI would run plain functions in a thread pool, which costs more than they do.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPBearer

from api.cluster import Cluster
from api.reports import ReportService
from storemon.settings import Settings
from streams.app import StoreStreams

T = TypeVar("T")


def _from_app_state(name: str, kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency handing out the service ``create_api`` put on ``app.state`` (``kind`` types it)."""

    async def dependency(request: Request) -> T:
        service: T = getattr(request.app.state, name)
        return service

    return dependency


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


SettingsDep = Annotated[Settings, Depends(_from_app_state("settings", Settings))]
StreamsDep = Annotated[StoreStreams, Depends(_from_app_state("streams", StoreStreams))]
ClusterDep = Annotated[Cluster, Depends(_from_app_state("cluster", Cluster))]
ReportsDep = Annotated[ReportService, Depends(_from_app_state("reports", ReportService))]
