"""Admission webhooks (AdmissionReview v1 over HTTPS), deciding through the engine.

Not built yet: see issue 5. Decisions will live in `rego/admission/`.
"""
