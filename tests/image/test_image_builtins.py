"""The registry-backed `ec.oci.*` / `ec.sigstore.*` builtins, called from Rego on real images."""

from __future__ import annotations

import json
from pathlib import Path

from image_support import LABELS, Publisher, Signer

from konflux.engine import PolicyEvaluator, Settings, load_policy
from konflux.engine.image.builtins import registry_builtins
from konflux.engine.oci import SyncRegistry

PROBE = """package probe

import rego.v1

# METADATA
# custom:
#   short_name: value
deny contains {"code": "probe.value", "msg": json.marshal(value)} if {
	opts := {"public_key": input.key, "ignore_rekor": true}
	value := {
		"manifest": ec.oci.image_manifest(input.ref),
		"descriptor": ec.oci.descriptor(input.ref),
		"config_blob": ec.oci.parsed_blob(input.config_ref),
		"files": ec.oci.image_files(input.ref, ["app.bin", "missing.txt"]),
		"tags": ec.oci.image_tag_refs(input.ref),
		"sig": ec.sigstore.verify_image(input.ref, opts),
		"att": ec.sigstore.verify_attestation(input.ref, opts),
	}
}

# METADATA
# custom:
#   short_name: missing
deny contains {"code": "probe.missing", "msg": "blob of a missing digest is defined"} if {
	ec.oci.blob(input.missing_blob)
}
"""


def _probe(tmp_path: Path, sync: SyncRegistry, doc: dict) -> dict:
    (tmp_path / "probe.rego").write_text(PROBE)
    policy = load_policy(json.dumps({"sources": [{"policy": [str(tmp_path)]}]}))
    evaluator = PolicyEvaluator(policy, Settings(builtins=registry_builtins(sync)))
    try:
        outcome = evaluator.evaluate(doc)
    finally:
        evaluator.close()
    return {r.code: r.message for r in outcome.violations}


def test_builtins_read_a_signed_image(tmp_path, publisher: Publisher, signer: Signer):
    ref = publisher.release_ready("builtins/app", signer)
    manifest = publisher.sync.image_manifest(ref)
    config_ref = f"{ref.context}@{manifest['config']['digest']}"
    missing = f"{ref.context}@sha256:{'0' * 64}"
    doc = {
        "ref": str(ref),
        "config_ref": config_ref,
        "key": signer.public_pem,
        "missing_blob": missing,
    }
    found = _probe(tmp_path, publisher.sync, doc)
    value = json.loads(found["probe.value"])
    assert value["manifest"]["config"]["digest"] == manifest["config"]["digest"]
    assert value["descriptor"]["digest"] == ref.digest
    assert value["config_blob"]["config"]["Labels"] == LABELS
    assert list(value["files"]) == ["app.bin"]
    own = ref.digest.replace(":", "-")
    # the image's own cosign tags, as `ec` lists them; never the repository's other tags
    assert value["tags"] == [f"{ref.context}:{own}.sig", f"{ref.context}:{own}.att"]
    assert (value["sig"]["success"], value["sig"]["errors"]) == (True, [])
    assert "signature" in value["sig"]["signatures"][0]
    assert value["att"]["attestations"][0]["statement"]["predicateType"] == (
        "https://slsa.dev/provenance/v0.2"
    )
    assert "probe.missing" not in found  # a failed fetch is undefined, never a value


def test_sigstore_builtin_reports_failure_with_errors(tmp_path, publisher, signer, other_signer):
    ref = publisher.release_ready("builtins/wrongkey", signer)
    doc = {
        "ref": str(ref),
        "config_ref": f"{ref.context}@{ref.digest}",
        "key": other_signer.public_pem,
        "missing_blob": "",
    }
    (tmp_path / "probe.rego").write_text(
        "package probe\n\nimport rego.v1\n\n"
        'deny contains {"code": "probe.sig", "msg": json.marshal(r)} if {\n'
        '\tr := ec.sigstore.verify_image(input.ref, {"public_key": input.key, '
        '"ignore_rekor": true})\n}\n'
    )
    policy = load_policy(json.dumps({"sources": [{"policy": [str(tmp_path)]}]}))
    evaluator = PolicyEvaluator(policy, Settings(builtins=registry_builtins(publisher.sync)))
    try:
        result = json.loads(evaluator.evaluate(doc).violations[0].message)
    finally:
        evaluator.close()
    assert result["success"] is False
    assert result["errors"] and result["signatures"] == []
