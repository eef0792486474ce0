"""Konflux in Python: policy engine, admission webhooks and controllers."""

__version__ = "0.1.0"
