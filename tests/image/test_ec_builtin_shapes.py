"""`ec.oci.*` and `ec.sigstore.*` values carry every field `ec` gives them, empty or not."""

from __future__ import annotations

import json
from pathlib import Path

from image_support import Publisher, Signer

from konflux.engine import PolicyEvaluator, Settings, load_policy
from konflux.engine.image import ec_shapes
from konflux.engine.image.builtins import registry_builtins

PROBE = """package probe

import rego.v1

# METADATA
# custom:
#   short_name: value
deny contains {"code": "probe.value", "msg": json.marshal(value)} if {
	opts := {"public_key": input.key, "ignore_rekor": true}
	value := {
		"descriptor": ec.oci.descriptor(input.ref),
		"manifest": ec.oci.image_manifest(input.ref),
		"sig": ec.sigstore.verify_image(input.ref, opts),
		"att": ec.sigstore.verify_attestation(input.ref, opts),
	}
}
"""

DESCRIPTOR_KEYS = ["mediaType", "size", "digest", "data", "urls", "annotations", "artifactType"]
SIGNATURE_KEYS = ["keyid", "signature", "certificate", "chain", "metadata"]


def probe(tmp_path: Path, publisher: Publisher, signer: Signer) -> dict:
    ref = publisher.release_ready("shapes/app", signer)
    (tmp_path / "probe.rego").write_text(PROBE)
    policy = load_policy(json.dumps({"sources": [{"policy": [str(tmp_path)]}]}))
    evaluator = PolicyEvaluator(policy, Settings(builtins=registry_builtins(publisher.sync)))
    try:
        outcome = evaluator.evaluate({"ref": str(ref), "key": signer.public_pem})
    finally:
        evaluator.close()
    (violation,) = [r for r in outcome.violations if r.code == "probe.value"]
    return json.loads(violation.message)


def test_descriptor_carries_ecs_empty_fields(tmp_path, publisher, signer) -> None:
    value = probe(tmp_path, publisher, signer)
    d = value["descriptor"]
    assert set(d) == set(DESCRIPTOR_KEYS)
    assert (d["annotations"], d["artifactType"], d["data"], d["urls"]) == ({}, "", "", [])


def test_manifest_layers_and_config_are_full_descriptors(tmp_path, publisher, signer) -> None:
    manifest = probe(tmp_path, publisher, signer)["manifest"]
    assert set(manifest) == {"schemaVersion", "mediaType", "config", "layers", "annotations"}
    assert set(manifest["config"]) == set(DESCRIPTOR_KEYS)
    assert all(set(layer) == set(DESCRIPTOR_KEYS) for layer in manifest["layers"])


def test_signatures_always_carry_certificate_chain_and_metadata(tmp_path, publisher, signer):
    value = probe(tmp_path, publisher, signer)
    (sig,) = value["sig"]["signatures"]
    assert set(sig) == set(SIGNATURE_KEYS)
    assert (sig["certificate"], sig["chain"], sig["metadata"]) == ("", [], {})
    for attestation in value["att"]["attestations"]:
        assert all(set(s) == set(SIGNATURE_KEYS) for s in attestation["signatures"])


def test_platform_and_data_as_go_decodes_them() -> None:
    d = ec_shapes.descriptor(
        {
            "mediaType": "m",
            "digest": "sha256:x",
            "size": 3,
            "data": "aGk=",
            "platform": {"architecture": "arm64", "os": "linux"},
        }
    )
    assert list(d)[:7] == DESCRIPTOR_KEYS  # ec's field order, for JSON outputs
    assert d["data"] == "hi"
    assert d["platform"] == {
        "architecture": "arm64",
        "os": "linux",
        "os.version": "",
        "os.features": [],
        "variant": "",
        "features": [],
    }


def test_image_files_and_input_files_read_a_directory_as_ec_does(tmp_path, publisher, signer):
    """A path names a directory: its YAML/JSON files directly in it, parsed (ec's
    extractor); an OLM bundle's manifests are `input.image.files`."""
    from click.testing import CliRunner
    from image_support import LABELS

    from konflux.cli.main import cli
    from konflux.engine.image.builtins import image_dir_files
    from konflux.engine.oci import build_image

    files = {
        "manifests/csv.yaml": b"kind: ClusterServiceVersion\n",
        "manifests/crd.JSON": b'{"kind": "CustomResourceDefinition"}',
        "manifests/notes.txt": b"not a manifest",
        "manifests/deeper/x.yaml": b"kind: Nested\n",
    }
    labels = {**LABELS, "operators.operatorframework.io.bundle.manifests.v1": "manifests/"}
    build = build_image(files, labels=labels)
    ref = publisher.sync.run(build.push(publisher.sync.client, publisher.registry.ref("olm/b")))
    publisher.sign(ref, signer)
    publisher.attest(ref, signer)
    expected = {
        "manifests/csv.yaml": {"kind": "ClusterServiceVersion"},
        "manifests/crd.JSON": {"kind": "CustomResourceDefinition"},
    }
    assert image_dir_files(publisher.sync, str(ref), ["manifests"]) == expected
    # a file's own path is konflux's addition (ec only takes directories)
    assert image_dir_files(publisher.sync, str(ref), ["manifests/notes.txt"]) == {
        "manifests/notes.txt": "not a manifest"
    }
    key = tmp_path / "cosign.pub"
    key.write_text(signer.public_pem)
    policy = json.dumps({"sources": [{"policy": [str(tmp_path / "none")]}]})
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "p.rego").write_text(
        "package p\n\nimport rego.v1\n\n# METADATA\n# custom:\n#   short_name: never\n"
        'deny contains {"code": "p.never", "msg": "no"} if false\n'
    )
    result = CliRunner().invoke(
        cli,
        ["validate", "image", "--image", str(ref), "--policy", policy, "--public-key", str(key),
         "--ignore-rekor", "-o", "policy-input"],
    )  # fmt: skip
    assert result.stdout.strip(), (result.exit_code, result.output)
    assert json.loads(result.stdout)["image"]["files"] == expected, result.output


def test_a_file_nested_past_the_limit_is_named_not_a_crash(tmp_path, publisher, signer):
    """A hostile manifest nested past the nesting limit is refused naming the file
    (failclosed's limits), never a RecursionError."""
    import pytest

    from konflux.engine.image.builtins import image_dir_files
    from konflux.engine.limits import LimitExceeded
    from konflux.engine.oci import build_image

    deep = b"[" * 100_000 + b"]" * 100_000
    build = build_image({"manifests/deep.json": deep, "manifests/ok.yaml": b"kind: A\n"})
    ref = publisher.sync.run(build.push(publisher.sync.client, publisher.registry.ref("olm/deep")))
    with pytest.raises(LimitExceeded, match=r"manifests/deep\.json"):
        image_dir_files(publisher.sync, str(ref), ["manifests"])
