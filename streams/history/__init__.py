"""The daily history as the worker keeps it: dates frozen into their own table as they leave the
pings' retention (arithmetic: ``streams.engine.history``)."""

from streams.history.keeping import HistoryKeeping, frozen_key

__all__ = ["HistoryKeeping", "frozen_key"]
