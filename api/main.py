"""The API application, which also runs the Faust worker inside its lifespan (one process, one loop)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from prometheus_client import Histogram

from api.cluster import Cluster
from api.deps import require_token
from api.reports import ReportService, ReportStore
from api.routes import health, internal, reports, stores, worker
from storemon.settings import Settings
from streams.app import StoreStreams, StreamsConfig
from streams.topics import ensure_topics

log = logging.getLogger(__name__)
# Uncommitted offsets are safe to lose (processing is at-least-once and the state canonical), so a
# stop waits this long for Faust, then lets the process exit.
STOP_TIMEOUT = 15.0


def streams_config(settings: Settings) -> StreamsConfig:
    return StreamsConfig(
        app_id=settings.app_id,
        bootstrap=settings.broker,
        partitions=settings.partitions,
        data_dir=settings.data_dir,
        topics=settings.topics,
        canonical_url=settings.canonical_url,
        retention=settings.retention,
    )


def create_api(settings: Settings) -> FastAPI:
    streams = StoreStreams(streams_config(settings))
    cluster = Cluster(streams, settings)
    duration = Histogram(
        "storemon_report_seconds",
        "time from trigger to a finished report",
        ["status"],
        registry=streams.registry,
    )
    report_service = ReportService(
        ReportStore(settings.data_dir / "reports"), cluster, streams.side, duration
    )

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        await ensure_topics(settings.broker, settings.topics, settings.partitions, streams.changelog_topics)
        await asyncio.gather(streams.side.start(), streams.app.start())
        # What exists now lives as long as the process. Frozen, it is left out of the collector's full
        # passes, which then stall the loop (and every lookup waiting on it) for about 15 ms, not 40-90.
        gc.collect()
        gc.freeze()
        refresher = asyncio.get_running_loop().create_task(cluster.refresh_watermark_forever())
        report_service.resume_interrupted()
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            stopping = asyncio.ensure_future(streams.app.stop())
            if not (await asyncio.wait({stopping}, timeout=STOP_TIMEOUT))[0]:
                # e.g. the broker is gone and Faust keeps retrying its last commit
                log.warning("the stream processor did not stop within %.0f s; exiting anyway", STOP_TIMEOUT)
                stopping.cancel()
            streams.side.close()
            await cluster.close()

    api = FastAPI(
        title="storemon", summary="Store uptime over business hours, from a ping stream", lifespan=lifespan
    )
    api.state.settings = settings
    api.state.streams = streams
    api.state.cluster = cluster
    api.state.reports = report_service
    api.include_router(health.router)
    secured = [Depends(require_token)]
    for module in (reports, stores, worker, internal):
        api.include_router(module.router, dependencies=secured)
    return api
