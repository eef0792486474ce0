"""`konflux controllers` click commands: option checks and gc-snapshots against the emulator."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner

from konflux.cli.controllers import controllers
from konflux.controllers import constants as c
from konflux.testing import LocalCluster


def test_run_rejects_unknown_operator():
    result = CliRunner().invoke(controllers, ["run", "--only", "integration,deploy"])
    assert result.exit_code == 2
    assert "deploy" in result.output


def test_gc_snapshots_deletes_what_the_policy_lets_go():
    async def scenario() -> None:
        async with LocalCluster() as cl:
            for i in range(4):
                await cl.client.create(
                    c.SNAPSHOT,
                    {
                        "apiVersion": c.SNAPSHOT.api_version,
                        "kind": "Snapshot",
                        "metadata": {
                            "name": f"s{i}",
                            "namespace": "t",
                            "labels": {c.COMPONENT_LABEL: "api"},
                        },
                        "spec": {"application": "app"},
                    },
                )
                await asyncio.sleep(0.002)  # distinct creation timestamps
            await cl.client.create(
                c.RELEASE,
                {
                    "apiVersion": c.RELEASE.api_version,
                    "kind": "Release",
                    "metadata": {"name": "r", "namespace": "t"},
                    "spec": {"snapshot": "s0"},
                },
            )
            result = await asyncio.to_thread(
                CliRunner().invoke,
                controllers,
                [
                    "gc-snapshots",
                    "--server",
                    cl.config.server,
                    "--keep-push",
                    "1",
                    "--keep-per-component",
                    "1",
                ],
            )
            assert result.exit_code == 0, result.output
            gone = [json.loads(line)["name"] for line in result.output.splitlines()]
            assert gone == ["s1", "s2"]
            assert sorted(s["metadata"]["name"] for s in cl.api.live(c.SNAPSHOT)) == ["s0", "s3"]

    asyncio.run(scenario())


def test_dev_simulate_releases_when_the_policy_passes():
    from konflux.cli.controllers import dev

    result = CliRunner().invoke(dev, ["simulate", "--output", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["released"] is True
    assert doc["testOutput"]["result"] == "SUCCESS"
    assert doc["conditions"]["ManagedPipelineProcessed"]["reason"] == "Succeeded"
    # Both builds were signed by the signer, and the managed pipeline pushed both images.
    assert doc["signedBuilds"] == ["web-on-push-0", "api-on-push-1"]
    assert sorted(p.split("@")[0].rsplit("/", 1)[1] for p in doc["production"]) == ["api", "web"]


def test_dev_simulate_policy_violation_fails_the_release_in_the_managed_pipeline():
    from konflux.cli.controllers import dev

    result = CliRunner().invoke(dev, ["simulate", "--failing", "--output", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["released"] is False
    assert doc["testOutput"]["result"] == "FAILURE"
    assert doc["conditions"]["Validated"]["status"] == "True"
    assert doc["conditions"]["ManagedPipelineProcessed"]["reason"] == "Failed"
    assert (
        doc["conditions"]["Released"]["message"]
        == "Release processing failed on managed pipelineRun"
    )


def test_dev_simulate_forged_build_is_refused_at_the_release_gate():
    """The tenant's laptop build, signed with its own key and carrying a provenance copied
    from a real build, passes the tenant's own test and fails the managed pipeline's
    conforma check on the signature and attestation: nothing reaches production."""
    from konflux.cli.controllers import dev

    result = CliRunner().invoke(dev, ["simulate", "--forged"])
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "Snapshot demo-app-by-hand: test SUCCESS" in out
    assert "[Violation] builtin.image.signature_check" in out
    assert "[Violation] builtin.attestation.signature_check" in out
    assert "ManagedPipelineProcessed=False (Failed)" in out
    assert "Production repository: nothing pushed" in out


def test_dev_simulate_rejects_two_scenarios_at_once():
    from konflux.cli.controllers import dev

    result = CliRunner().invoke(dev, ["simulate", "--forged", "--failing"])
    assert result.exit_code == 2
    assert "choose one" in result.output


def test_run_offers_the_chains_operator():
    result = CliRunner().invoke(controllers, ["run", "--help"])
    assert "integration,release,build,chains" in result.output


def test_gc_snapshots_names_a_missing_kubeconfig(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    result = CliRunner().invoke(controllers, ["gc-snapshots", "--dry-run"])
    assert result.exit_code == 1
    assert "none of the kubeconfig files exist" in result.output
    assert "absent" in result.output
    assert "Traceback" not in result.output


def test_run_without_any_configuration_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    result = CliRunner().invoke(controllers, ["run", "--only", "integration"])
    assert result.exit_code == 1
    assert "no Kubernetes configuration" in result.output


def test_gc_snapshots_reports_an_unreachable_api_without_traceback(tmp_path):
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: k\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: t0k}}]\n"
        "contexts: [{name: k, context: {cluster: c, user: u, namespace: ns}}]\n"
    )
    result = CliRunner().invoke(controllers, ["gc-snapshots", "--kubeconfig", str(config)])
    assert result.exit_code == 1
    assert "cannot list snapshots.appstudio.redhat.com in all namespaces" in result.output
    assert "cannot connect" in result.output
    assert "Traceback" not in result.output
