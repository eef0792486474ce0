"""`validate image` keyless: certificates from our own test CA, bundles from our own Rekor key."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from image_support import PROVENANCE_V02, Publisher, provenance

from konflux.cli.main import cli
from konflux.engine.sigstore import LocalLog, attest_image, sign_image
from konflux.engine.sigstore.keys import generate_private_key
from tests.sigstore.sigstore_testpki import (
    IDENTITY,
    ISSUER,
    T0,
    make_intermediate,
    make_leaf,
    make_root,
    pem,
    trusted_root,
)

ROOT_DIR = Path(__file__).resolve().parents[2]
POLICY = json.dumps(
    {
        "sources": [
            {
                "policy": [
                    str(ROOT_DIR / "examples/rego/image"),
                    str(ROOT_DIR / "examples/rego/lib"),
                ],
                "ruleData": {
                    "required_labels": ["name"],
                    "allowed_builder_ids": ["https://tekton.dev/chains/v2"],
                },
            }
        ]
    }
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    root = make_root()
    intermediate = make_intermediate(root)
    log_key = generate_private_key()
    path = tmp_path_factory.mktemp("trust") / "trusted_root.json"
    path.write_text(trusted_root([[intermediate.cert, root.cert]], [log_key]))
    return intermediate, root, log_key, str(path)


def _sign_keyless(publisher: Publisher, ref, pki, *, not_before=T0) -> None:
    intermediate, root, log_key, _ = pki
    signer = generate_private_key()  # the ephemeral key a Fulcio would certify
    cert = pem(make_leaf(intermediate, signer, not_before=not_before))
    chain = intermediate.pem + root.pem
    at = int((T0 + timedelta(minutes=1)).timestamp())
    sync = publisher.sync
    kw = {"certificate_pem": cert, "chain_pem": chain, "log": LocalLog(log_key, at)}
    sync.run(sign_image(sync.client, ref, signer, **kw))
    sync.run(attest_image(sync.client, ref, signer, PROVENANCE_V02, provenance(), **kw))


def _validate(ref, trust: str, *extra: str):
    return CliRunner().invoke(
        cli,
        [
            "validate",
            "image",
            "--policy",
            POLICY,
            "--image",
            str(ref),
            "--trusted-root",
            trust,
            "-o",
            "json",
            *extra,
        ],
    )


def test_keyless_signed_image_passes(publisher, pki):
    ref = publisher.image("keyless/ok")
    _sign_keyless(publisher, ref, pki)
    result = _validate(
        ref, pki[3], "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER
    )
    doc = json.loads(result.stdout)
    assert (result.exit_code, doc["success"], doc["key"]) == (0, True, "")
    assert doc["components"][0]["signatures"][0]["certificate"].startswith("-----BEGIN")


def test_wrong_identity_fails_the_signature_checks(publisher, pki):
    ref = publisher.image("keyless/identity")
    _sign_keyless(publisher, ref, pki)
    result = _validate(
        ref,
        pki[3],
        "--certificate-identity",
        "https://evil.example.test/x",
        "--certificate-oidc-issuer",
        ISSUER,
    )
    violations = json.loads(result.stdout)["components"][0]["violations"]
    messages = {v["metadata"]["code"]: v["msg"] for v in violations}
    assert result.exit_code == 1
    assert messages["builtin.image.signature_check"].startswith("Image signature check failed: ")


def test_certificate_expired_at_signing_time_fails(publisher, pki):
    ref = publisher.image("keyless/expired")
    _sign_keyless(publisher, ref, pki, not_before=T0 - timedelta(hours=1))
    result = _validate(
        ref, pki[3], "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER
    )
    codes = [
        v["metadata"]["code"] for v in json.loads(result.stdout)["components"][0]["violations"]
    ]
    assert "builtin.image.signature_check" in codes


def test_untrusted_ca_fails(publisher, pki, tmp_path):
    ref = publisher.image("keyless/untrusted")
    _sign_keyless(publisher, ref, pki)
    other_root = make_root("another-root")
    other = tmp_path / "other_root.json"
    other.write_text(trusted_root([[other_root.cert]], [pki[2]]))
    result = _validate(
        ref, str(other), "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER
    )
    assert json.loads(result.stdout)["success"] is False
