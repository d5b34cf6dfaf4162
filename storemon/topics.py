"""``storemon topics plan|create|check``: the topic layout an operator creates for the product."""

from __future__ import annotations

import sys

from connectors.kafka.admin import describe_topics
from storemon.settings import Settings
from streams.faust_internals.probe import probe
from streams.layout import check_layout, create_layout, differences, plan_text, planned_layout, topic_layout


async def run_topics(action: str, settings: Settings) -> int:
    """Print the layout (no cluster needed when the replication factor is given), create what is
    missing, or compare; the exit status."""
    kafka = settings.kafka
    if action == "plan" and settings.replication_factor is not None:
        layout = topic_layout(
            settings.topics, settings.partitions, settings.replication_factor, settings.app_id
        )
        sys.stdout.write(plan_text(layout))
        return 0
    await probe(kafka)
    layout = await planned_layout(
        kafka, settings.topics, settings.partitions, settings.replication_factor, settings.app_id
    )
    if action == "plan":
        sys.stdout.write(plan_text(layout))
        return 0
    if action == "create":
        created = await create_layout(kafka, layout)
        print(f"created {len(created)} topics: {', '.join(created) or 'none missing'}", file=sys.stderr)
        await check_layout(kafka, layout)
        return 0
    found = differences(layout, await describe_topics(kafka, [spec.name for spec in layout]))
    for difference in found:
        print(f"{difference}{'' if difference.fatal else ' (weaker, the product runs)'}")
    print(f"{len(layout)} topics checked, {len(found)} differences", file=sys.stderr)
    return 1 if found else 0
