"""The trust chain end to end on the emulator with a real registry (`konflux dev simulate`'s
flows): the signer signs the build, the release gate trusts only the signer's key and the
trusted tasks."""

from __future__ import annotations

import asyncio
import json

from konflux.engine.oci import NotFoundError, RegistryClient, parse_reference
from konflux.testing import simulate


def production_tags(host: str, component: str) -> list[str]:
    async def tags() -> list[str]:
        async with RegistryClient() as client:
            try:
                return await client.list_tags(parse_reference(f"{host}/production/{component}"))
            except NotFoundError:
                return []

    return asyncio.run(tags())


def test_slsa_v1_provenance_releases_end_to_end(registry, tmp_path):
    result = asyncio.run(simulate(registry.host, tmp_path, lambda _: None, fmt="slsa/v2alpha3"))
    assert result.released, result.report
    assert result.signed == ["web-on-push-0", "api-on-push-1"]
    assert "Violations: 0" in result.report
    assert production_tags(registry.host, "api") == ["released"]
    # The managed run verified with the release Pipeline's key reference, which
    # `konflux validate image` read from the signer's `public-key` Secret itself.
    (managed,) = tmp_path.glob("*-managed-0/home/report-json.json")
    report = json.loads(managed.read_text())
    assert report["policy"]["publicKey"] == "k8s://konflux-chains/public-key"
    assert report["key"].startswith("-----BEGIN PUBLIC KEY-----")


def test_untrusted_task_bundle_is_signed_but_refused_on_trusted_task(registry, tmp_path):
    log: list[str] = []
    result = asyncio.run(simulate(registry.host, tmp_path, log.append, scenario="untrusted"))
    assert not result.released
    assert "api-on-push-1" in result.signed  # the signer records, it does not judge
    assert "[Violation] release.trusted_task.trusted" in result.report
    assert "demo-tenant/tasks/task-buildah" in result.report
    assert "builtin.image.signature_check" not in result.report.split("Results:")[1]
    assert result.conditions["ManagedPipelineProcessed"]["reason"] == "Failed"
    assert result.production == []
