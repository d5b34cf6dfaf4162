"""Benchmark: what notifications cost the replay: replay -> worker caught up, without and with a
notification channel (Apprise ``json://`` to a receiver in this process).

    python -m bench.notifications [--stores 10000] [--days 7.5] [--partitions 8] [--rounds 1]

Each round runs ``bench.stream_throughput``'s measurement twice, each on a fresh broker and worker:
without ``STOREMON_NOTIFY_URLS``, then with it. With it, every outage and silence of the replay is
notified (the default threshold: any business minute) while the worker ingests; the time the
channel took to finish after the worker caught up is printed too. The medians of interleaved
rounds compare the two.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from statistics import median

from alerts.channels import channel_name
from alerts.notifications import notification_ids
from bench.alerts import Receiver, pending
from bench.harness import run_against_worker
from bench.stream_throughput import run_once
from storemon.broker import free_port
from storemon.local import Deployment, WorkerProcess


async def run(source: Path, partitions: int, root: Path, rounds: int) -> None:
    rates: dict[bool, list[float]] = {False: [], True: []}
    for round_ in range(1, rounds + 1):
        for notifying in (False, True):
            print(f"--- round {round_} of {rounds}, {'with' if notifying else 'without'} notifications")
            run_root = root / f"{round_}-{notifying}"
            if notifying:
                rates[True].append(await run_notifying(source, partitions, run_root))
            else:
                os.environ.pop("STOREMON_NOTIFY_URLS", None)
                rates[False].append((await run_once(source, partitions, run_root)).rate)
    without, with_ = median(rates[False]), median(rates[True])
    print(f"median of {rounds}: {without:,.0f} pings/s without notifications, {with_:,.0f} with")
    print(f"with notifications: {with_ / without - 1:+.1%} pings/s against without (bar: >= -10%)")


async def run_notifying(source: Path, partitions: int, root: Path) -> float:
    received: list[float] = []  # when each notification arrived (a digest carries several)

    def arrived(body: dict[str, object]) -> None:
        now = time.perf_counter()
        received.extend(now for _ in notification_ids(str(body["message"])))

    receiver = Receiver(arrived)
    port = free_port()
    await receiver.start(port)
    url = f"json://127.0.0.1:{port}/notify"
    os.environ["STOREMON_NOTIFY_URLS"] = url  # the worker's environment
    marks: list[float] = []

    async def drained(deployment: Deployment, worker: WorkerProcess) -> None:
        marks.append(time.perf_counter())
        group = f"{deployment.name}-notify-{channel_name(url)}"
        while await pending(deployment, group):
            await asyncio.sleep(0.2)
        marks.append(time.perf_counter())

    try:
        rate = (await run_once(source, partitions, root, drained)).rate
    finally:
        await receiver.stop()
    during = sum(1 for at in received if at <= marks[0])
    print(f"notifications: {len(received):,}; {during:,} sent by the time the worker had caught up,")
    print(f"the rest in the {marks[1] - marks[0]:.1f} s after")
    return rate


def main() -> None:
    run_against_worker(__doc__, "partitions", 8, run, rounds=1)


if __name__ == "__main__":
    main()
