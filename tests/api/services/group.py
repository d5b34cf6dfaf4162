"""The group's services over a fake worker, built and closed around one call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from api.services.gathering import GroupGathering
from api.services.peers import Peers
from api.services.stores import RoutedStoreAnswers
from streams.engine import StoreStatus, UptimeRow
from streams.engine.instants import ClockMode
from tests.api.fakes import FakeWorker, InlineSide
from tests.helpers import instant

ROW = UptimeRow("s1", 60.0, 5.0, 5.5, 0.0, 2.5, 2.5)
LINE = "s1,60.0,5.0,5.5,0.0,2.5,2.5\n"  # ROW as the report's CSV has it
LAST = instant("2023-01-23T19:00:00")
AS_OF = instant("2023-01-23T21:30:00")
CLOSED_PORT = "http://127.0.0.1:9"  # discard: nothing listens there


@dataclass
class Group:
    peers: Peers
    gathering: GroupGathering
    stores: RoutedStoreAnswers


def run(
    worker: FakeWorker, call: Callable[[Group], Awaitable[Any] | Any], clock: ClockMode = ClockMode.EVENT
) -> Any:
    """``call`` on the services of a group of two partitions whose only worker is ``worker``."""

    async def scenario() -> Any:
        peers = Peers(worker, clock=clock)
        group = Group(
            peers,
            GroupGathering(peers, worker, InlineSide(), partitions=2),
            RoutedStoreAnswers(peers, worker),
        )
        try:
            answer = call(group)
            return await answer if asyncio.iscoroutine(answer) else answer
        finally:
            await peers.close()

    return asyncio.run(scenario())


def worker() -> FakeWorker:
    return FakeWorker(
        stores={"s1": StoreStatus(ROW, True, LAST, True)}, latest=AS_OF, partitions=frozenset({0, 1})
    )
