"""Faults injected into a worker process's faust-streaming, put on its ``PYTHONPATH`` by a test.

``STOREMON_FAULT_NO_COMMIT=1``: the consumer never commits, as a worker killed before its first
commit. ``STOREMON_FAULT_RECOVERY_END_DELAY=<seconds>``: the end of each table recovery (changelog
partitions paused, source partitions not resumed yet) lasts that much longer, so that a fetch in
flight returns within it.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer

if os.environ.get("STOREMON_FAULT_NO_COMMIT") == "1":

    async def never_commit(self: Consumer, *args: Any, **kwargs: Any) -> bool:
        return False

    Consumer.commit = never_commit  # type: ignore[method-assign]

if delay := float(os.environ.get("STOREMON_FAULT_RECOVERY_END_DELAY", "0")):
    recovery_completed = Recovery.on_recovery_completed

    async def late_recovery_completed(self: Recovery, *args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(delay)
        await recovery_completed(self, *args, **kwargs)

    Recovery.on_recovery_completed = late_recovery_completed  # type: ignore[method-assign]
