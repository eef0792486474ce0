"""Signing and verifying through the real registry (Debian docker-registry, our client).

Needs the registry plugin: `-p tests.fixtures.registry` (or the root conftest's
`pytest_plugins`).
"""

from __future__ import annotations

import json

from sigstore_testpki import IDENTITY, ISSUER, T0, make_intermediate, make_leaf, make_root, pem
from sigstore_testpki import trusted_root as trusted_root_json

from konflux.engine.oci import parse_reference
from konflux.engine.sigstore import (
    CheckOptions,
    Identity,
    KeylessPolicy,
    LocalLog,
    VerificationFailure,
    attach_sbom,
    attest_image,
    fetch_sbom,
    parse_trusted_root,
    sign_image,
    verify_attestations,
    verify_image_signatures,
)
from konflux.engine.sigstore import cosign_layout as layout
from konflux.engine.sigstore.keys import generate_private_key
from konflux.engine.sigstore.payloads import SLSA_PROVENANCE_V02
from konflux.engine.sigstore.sign import signature_layer

KEY = generate_private_key()
SLSA02 = {"builder": {"id": "https://tekton.dev/chains/v2"}, "buildType": "tekton/TaskRun"}


def opts(**kw):
    return CheckOptions(public_key=kw.pop("public_key", KEY.public), **kw)


def test_sign_then_verify_through_the_registry(registry, oci):
    image, _ = oci.push_image(registry.ref("sig/app", "v1"))
    run, client = oci.sync.run, oci.sync.client
    sig_digest = run(sign_image(client, image, KEY))
    tag = image.with_tag(layout.triangulation_tag(image.digest, "sig"))
    manifest = json.loads(run(client.get_manifest(tag)).raw)
    assert run(client.get_manifest(tag)).digest == sig_digest
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert manifest["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
    (layer,) = manifest["layers"]
    assert layer["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    assert set(layer["annotations"]) == {"dev.cosignproject.cosign/signature"}
    report = run(verify_image_signatures(client, image, opts()))
    assert report.result and len(report.verified) == 1


def test_second_signature_is_appended(registry, oci):
    image, _ = oci.push_image(registry.ref("sig/twice", "v1"))
    run, client = oci.sync.run, oci.sync.client
    other = generate_private_key()
    run(sign_image(client, image, KEY))
    run(sign_image(client, image, other))
    report = run(verify_image_signatures(client, image, opts(public_key=other.public)))
    assert len(report.checked) == 2 and len(report.verified) == 1


def test_wrong_key_through_the_registry(registry, oci):
    image, _ = oci.push_image(registry.ref("sig/wrongkey", "v1"))
    oci.sync.run(sign_image(oci.sync.client, image, generate_private_key()))
    report = oci.sync.run(verify_image_signatures(oci.sync.client, image, opts()))
    assert report.result.reason.startswith("no matching signatures: invalid signature")


def test_missing_signature_and_attestation(registry, oci):
    image, _ = oci.push_image(registry.ref("sig/unsigned", "v1"))
    run, client = oci.sync.run, oci.sync.client
    assert run(verify_image_signatures(client, image, opts())).result == VerificationFailure(
        "no signatures found"
    )
    assert run(verify_attestations(client, image, opts())).result == VerificationFailure(
        "no matching attestations: no attestations found"
    )


def test_tag_moved_after_signing(registry, oci):
    # v1 is signed, then v1 is moved to another image and the old signature copied to it.
    signed, _ = oci.push_image(registry.ref("sig/moved", "v1"))
    run, client = oci.sync.run, oci.sync.client
    run(sign_image(client, signed, KEY))
    moved, _ = oci.push_image(registry.ref("sig/moved", "v1"))
    assert oci.sync.resolve(registry.ref("sig/moved", "v1")) == moved
    assert run(verify_image_signatures(client, moved, opts())).result == VerificationFailure(
        "no signatures found"
    )
    old = run(client.get_manifest(signed.with_tag(layout.triangulation_tag(signed.digest, "sig"))))
    run(
        client.put_manifest(
            moved.with_tag(layout.triangulation_tag(moved.digest, "sig")), old.raw, old.media_type
        )
    )
    report = run(verify_image_signatures(client, moved, opts()))
    assert report.result == VerificationFailure(
        f"no matching signatures: invalid or missing digest in claim: {signed.digest}"
    )


def test_attest_then_verify_through_the_registry(registry, oci):
    image, _ = oci.push_image(registry.ref("att/app", "v1"))
    run, client = oci.sync.run, oci.sync.client
    run(attest_image(client, image, KEY, SLSA_PROVENANCE_V02, SLSA02))
    report = run(verify_attestations(client, image, opts()))
    assert report.result and report.syntax_result
    (att,) = report.inputs()
    assert att["statement"]["predicateType"] == SLSA_PROVENANCE_V02
    assert att["statement"]["subject"][0]["name"] == image.context


def test_sbom_attach_and_fetch(registry, oci):
    image, _ = oci.push_image(registry.ref("sbom/app", "v1"))
    run, client = oci.sync.run, oci.sync.client
    doc = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5"}).encode()
    run(attach_sbom(client, image, doc, layout.CYCLONEDX_JSON_MEDIA_TYPE))
    assert run(fetch_sbom(client, image)) == (layout.CYCLONEDX_JSON_MEDIA_TYPE, doc)
    other, _ = oci.push_image(registry.ref("sbom/app", "v2"))
    assert run(fetch_sbom(client, other)) is None


def test_keyless_signature_with_bundle_through_the_registry(registry, oci):
    root = make_root()
    intermediate = make_intermediate(root)
    log_key = generate_private_key()
    trust = parse_trusted_root(trusted_root_json([[intermediate.cert, root.cert]], [log_key]))
    signer = generate_private_key()
    cert = make_leaf(intermediate, signer)
    image, _ = oci.push_image(registry.ref("keyless/app", "v1"))
    run, client = oci.sync.run, oci.sync.client
    run(
        sign_image(
            client,
            image,
            signer,
            certificate_pem=pem(cert),
            chain_pem=intermediate.pem + root.pem,
            log=LocalLog(log_key, int(T0.timestamp()) + 60),
        )
    )
    good = CheckOptions(keyless=KeylessPolicy(trust, (Identity(IDENTITY, issuer=ISSUER),)))
    report = run(verify_image_signatures(client, image, good))
    assert report.result and report.verified[0].bundle_verified
    wrong = CheckOptions(keyless=KeylessPolicy(trust, (Identity("x@y.test", issuer=ISSUER),)))
    assert (
        "none of the expected identities"
        in run(verify_image_signatures(client, image, wrong)).result.reason
    )


def test_corrupted_signature_blob_fails_with_a_clear_message(
    registry, oci, fault_proxy, sync_registry_factory
):
    image, _ = oci.push_image(registry.ref("fault/app", "v1"))
    oci.sync.run(sign_image(oci.sync.client, image, KEY))
    via_proxy = parse_reference(f"{fault_proxy.host}/fault/app@{image.digest}")
    fault_proxy.inject("corrupt", path_part="/blobs/")
    fresh = sync_registry_factory()  # nothing cached from the signing side
    report = fresh.run(verify_image_signatures(fresh.client, via_proxy, opts()))
    assert fault_proxy.hits >= 1
    assert not report.result
    assert report.result.reason.startswith(f"fetching signatures of {via_proxy}:")
    assert "digest mismatch" in report.result.reason


def test_registry_errors_fail_the_check(registry, oci, fault_proxy):
    image, _ = oci.push_image(registry.ref("fault/err", "v1"))
    via_proxy = parse_reference(f"{fault_proxy.host}/fault/err@{image.digest}")
    fault_proxy.inject("500", path_part="/manifests/")
    report = oci.sync.run(verify_attestations(oci.sync.client, via_proxy, opts()))
    assert report.result.reason.startswith(f"fetching attestations of {via_proxy}:")
    assert "500" in report.result.reason


def test_signatures_attached_as_oci_referrers(registry, oci, fault_proxy, sync_registry_factory):
    # A cosign OCI 1.1 signature: the simple-signing layer in a manifest whose subject is
    # the image, found through the referrers API (the proxy answers it for the registry).
    image, _ = oci.push_image(registry.ref("ref/app", "v1"))
    blob, annotations = signature_layer(KEY, image.context, image.digest)
    artifact, _ = layout.build_artifact_image([(blob, annotations)])
    run, client = oci.sync.run, oci.sync.client
    for b in (artifact.config, blob):
        run(client.push_blob(image, b.data))
    run(
        client.put_manifest(
            image.by_digest(artifact.digest), artifact.manifest, artifact.media_type
        )
    )
    fault_proxy.referrers_api[image.digest] = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": artifact.media_type,
                "digest": artifact.digest,
                "size": len(artifact.manifest),
                "artifactType": layout.SIGNATURE_ARTIFACT_TYPE,
            }
        ],
    }
    via_proxy = parse_reference(f"{fault_proxy.host}/ref/app@{image.digest}")
    fresh = sync_registry_factory()
    assert fresh.run(verify_image_signatures(fresh.client, via_proxy, opts())).result == (
        VerificationFailure("no signatures found")
    )  # not looked up unless asked
    report = fresh.run(verify_image_signatures(fresh.client, via_proxy, opts(), referrers=True))
    assert report.result and len(report.verified) == 1
