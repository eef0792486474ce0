"""An emulated API server (kmock) for CLI tests that read cluster references.

`emulated_cluster` starts `LocalCluster` on a background event loop (no controllers),
writes a kubeconfig for it (context namespace `tenant`) and points `KUBECONFIG` at it,
so the command under test finds the cluster the way it would find a real one.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from konflux.kube.resources import POLICY, SECRET, SNAPSHOT, Resource
from konflux.testing import LocalCluster, LoopThread

CONTEXT_NAMESPACE = "tenant"


class EmulatedCluster:
    def __init__(self, loop: LoopThread, directory: Path) -> None:
        self.loop = loop
        self.cluster = LocalCluster()
        loop.run(self.cluster.__aenter__())
        self.kubeconfig = directory / "kubeconfig"
        self.kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {"name": "emu", "cluster": {"server": self.cluster.config.server}}
                    ],
                    "users": [{"name": "me", "user": {}}],
                    "contexts": [
                        {
                            "name": "emu",
                            "context": {
                                "cluster": "emu",
                                "user": "me",
                                "namespace": CONTEXT_NAMESPACE,
                            },
                        }
                    ],
                    "current-context": "emu",
                }
            )
        )

    def create(self, resource: Resource, namespace: str, name: str, **fields: Any) -> None:
        body = {
            "apiVersion": resource.api_version,
            "kind": resource.kind,
            "metadata": {"name": name, "namespace": namespace},
            **fields,
        }
        self.loop.run(self.cluster.client.create(resource, body))

    def policy(self, namespace: str, name: str, spec: dict[str, Any]) -> None:
        self.create(POLICY, namespace, name, spec=spec)

    def snapshot(self, namespace: str, name: str, spec: dict[str, Any]) -> None:
        self.create(SNAPSHOT, namespace, name, spec=spec)

    def secret(self, namespace: str, name: str, data: dict[str, bytes]) -> None:
        encoded = {k: base64.b64encode(v).decode() for k, v in data.items()}
        self.create(SECRET, namespace, name, type="Opaque", data=encoded)

    def close(self) -> None:
        self.loop.run(self.cluster.__aexit__(None, None, None))


@pytest.fixture
def emulated_cluster(
    server_loop: LoopThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EmulatedCluster]:
    cluster = EmulatedCluster(server_loop, tmp_path)
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def schema_checked_clusters(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[LocalCluster]]:
    """Every `LocalCluster` the test starts, checked after the test against the CRDs in
    deploy/crds: an object the controllers (or the kit's seed) wrote that the real API server
    would refuse or prune fails the test, naming the object and the problem. Wrapping the
    constructor catches clusters a test builds inside its own event loop."""
    clusters: list[LocalCluster] = []
    original = LocalCluster.__init__

    def recording_init(self: LocalCluster) -> None:
        original(self)
        clusters.append(self)

    monkeypatch.setattr(LocalCluster, "__init__", recording_init)
    yield clusters
    # Checked after the test body, so a scenario that forgets to assert it is still covered;
    # an empty list would mean the wrapper never ran, which is a broken check, not a pass.
    assert clusters, "no LocalCluster was started: the schema check checked nothing"
    violations = [v for cluster in clusters for v in cluster.api.schema_violations()]
    assert violations == [], "objects upstream's CRDs would refuse or prune:\n" + "\n".join(
        violations
    )
