"""Outages leaving the worker: their fields, their topic's records, their producer, the open count."""
