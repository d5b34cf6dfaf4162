"""The dashboard: the fleet and each store at a glance, served by the worker at ``/``."""
