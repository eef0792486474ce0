"""`validate image` against hostile registries and images: every trick fails closed, none passes.

A real docker-registry, and the fault proxy in front of it answering as an
attacker with push access (or a compromised registry) would: 404 for an index,
malformed or endless signature manifests, layers that inflate a thousandfold,
YAML alias bombs, OLM bundles whose manifests the rules must see.
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
import zlib
from pathlib import Path

from click.testing import CliRunner
from image_support import LABELS, ROOT, Publisher, Signer, codes, provenance
from support import YAML_ALIAS_BOMB

from konflux.cli.main import cli
from konflux.engine import PolicyEvaluator, Settings, load_policy
from konflux.engine.digests import sha256_digest
from konflux.engine.image.builtins import registry_builtins
from konflux.engine.limits import overridden
from konflux.engine.oci import ImageReference, build_image
from konflux.engine.oci import media_types as mt
from konflux.engine.oci.images import ImageBuild, IndexBuild, canonical_json
from konflux.engine.sigstore import attach_sbom
from konflux.engine.sigstore.cosign_layout import (
    DSSE_MEDIA_TYPE,
    SIGNATURE_ANNOTATION,
    SIMPLE_SIGNING_MEDIA_TYPE,
    Blob,
    build_artifact_image,
)
from konflux.engine.sigstore.dsse import sign_envelope
from konflux.engine.sigstore.sign import push_artifact_image

BOMB = YAML_ALIAS_BOMB.encode()
OLM_LABEL = "operators.operatorframework.io.bundle.manifests.v1"


def _push(publisher: Publisher, repo: str, files, labels=None, tag: str = "v1") -> ImageReference:
    build = build_image(files, labels=LABELS if labels is None else labels)
    return publisher.sync.run(build.push(publisher.sync.client, publisher.registry.ref(repo, tag)))


def _release_ready(publisher: Publisher, signer: Signer, ref: ImageReference) -> ImageReference:
    publisher.sign(ref, signer)
    publisher.attest(ref, signer, provenance())
    return ref


def _rules(tmp_path: Path, name: str, rego: str):
    directory = tmp_path / name
    directory.mkdir()
    (directory / "rules.rego").write_text(rego)
    return load_policy(json.dumps({"sources": [{"policy": [str(directory)]}]}))


def _messages(report, component: int = 0) -> str:
    target = sorted(report.targets, key=lambda t: t.image, reverse=True)[component]
    return "\n".join(r.message for r in target.outcome.violations)


# -- item 2: an index that cannot be read is a violation, never a check of the index alone ------


def _index(publisher: Publisher, signer: Signer, repo: str) -> tuple[ImageReference, IndexBuild]:
    """An index whose arm64 image lacks the `vendor` label the demo policy requires."""
    amd = build_image({"app": b"amd"}, labels=LABELS, architecture="amd64")
    arm = build_image({"app": b"arm"}, labels={"name": "app", "version": "1"}, architecture="arm64")
    index = IndexBuild(
        [
            ({"os": "linux", "architecture": "amd64"}, amd),
            ({"os": "linux", "architecture": "arm64"}, arm),
        ]
    )
    ref = publisher.sync.run(index.push(publisher.sync.client, publisher.registry.ref(repo, "v1")))
    for image in (ref, ref.by_digest(amd.digest), ref.by_digest(arm.digest)):
        _release_ready(publisher, signer, image)
    return ref, index


def test_index_platform_image_breaking_the_policy_fails(validate, publisher, signer):
    ref, index = _index(publisher, signer, "hostile/index-ok")
    report = validate(("multi", f"{ref.context}:v1"))
    arm = next(t for t in report.targets if t.image.endswith(index.images[1][1].digest))
    assert report.success is False
    assert "image.required_labels" in [r.code for r in arm.outcome.violations]


def test_index_answered_404_is_a_violation_not_a_pass(validate, publisher, signer, fault_proxy):
    _index(publisher, signer, "hostile/index-404")
    # The first GET of a manifest of this repository is refused; the HEADs still answer.
    fault_proxy.inject("404", times=1, method="GET", path_part="/hostile/index-404/manifests/")
    report = validate(("multi", f"{fault_proxy.host}/hostile/index-404:v1"))
    assert fault_proxy.hits == 1
    assert report.success is False
    assert "builtin.image.accessible" in codes(report)


def test_each_reference_is_resolved_once(validate, publisher, signer, fault_proxy):
    ref = publisher.release_ready("hostile/once", signer)
    report = validate(f"{fault_proxy.host}/hostile/once:v1")
    tag_lookups = [r for r in fault_proxy.seen if r.endswith("/hostile/once/manifests/v1")]
    assert report.success is True
    assert len(tag_lookups) == 1, fault_proxy.seen
    assert report.targets[0].image == f"{fault_proxy.host}/hostile/once@{ref.digest}"


# -- item 4: image_tag_refs lists the image's own cosign tags, not another build's ----------


SBOM_FOUND = """package sbomcheck

import rego.v1

# METADATA
# custom:
#   short_name: found
deny contains {"code": "sbomcheck.found", "msg": "no SBOM"} if {
\tcount([ref | some ref in ec.oci.image_tag_refs(input.ref); endswith(ref, ".sbom")]) == 0
}
"""


def test_another_builds_sbom_does_not_count(tmp_path, publisher: Publisher):
    with_sbom = publisher.image("hostile/builds", tag="build-1")
    without = publisher.image("hostile/builds", tag="build-2")
    sbom = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5"}).encode()
    publisher.sync.run(
        attach_sbom(publisher.sync.client, with_sbom, sbom, "application/vnd.cyclonedx+json")
    )
    policy = _rules(tmp_path, "sbom", SBOM_FOUND)
    evaluator = PolicyEvaluator(policy, Settings(builtins=registry_builtins(publisher.sync)))
    try:
        found = evaluator.evaluate({"ref": str(with_sbom)}).violations
        missing = evaluator.evaluate({"ref": str(without)}).violations
    finally:
        evaluator.close()
    assert [r.code for r in found] == []
    assert [r.code for r in missing] == ["sbomcheck.found"]


# -- item 5: input.image.files of an OLM bundle, as ec fills it --------------------------------

CSV = """apiVersion: operators.coreos.com/v1alpha1
kind: ClusterServiceVersion
metadata:
  name: op.v1
spec:
  relatedImages:
    - name: operator
      image: quay.io/acme/operator:latest
"""
UNPINNED = """package olmcheck

import rego.v1

# METADATA
# custom:
#   short_name: unpinned
deny contains {"code": "olmcheck.unpinned", "msg": sprintf("%s: %s", [path, img.image])} if {
\tsome path, manifest in input.image.files
\tmanifest.kind == "ClusterServiceVersion"
\tsome img in manifest.spec.relatedImages
\tnot contains(img.image, "@sha256:")
}
"""


def _olm_bundle(publisher: Publisher, signer: Signer, repo: str, extra=None) -> ImageReference:
    layers = [
        {
            "manifests/op.clusterserviceversion.yaml": CSV.encode(),
            "manifests/crd.json": b'{"kind": "CustomResourceDefinition"}',
            "manifests/gone.yaml": b"kind: Secret\n",
            "manifests/nested/deep.yaml": b"kind: Deep\n",
            "metadata/annotations.yaml": b"annotations: {}\n",
            "manifests/notes.txt": b"not a manifest",
        },
        # A later layer deletes one manifest (an OCI whiteout) and may add files.
        {"manifests/.wh.gone.yaml": b"", **(extra or {})},
    ]
    build = build_image(layers, labels={**LABELS, OLM_LABEL: "manifests/"})
    ref = publisher.sync.run(build.push(publisher.sync.client, publisher.registry.ref(repo, "v1")))
    return _release_ready(publisher, signer, ref)


def test_olm_bundle_manifests_reach_the_rules(tmp_path, validate, publisher, signer):
    ref = _olm_bundle(publisher, signer, "hostile/olm")
    report = validate(ref, policy=_rules(tmp_path, "olm", UNPINNED))
    files = report.targets[0].policy_input["image"]["files"]
    assert files == {
        "manifests/crd.json": {"kind": "CustomResourceDefinition"},
        "manifests/op.clusterserviceversion.yaml": json.loads(
            json.dumps(__import__("yaml").safe_load(CSV))
        ),
    }
    assert codes(report) == ["olmcheck.unpinned"]
    assert "quay.io/acme/operator:latest" in _messages(report)


def test_image_without_the_olm_label_has_no_files(validate, publisher, signer):
    ref = _release_ready(
        publisher, signer, _push(publisher, "hostile/plain", {"manifests/a.yaml": b"a: 1"})
    )
    doc = validate(ref).targets[0].policy_input
    assert "files" not in doc["image"]


def test_olm_manifest_alias_bomb_is_a_violation_naming_the_file(validate, publisher, signer):
    ref = _olm_bundle(publisher, signer, "hostile/olm-bomb", {"manifests/bomb.yaml": BOMB})
    report = validate(ref)
    assert "builtin.image.files" in codes(report)
    assert "manifests/bomb.yaml" in _messages(report)
    assert "yaml-alias-expansion" in _messages(report)


# -- items 9 and 10: ec.oci.image_files on bombs --------------------------------------------------

FILES = """package filescheck

import rego.v1

# METADATA
# custom:
#   short_name: read
deny contains {"code": "filescheck.read", "msg": sprintf("%d files", [count(files)])} if {
\tfiles := ec.oci.image_files(input.image.ref, PATHS)
}
"""


def _zero_layer_image(size: int, name: str = "big.yaml"):
    """An image whose one gzip layer holds `size` zero bytes at `name` (kilobytes compressed)."""
    info = tarfile.TarInfo(name)
    info.size = size
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(bytes(size)))
    tar_bytes = raw.getvalue()
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    layer = compressor.compress(tar_bytes) + compressor.flush()
    config = canonical_json(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": LABELS},
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(tar_bytes)]},
        }
    )
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": {
            "mediaType": mt.OCI_CONFIG,
            "digest": sha256_digest(config),
            "size": len(config),
        },
        "layers": [
            {"mediaType": mt.OCI_LAYER_GZIP, "digest": sha256_digest(layer), "size": len(layer)}
        ],
    }
    build = ImageBuild(manifest, {}, {sha256_digest(layer): layer, sha256_digest(config): config})
    return build, len(layer)


def test_image_files_stops_at_the_decompression_limit(tmp_path, validate, publisher, signer):
    build, compressed = _zero_layer_image(32 * 1024 * 1024)
    ref = publisher.sync.run(
        build.push(publisher.sync.client, publisher.registry.ref("hostile/zeros"))
    )
    _release_ready(publisher, signer, ref)
    policy = _rules(tmp_path, "zeros", FILES.replace("PATHS", '["big.yaml"]'))
    assert compressed < 64 * 1024  # a thousandfold inflation
    with overridden(extract_bytes=4 * 1024 * 1024):
        report = validate(ref, policy=policy)
    assert report.success is False
    assert "extract-bytes" in _messages(report)
    assert "filescheck.read" not in [r.message for r in report.targets[0].outcome.violations]


def test_image_files_stops_at_the_file_count_limit(tmp_path, validate, publisher, signer):
    files = {f"conf/{i}.json": b"{}" for i in range(40)}
    ref = _release_ready(publisher, signer, _push(publisher, "hostile/many", files))
    policy = _rules(tmp_path, "many", FILES.replace("PATHS", '["conf/"]'))
    with overridden(extract_files=10):
        limited = validate(ref, policy=policy)
    unlimited = validate(ref, policy=policy)
    assert "extract-files" in _messages(limited)
    assert [r.message for r in unlimited.targets[0].outcome.violations] == ["40 files"]


def test_image_files_alias_bomb_is_refused_naming_the_file(tmp_path, validate, publisher, signer):
    ref = _release_ready(publisher, signer, _push(publisher, "hostile/bomb", {"bomb.yaml": BOMB}))
    report = validate(ref, policy=_rules(tmp_path, "bomb", FILES.replace("PATHS", '["bomb.yaml"]')))
    assert report.success is False
    assert "bomb.yaml" in _messages(report)
    assert "yaml-alias-expansion" in _messages(report)


PARSED = """package parsedcheck

import rego.v1

# METADATA
# custom:
#   short_name: parsed
deny contains {"code": "parsedcheck.parsed", "msg": "parsed"} if {
\tec.oci.parsed_blob(input.blob)
}
"""


def test_parsed_blob_alias_bomb_is_refused(tmp_path, publisher: Publisher):
    ref = publisher.registry.ref("hostile/blob")
    publisher.sync.run(publisher.sync.client.push_blob(ref, BOMB))
    blob = f"{ref.context}@{sha256_digest(BOMB)}"
    policy = _rules(tmp_path, "parsed", PARSED)
    evaluator = PolicyEvaluator(policy, Settings(builtins=registry_builtins(publisher.sync)))
    try:
        outcome = evaluator.evaluate({"blob": blob})
    finally:
        evaluator.close()
    text = "\n".join(r.message for r in outcome.violations)
    assert "yaml-alias-expansion" in text and blob in text


# -- item 11: registry answers are read up to a limit, then abandoned --------------------------


def test_endless_signature_manifest_is_cut_at_the_limit(validate, publisher, signer, fault_proxy):
    ref = publisher.release_ready("hostile/endless", signer)
    fault_proxy.inject("endless", path_part="/manifests/sha256-", method="GET")
    healthy = publisher.release_ready("hostile/endless-ok", signer)
    report = validate(
        ("victim", f"{fault_proxy.host}/hostile/endless@{ref.digest}"), ("healthy", healthy)
    )
    by_name = {t.name: t for t in report.targets}
    victim = "\n".join(r.message for r in by_name["victim"].outcome.violations)
    assert "manifest-bytes" in victim
    assert by_name["healthy"].success is True
    # The client stopped reading at the 4 MiB limit: far less than the 512 MiB on offer left.
    assert fault_proxy.streamed < 64 * 1024 * 1024


def test_signature_layer_past_the_blob_limit_is_refused(validate, publisher, signer):
    ref = publisher.release_ready("hostile/bigsig", signer)
    with overridden(blob_bytes=64):
        report = validate(ref)
    assert report.success is False
    assert "blob-bytes" in _messages(report)


# -- item 12: malformed cosign artifacts cost their component, never the run -------------------


def _signature_manifest(publisher: Publisher, ref: ImageReference) -> dict:
    tag = ref.digest.replace(":", "-") + ".sig"
    return publisher.sync.run(publisher.sync.client.get_manifest(ref.with_tag(tag))).json


def _attestation_manifest(publisher: Publisher, ref: ImageReference) -> dict:
    tag = ref.digest.replace(":", "-") + ".att"
    return publisher.sync.run(publisher.sync.client.get_manifest(ref.with_tag(tag))).json


def _check_malformed(validate, publisher, signer, fault_proxy, repo, suffix, body) -> None:
    victim = publisher.release_ready(repo, signer)
    healthy = publisher.release_ready(repo + "-ok", signer)
    tag = f"{victim.digest.replace(':', '-')}.{suffix}"
    fault_proxy.inject("body", path_part=tag, method="GET", body=body(victim))
    report = validate(
        ("victim", f"{fault_proxy.host}/{repo}@{victim.digest}"), ("healthy", healthy)
    )
    by_name = {t.name: t for t in report.targets}
    assert by_name["healthy"].success is True
    assert by_name["victim"].success is False
    assert by_name["victim"].outcome.violations


def test_signature_layer_size_not_a_number(validate, publisher, signer, fault_proxy):
    def body(ref):
        doc = _signature_manifest(publisher, ref)
        doc["layers"][0]["size"] = "abc"
        return json.dumps(doc).encode()

    _check_malformed(validate, publisher, signer, fault_proxy, "hostile/sig-abc", "sig", body)


def test_attestation_layer_size_null(validate, publisher, signer, fault_proxy):
    def body(ref):
        doc = _attestation_manifest(publisher, ref)
        doc["layers"][0]["size"] = None
        return json.dumps(doc).encode()

    _check_malformed(validate, publisher, signer, fault_proxy, "hostile/att-null", "att", body)


def test_deeply_nested_signature_manifest(validate, publisher, signer, fault_proxy):
    deep = b"[" * 100_000 + b"]" * 100_000
    _check_malformed(
        validate, publisher, signer, fault_proxy, "hostile/sig-deep", "sig", lambda ref: deep
    )


def test_deeply_nested_attestation_manifest(validate, publisher, signer, fault_proxy):
    deep = b'{"layers": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    _check_malformed(
        validate, publisher, signer, fault_proxy, "hostile/att-deep", "att", lambda ref: deep
    )


# -- item 12, layers: a deeply nested signature payload or attestation costs its component ----
#
# The manifests above are well formed here; what nests is the layer a manifest points to, pushed
# with correct digests and sizes (push access is enough) — and, for the statement and the
# signature payload, signed with the trusted key, so verification reaches the JSON parse.

DEEP = b"[" * 100_000 + b"]" * 100_000


def _push_cosign_layer(publisher: Publisher, ref: ImageReference, suffix: str, layer) -> None:
    """Replace the image's `.sig`/`.att` with one image holding just `layer` (blob, annotations)."""
    image, _ = build_artifact_image([layer])
    tag = ref.with_tag(f"{ref.digest.replace(':', '-')}.{suffix}")
    publisher.sync.run(push_artifact_image(publisher.sync.client, tag, image))


def _deep_victim(publisher, signer, repo: str, suffix: str, layer):
    """A victim whose `.sig`/`.att` holds only `layer`, and a healthy image beside it."""
    victim = publisher.image(repo)
    # The other artifact is healthy, so only the nested layer can fail the victim.
    if suffix == "att":
        publisher.sign(victim, signer)
    else:
        publisher.attest(victim, signer)
    _push_cosign_layer(publisher, victim, suffix, layer(victim))
    return victim, publisher.release_ready(repo + "-ok", signer)


def _check_deep_layer(validate, publisher, signer, repo: str, suffix: str, layer, code: str):
    """The victim's violation messages (the healthy component beside it passes), as one text."""
    victim, healthy = _deep_victim(publisher, signer, repo, suffix, layer)
    report = validate(("victim", victim), ("healthy", healthy))
    by_name = {t.name: t for t in report.targets}
    assert by_name["healthy"].success is True
    assert by_name["victim"].success is False
    violations = by_name["victim"].outcome.violations
    assert code in [r.code for r in violations]
    text = "\n".join(r.message for r in violations)
    assert "RecursionError" not in text and "Traceback" not in text
    return text


def _deep_envelope(ref):
    return Blob(DEEP, DSSE_MEDIA_TYPE), {SIGNATURE_ANNOTATION: ""}


def test_deeply_nested_attestation_envelope_layer(validate, publisher, signer):
    text = _check_deep_layer(
        validate,
        publisher,
        signer,
        "hostile/env-deep",
        "att",
        _deep_envelope,
        "builtin.attestation.signature_check",
    )
    assert "nested too deeply" in text, text


def test_deeply_nested_signed_in_toto_statement(validate, publisher, signer):
    # A DSSE envelope signed by the trusted key whose payload, the statement, nests 100k deep.
    statement = b'{"_type": "https://in-toto.io/Statement/v0.1", "predicate": ' + DEEP + b"}"

    def layer(ref):
        envelope = sign_envelope(statement, signer.key)
        return Blob(envelope.to_json(), DSSE_MEDIA_TYPE), {SIGNATURE_ANNOTATION: ""}

    text = _check_deep_layer(
        validate,
        publisher,
        signer,
        "hostile/stmt-deep",
        "att",
        layer,
        "builtin.attestation.signature_check",
    )
    assert "nested too deeply" in text, text


def test_deeply_nested_signed_signature_payload(validate, publisher, signer):
    # A simple-signing payload signed by the trusted key, nesting 100k deep.
    payload = b'{"critical": ' + DEEP + b"}"

    def layer(ref):
        signature = base64.b64encode(signer.key.sign(payload)).decode()
        return Blob(payload, SIMPLE_SIGNING_MEDIA_TYPE), {SIGNATURE_ANNOTATION: signature}

    text = _check_deep_layer(
        validate,
        publisher,
        signer,
        "hostile/sigpayload-deep",
        "sig",
        layer,
        "builtin.image.signature_check",
    )
    assert "nested too deeply" in text, text


def test_deeply_nested_layer_through_the_cli_keeps_the_report(tmp_path, publisher, signer):
    # As a user runs it: exit 1 with the JSON report of both components, no traceback.
    victim, healthy = _deep_victim(publisher, signer, "hostile/cli-deep", "att", _deep_envelope)
    key = tmp_path / "cosign.pub"
    key.write_text(signer.public_pem)
    snapshot = {
        "application": "demo",
        "components": [
            {"name": "victim", "containerImage": str(victim)},
            {"name": "healthy", "containerImage": str(healthy)},
        ],
    }
    policy = json.dumps(
        {
            "sources": [
                {
                    "policy": [str(ROOT / "examples/rego/image"), str(ROOT / "examples/rego/lib")],
                    "ruleData": {
                        "required_labels": ["name"],
                        "allowed_builder_ids": ["https://tekton.dev/chains/v2"],
                    },
                }
            ]
        }
    )
    result = CliRunner().invoke(
        cli,
        [
            "validate",
            "image",
            "--images",
            json.dumps(snapshot),
            "--policy",
            policy,
            "--public-key",
            str(key),
            "--ignore-rekor",
            "-o",
            "json",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    components = {c["name"]: c for c in json.loads(result.stdout)["components"]}
    assert components["healthy"]["success"] is True
    assert components["victim"]["success"] is False
    assert "nested too deeply" in json.dumps(components["victim"]["violations"])
