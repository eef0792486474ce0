"""Typed errors of the webhook service."""

from __future__ import annotations

from konflux.engine.errors import KonfluxError


class WebhookError(KonfluxError):
    """The webhook service could not start or is misconfigured."""


class BadReview(WebhookError):
    """A request body is not a usable AdmissionReview; answered with HTTP 400."""


class CertificateError(WebhookError):
    """A serving certificate or key could not be loaded or generated."""
