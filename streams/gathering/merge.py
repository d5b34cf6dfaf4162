"""A report's CSV merged from the parts every worker gathered."""

from __future__ import annotations

import csv
import heapq
import io
from operator import itemgetter

from streams.engine import CSV_HEADER


class StoresHeldTwice(ValueError):
    """Two parts of a gathering name the same store: its partition moved while they were taken."""


def merged_report(parts: list[str]) -> tuple[str, int]:
    """The report's CSV text from every worker's part (``report_part_at``), and its number of rows.

    The parts are each sorted by store id, so they are merged as they are read, row by row.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    count, previous, twice = 0, None, set()
    for fields in heapq.merge(*(csv.reader(io.StringIO(part)) for part in parts), key=itemgetter(0)):
        if fields[0] == previous:
            twice.add(previous)
        previous = fields[0]
        writer.writerow(fields)
        count += 1
    if twice:
        raise StoresHeldTwice(f"stores held in two partitions: {', '.join(sorted(twice)[:5])}")
    return buffer.getvalue(), count
