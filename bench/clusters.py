"""Benchmark: the replay on the kinds of cluster users run, each against a one-broker plaintext run.

    python -m bench.clusters [--stores 10000] [--days 7.5] [--partitions 8] [--rounds 1]

Each round replays the generated dataset at full speed into one ``storemon worker`` and stops the
clock when the worker has processed every message, on:

1. one broker, plaintext: the reference;
2. three brokers, every topic replicated three times with ``min.insync.replicas`` 2;
3. one broker with a SASL_SSL listener (SCRAM-SHA-512, TLS), the worker and the replay on it;
4. three brokers again, one of them killed (-9) once the worker has processed a tenth of the pings:
   the seconds from the kill until every changelog partition it led has a new leader (the earliest
   the worker's writes to them can resume), until the worker has processed another tenth, and the
   rate end to end with the broker down.

Every run's report is compared with the reference's. The two bars: three brokers at least half the
reference's rate, SASL_SSL at least 80 % of it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from statistics import median

import httpx
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from bench.harness import run_against_worker
from connectors.kafka import KafkaConnection
from storemon.broker import ClientSecurity, LocalBroker
from storemon.local import Deployment, WorkerProcess, fetch_report, local_deployment
from streams.layout import changelog_topics

KINDS = ("one broker", "three brokers", "SASL_SSL", "three brokers, one killed")
# Seconds a partition left without a leader by the kill is given before the broker is started again.
PATIENCE = 120.0


async def run(source: Path, partitions: int, root: Path, rounds: int) -> None:
    rates: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for round_ in range(1, rounds + 1):
        reference = ""
        for kind in KINDS:
            print(f"--- round {round_} of {rounds}: {kind}")
            rate, report = await run_once(source, partitions, root / f"{round_}-{KINDS.index(kind)}", kind)
            reference = reference or report
            print(f"report equal to the one-broker run's: {'yes' if report == reference else 'NO'}")
            rates[kind].append(rate)
    base = median(rates["one broker"])
    for kind in KINDS:
        rate = median(rates[kind])
        print(f"median of {rounds}, {kind}: {rate:,.0f} pings/s = {rate / base:.0%} of one broker's")
    print("bars: three brokers >= 50 %, SASL_SSL >= 80 %")


async def run_once(source: Path, partitions: int, root: Path, kind: str) -> tuple[float, str]:
    nodes = 3 if kind.startswith("three") else 1
    security = ClientSecurity() if kind == "SASL_SSL" else None
    async with local_deployment(root, partitions=partitions, nodes=nodes, security=security) as (
        broker,
        deployment,
        worker,
    ):
        started = time.perf_counter()
        replay = asyncio.create_task(deployment.replay(source))
        if kind.endswith("killed"):
            await kill_and_time(broker, deployment, worker)
        summary = await replay
        ends = await deployment.end_offsets()
        await worker.wait_processed(ends)
        elapsed = time.perf_counter() - started
        print(
            f"end to end: {summary.pings / elapsed:,.0f} pings/s ({summary.pings:,} pings in {elapsed:.1f} s)"
        )
        return summary.pings / elapsed, await fetch_report(worker.url, timeout=300)


async def kill_and_time(broker: LocalBroker, deployment: Deployment, worker: WorkerProcess) -> None:
    """Kill the first broker once a tenth of the pings are processed; print how long until every
    changelog partition it led has a leader among the others (the earliest the worker's writes to
    them can resume), and until the worker has processed another tenth of the pings."""
    while await processed(worker) < 170_000:
        await asyncio.sleep(0.1)
    kafka, killed_node = deployment.kafka, broker.nodes[0].node_id
    survivors = kafka.model_copy(update={"bootstrap": ",".join(broker.bootstrap.split(",")[1:])})
    topics = changelog_topics(deployment.name)
    state = await partitions_of(survivors, topics)
    led = {tp for tp, (leader, _) in state.items() if leader == killed_node}
    alone = [tp for tp in led if state[tp][1] == [killed_node]]
    print(f"at the kill: it led {len(led)} changelog partitions, {len(alone)} with no other replica in sync")
    broker.kill_node(0)
    killed, at_kill = time.perf_counter(), await processed(worker)
    led_again: float | None = None
    went_on: float | None = None
    while (led_again is None or went_on is None) and time.perf_counter() - killed < PATIENCE:
        if went_on is None and await processed(worker) >= at_kill + 170_000:
            went_on = time.perf_counter() - killed
        if led_again is None:
            try:  # a fresh client each time, asked for at most two seconds
                state = await asyncio.wait_for(partitions_of(survivors, topics), 2.0)
            except (TimeoutError, KafkaError):  # asked of the dead broker, whose metadata it still had
                continue
            if all(state[tp][0] not in (killed_node, -1) for tp in led):
                led_again = time.perf_counter() - killed
        await asyncio.sleep(0.1)
    for what, seconds in (("a new leader for every partition it led", led_again), ("another tenth", went_on)):
        when = f"not within {PATIENCE:.0f} s" if seconds is None else f"{seconds:.1f} s"
        print(f"{what}: {when} after the kill")


async def partitions_of(
    kafka: KafkaConnection, topics: list[str]
) -> dict[TopicPartition, tuple[int, list[int]]]:
    """Each partition's leader and in-sync replicas."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return {
        TopicPartition(topic["topic"], partition["partition"]): (partition["leader"], partition["isr"])
        for topic in described
        for partition in topic["partitions"]
    }


async def processed(worker: WorkerProcess) -> int:
    async with httpx.AsyncClient(base_url=worker.url) as client:
        outcomes = (await client.get("/api/worker/status")).json()["outcomes"]
    return int(outcomes.get("added", 0)) + int(outcomes.get("duplicate", 0))


def main() -> None:
    run_against_worker(__doc__, "partitions", 8, run, rounds=1)


if __name__ == "__main__":
    main()
