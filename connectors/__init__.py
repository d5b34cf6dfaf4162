"""Connections to the external systems the product talks to, one subpackage each."""
