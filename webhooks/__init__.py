"""Admission webhooks: AdmissionReview v1 over HTTPS, every decision made by a Rego bundle.

Python gathers the input (the request, and objects a rule needs read through the
Kubernetes API) and runs the engine; the rules in `rego/admission/` decide.
Entry points: `konflux.webhooks.server.serve` (the service), `build_app` (the
aiohttp application, for tests and embedding), `certs.generate` (a CA and a
serving certificate for clusters without cert-manager).
"""

from konflux.webhooks.bundle import AdmissionEngine, Decision, load_bundle
from konflux.webhooks.errors import BadReview, WebhookError
from konflux.webhooks.server import WebhookConfig, build_app, serve

__all__ = [
    "AdmissionEngine",
    "BadReview",
    "Decision",
    "WebhookConfig",
    "WebhookError",
    "build_app",
    "load_bundle",
    "serve",
]
