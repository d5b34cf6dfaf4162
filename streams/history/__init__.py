"""The daily history as the worker keeps it: dates frozen into their own table as they leave the
pings' retention (arithmetic: ``streams.engine.history``)."""

from streams.history.keeping import (
    BLOCK_DATES,
    HistoryKeeping,
    block_key,
    decode_block,
    frozen_in,
    records_of,
)

__all__ = ["BLOCK_DATES", "HistoryKeeping", "block_key", "decode_block", "frozen_in", "records_of"]
