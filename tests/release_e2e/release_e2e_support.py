"""Pytest fixtures over the release world of `konflux.testing` (the kit, shared with bench)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

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
