"""Pytest fixtures over the release world of `konflux.testing` (the kit, shared with bench)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
import yaml

from konflux.controllers.crd_validation import admit
from konflux.engine.image.snapshot import Component
from konflux.engine.oci import SyncRegistry
from konflux.engine.report import Report
from konflux.testing._release_world import (  # noqa: F401 - the tests' vocabulary
    BASE_LABELS,
    COMMIT,
    LABELS,
    ROOT,
    SOURCE_URL,
    Build,
    ReleaseWorld,
    Vulnerability,
    codes,
    in_days,
    target,
)


@pytest.fixture(scope="module")
def release_world(
    registry: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReleaseWorld]:
    """One installation per test module: bundles tracked, base image and key made once."""
    sync = SyncRegistry(insecure=[registry.host])
    try:
        yield ReleaseWorld(sync, registry.host, tmp_path_factory.mktemp("release-e2e")).setup()
    finally:
        sync.close()


@pytest.fixture
def release(release_world: ReleaseWorld) -> Callable[..., Report]:
    """Publish a build (default: the complete one) and validate it with the konflux policy."""

    def run(build: Build | None = None, **changes: Any) -> Report:
        published = release_world.publish(replace(build or Build(), **changes))
        return release_world.validate(published.component)

    return run


@pytest.fixture(autouse=True)
def schema_checked_release(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every Snapshot a test validates, written as the custom resource integration-service
    makes, and every EnterpriseContractPolicy it writes, checked after the test against the
    CRDs in deploy/crds: a field upstream's API server would refuse or prune fails the test.
    The release flow has no API server, so the objects are recorded where the world makes
    them (`validate`, `policy_file`) rather than read back from one."""
    written: list[dict[str, Any]] = []
    validate, policy_file = ReleaseWorld.validate, ReleaseWorld.policy_file

    def recording_validate(self: ReleaseWorld, *components: Component, **kw: Any) -> Report:
        written.append(
            {
                "apiVersion": "appstudio.redhat.com/v1alpha1",
                "kind": "Snapshot",
                "metadata": {"name": f"konflux-e2e-{len(written)}", "namespace": "tenant"},
                "spec": {
                    "application": "konflux-e2e",
                    "components": [c.to_spec() for c in components],
                },
            }
        )
        return validate(self, *components, **kw)

    def recording_policy_file(self: ReleaseWorld, *args: Any, **kw: Any) -> Any:
        path = policy_file(self, *args, **kw)
        resource = yaml.safe_load(path.read_text())
        # The file has no namespace (ec reads it from disk); the cluster copy lives in managed.
        written.append(
            {**resource, "metadata": {**resource.get("metadata", {}), "namespace": "managed"}}
        )
        return path

    monkeypatch.setattr(ReleaseWorld, "validate", recording_validate)
    monkeypatch.setattr(ReleaseWorld, "policy_file", recording_policy_file)
    yield written
    problems = []
    for obj in written:
        verdict = admit(obj)
        where = f"{obj['kind']} {obj['metadata']['namespace']}/{obj['metadata'].get('name')}"
        problems += [f"{where}: {p}" for p in [*verdict.errors, *verdict.warnings]]
        if verdict.allowed and verdict.obj.get("spec") != obj.get("spec"):
            problems.append(f"{where}: the API server would change spec (defaulted or pruned)")
    assert problems == [], "objects upstream's CRDs would refuse or prune:\n" + "\n".join(problems)
