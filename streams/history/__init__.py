"""The daily history as the worker keeps it: dates frozen into their own table as they leave the
pings' retention (arithmetic: ``streams.engine.history``)."""

from streams.history.keeping import BLOCK_DATES, HistoryKeeping, block_key, blocks_of, decode_block

__all__ = ["BLOCK_DATES", "HistoryKeeping", "block_key", "blocks_of", "decode_block"]
