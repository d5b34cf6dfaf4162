"""Silences as the worker derives, schedules and publishes them (arithmetic: ``streams.engine.silences``)."""
