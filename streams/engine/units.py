"""Time units of the engine: every instant and duration is an integer count of microseconds.

Integers keep the arithmetic exact and independent of the order in which pings arrive, so a state
rebuilt from a shuffled stream is byte-for-byte the state built from a sorted one.
"""

from typing import Final

SECOND: Final = 1_000_000
MINUTE: Final = 60 * SECOND
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR
WEEK: Final = 7 * DAY

# Instants the engine accepts: the Unix epoch up to 2100-01-01. Anything else is a data error.
EARLIEST: Final = 0
LATEST: Final = 4_102_444_800 * SECOND
