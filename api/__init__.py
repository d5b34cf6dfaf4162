"""The HTTP API: reports, live store lookups and operations endpoints."""
