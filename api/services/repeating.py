"""Background passes that run while a service is up: the watermark refresh, report supervision."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

log = logging.getLogger(__name__)


@asynccontextmanager
async def repeating(every: float, job: Callable[[], Awaitable[object]], what: str) -> AsyncIterator[None]:
    """Meanwhile, ``job()`` once every ``every`` seconds; a pass that fails is logged, the next one runs."""

    async def run_forever() -> None:
        while True:
            try:
                await job()
            except Exception as error:
                log.warning("%s failed: %s", what, error)
            await asyncio.sleep(every)

    task = asyncio.get_running_loop().create_task(run_forever())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
