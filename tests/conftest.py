"""Fixtures for every test: the real registry plugin and the shared fixtures of `support`."""

from support import make_policy, run_policy, runner  # noqa: F401 - fixtures

# The real OCI registry (Debian docker-registry) and the tools around it; the TLS Kubernetes
# API test server and its PKI.
pytest_plugins = ["tests.fixtures.registry", "tests.fixtures.kube_api"]
