"""The pipelines and manifests around the signer: the build pipeline holds no key and emits
Chains' type hints; the release side names only the signer's public key; deploy/chains
runs the signer alone in its namespace."""

from __future__ import annotations

from pathlib import Path

import yaml

from konflux.controllers.chains import artifacts as hints
from konflux.controllers.chains.config import ChainsConfig

ROOT = Path(__file__).resolve().parents[2]
SIGNER_KEY = "k8s://konflux-chains/public-key"


def doc(path: str) -> dict:
    return yaml.safe_load((ROOT / path).read_text())


def docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_build_pipeline_has_no_key_and_no_signing_step():
    text = (ROOT / "tasks/build-pipeline/build-pipeline.yaml").read_text()
    pipeline = doc("tasks/build-pipeline/build-pipeline.yaml")
    assert [w["name"] for w in pipeline["spec"]["workspaces"]] == ["source", "git-auth"]
    for forbidden in ("konflux sign", "konflux attest", "cosign sign", "cosign.key", "signing"):
        assert forbidden not in text.replace("No key and no signing here", ""), forbidden


def test_build_pipeline_results_are_what_the_signer_and_integration_read():
    pipeline = doc("tasks/build-pipeline/build-pipeline.yaml")
    results = {r["name"]: r["value"] for r in pipeline["spec"]["results"]}
    assert results["IMAGE_URL"] == "$(tasks.build.results.IMAGE_URL)"
    assert results["IMAGE_DIGEST"] == "$(tasks.build.results.IMAGE_DIGEST)"
    assert {"CHAINS-GIT_URL", "CHAINS-GIT_COMMIT"} <= results.keys()
    # The build task itself carries the SBOM reference next to its image (what the release
    # library's sbom rule reads from the provenance).
    build = next(t for t in pipeline["spec"]["tasks"] if t["name"] == "build")
    names = {r["name"] for r in build["taskSpec"]["results"]}
    assert {"IMAGE_URL", "IMAGE_DIGEST", "SBOM_BLOB_URL"} <= names
    # As the run would record them, Chains' type hinting finds exactly the built image.
    digest = "sha256:" + "e" * 64
    recorded = [
        {"name": "IMAGE_URL", "value": "quay.io/org/app:v1"},
        {"name": "IMAGE_DIGEST", "value": digest},
        {"name": "CHAINS-GIT_URL", "value": "https://github.com/org/app"},
        {"name": "CHAINS-GIT_COMMIT", "value": "f" * 40},
        {"name": "SBOM_BLOB_URL", "value": f"quay.io/org/app@{digest}"},
    ]
    assert [str(x) for x in hints.oci_images(recorded)] == [f"quay.io/org/app@{digest}"]


def test_release_side_names_only_the_signers_key():
    release = doc("tasks/release-pipeline/release-pipeline.yaml")
    params = {p["name"]: p for p in release["spec"]["params"]}
    assert params["publicKey"]["default"] == SIGNER_KEY
    verify = next(t for t in release["spec"]["tasks"] if t["name"] == "verify-conforma")
    assert {"name": "PUBLIC_KEY", "value": "$(params.publicKey)"} in verify["params"]
    # verify-conforma hands PUBLIC_KEY to `konflux validate image --public-key`, which reads
    # a k8s://NAMESPACE/NAME Secret's cosign.pub itself (konflux.cli.cluster_refs).
    steps = doc("tasks/verify-conforma/verify-conforma.yaml")["spec"]["steps"]
    validate = next(step for step in steps if step["name"] == "validate")
    assert '--public-key="${PUBLIC_KEY}"' in validate["script"]
    assert {"name": "PUBLIC_KEY", "value": "$(params.PUBLIC_KEY)"} in validate["env"]
    for name in ("konflux", "minimal", "slsa3"):
        assert doc(f"deploy/policies/{name}.yaml")["spec"]["publicKey"] == SIGNER_KEY


def test_deploy_chains_runs_the_signer_alone_with_a_config_it_accepts():
    folder = ROOT / "deploy/chains"
    kust = docs(folder / "kustomization.yaml")[0]
    for rel in kust["resources"]:
        assert docs((folder / rel).resolve()), rel
    deployment = docs(folder / "deployment.yaml")[0]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "konflux-chains"
    args = pod["containers"][0]["args"]
    assert args[:4] == ["controllers", "run", "--only", "chains"]
    assert deployment["metadata"]["namespace"] == "konflux-chains"
    config = docs(folder / "config.yaml")[0]
    assert ChainsConfig.from_configmap(config["data"]).pipelinerun_format == "slsa/v1"


def test_key_generate_secret_is_what_the_signer_loads(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from konflux.cli.main import cli
    from konflux.controllers.chains.signing import SigningKey

    monkeypatch.chdir(tmp_path)
    result = CliRunner(env={"COSIGN_PASSWORD": "pw"}).invoke(
        cli, ["key", "generate", "--secret", "konflux-chains/signing-secrets"]
    )
    assert result.exit_code == 0, result.output
    private, public = yaml.safe_load_all(result.stdout)
    assert private["metadata"] == {
        "name": "signing-secrets",
        "namespace": "konflux-chains",
        "labels": {"app.kubernetes.io/part-of": "konflux-chains"},
    }
    assert private["immutable"] is True
    assert set(private["data"]) == {"cosign.key", "cosign.password", "cosign.pub"}
    assert public["metadata"]["name"] == "public-key"
    assert set(public["data"]) == {"cosign.pub"}
    key = SigningKey.from_secret(private, "generated")  # decrypts with cosign.password
    assert key.public_pem == (tmp_path / "cosign.pub").read_bytes()
    assert not (tmp_path / "cosign.key").exists()  # the private key only in the Secret


def test_key_generate_secret_needs_namespace_and_name(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from konflux.cli.main import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner(env={"COSIGN_PASSWORD": ""}).invoke(
        cli, ["key", "generate", "--secret", "signing-secrets"]
    )
    assert result.exit_code == 2
    assert "NAMESPACE/NAME" in result.output
