"""Fixtures of the webhook tests; they live in webhook_support.py (importable by the tests)."""

from webhook_support import bg, cluster, lonely_webhook, pki, webhook

__all__ = ["bg", "cluster", "lonely_webhook", "pki", "webhook"]
