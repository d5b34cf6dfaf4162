"""Telling people about outages: the outage topic read from a position, as an event stream or webhooks."""
