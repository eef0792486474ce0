"""`konflux key generate`, `sign`, `attest`, `sbom attach` (click objects, real registry)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from konflux.cli.supplychain import attest, key, sbom, sign
from konflux.engine.sigstore import (
    CheckOptions,
    KeyPasswordError,
    fetch_sbom,
    load_private_key,
    load_public_key,
    verify_attestations,
    verify_image_signatures,
)
from konflux.engine.sigstore.payloads import SLSA_PROVENANCE_V1


@pytest.fixture
def keypair(tmp_path, monkeypatch):
    monkeypatch.setenv("COSIGN_PASSWORD", "pw")
    result = CliRunner().invoke(key, ["generate", "--output-key-prefix", str(tmp_path / "k")])
    assert result.exit_code == 0, result.output
    return tmp_path / "k.key", tmp_path / "k.pub"


def test_key_generate_writes_cosign_files(keypair, monkeypatch):
    private, public = keypair
    assert private.read_text().startswith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    assert load_private_key(str(private)).public.pem == load_public_key(str(public)).pem
    monkeypatch.setenv("COSIGN_PASSWORD", "not-pw")
    with pytest.raises(KeyPasswordError):
        load_private_key(str(private))


def test_key_generate_refuses_to_overwrite(keypair):
    private, _ = keypair
    prefix = str(private)[: -len(".key")]
    result = CliRunner().invoke(key, ["generate", "--output-key-prefix", prefix])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_key_generate_without_password_source_fails(tmp_path, monkeypatch):
    monkeypatch.delenv("COSIGN_PASSWORD", raising=False)
    result = CliRunner().invoke(key, ["generate", "--output-key-prefix", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "COSIGN_PASSWORD" in result.output


def test_sign_attest_and_attach_sbom(registry, oci, keypair, tmp_path):
    private, public = keypair
    image, _ = oci.push_image(registry.ref("cli/app", "v1"))
    runner = CliRunner()
    tagged = str(registry.ref("cli/app", "v1"))

    result = runner.invoke(sign, [tagged, "--key", str(private), "-a", "team=konflux"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith(f"{image.context}:sha256-{image.digest[7:]}.sig@")

    predicate = tmp_path / "prov.json"
    predicate.write_text(
        json.dumps(
            {
                "buildDefinition": {
                    "buildType": "https://konflux.test/build",
                    "externalParameters": {},
                },
                "runDetails": {
                    "builder": {"id": "https://konflux.test/builder"},
                    "metadata": {"invocationID": "run-1"},
                },
            }
        )
    )
    result = runner.invoke(
        attest,
        [tagged, "--key", str(private), "--predicate", str(predicate), "--type", "slsaprovenance1"],
    )
    assert result.exit_code == 0, result.output

    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5"}))
    result = runner.invoke(sbom, ["attach", tagged, "--sbom", str(bom), "--type", "cyclonedx"])
    assert result.exit_code == 0, result.output

    opts = CheckOptions(public_key=load_public_key(str(public)))
    run, client = oci.sync.run, oci.sync.client
    sigs = run(verify_image_signatures(client, image, opts))
    assert sigs.result
    assert json.loads(sigs.verified[0].payload)["optional"] == {"team": "konflux"}
    atts = run(verify_attestations(client, image, opts))
    assert atts.result and atts.syntax_result
    statement = atts.inputs()[0]["statement"]
    assert statement["predicateType"] == SLSA_PROVENANCE_V1
    assert statement["predicate"]["runDetails"]["metadata"] == {"invocationId": "run-1"}
    media_type, doc = run(fetch_sbom(client, image))
    assert media_type == "application/vnd.cyclonedx+json" and json.loads(doc)["bomFormat"] == (
        "CycloneDX"
    )


def test_attest_with_unknown_type_word_fails(registry, oci, keypair, tmp_path):
    private, _ = keypair
    oci.push_image(registry.ref("cli/bad", "v1"))
    predicate = tmp_path / "p.json"
    predicate.write_text("{}")
    result = CliRunner().invoke(
        attest,
        [
            str(registry.ref("cli/bad", "v1")),
            "--key",
            str(private),
            "--predicate",
            str(predicate),
            "--type",
            "nonsense",
        ],
    )
    assert result.exit_code == 1
    assert "invalid predicate type 'nonsense'" in result.output


def test_sign_missing_image_is_a_clear_error(registry, keypair):
    private, _ = keypair
    result = CliRunner().invoke(
        sign, [str(registry.ref("cli/absent", "v1")), "--key", str(private)]
    )
    assert result.exit_code == 1
    assert "cli/absent" in result.output


def test_sign_with_wrong_password_fails(registry, keypair, monkeypatch):
    private, _ = keypair
    monkeypatch.setenv("COSIGN_PASSWORD", "nope")
    result = CliRunner().invoke(sign, [str(registry.ref("cli/app", "v1")), "--key", str(private)])
    assert result.exit_code == 1
    assert "wrong password" in result.output


def test_attest_default_type_passes_our_own_syntax_check(registry, oci, keypair, tmp_path):
    """`konflux attest` without `--type` writes cosign's custom predicate, which
    `validate image`'s builtin.attestation.syntax_check accepts."""
    private, public = keypair
    image, _ = oci.push_image(registry.ref("cli/custom", "v1"))
    note = tmp_path / "review.txt"
    note.write_text("reviewed-by: alice\n")
    result = CliRunner().invoke(
        attest,
        [str(registry.ref("cli/custom", "v1")), "--key", str(private), "--predicate", str(note)],
    )
    assert result.exit_code == 0, result.output
    opts = CheckOptions(public_key=load_public_key(str(public)))
    atts = oci.sync.run(verify_attestations(oci.sync.client, image, opts))
    assert atts.result and atts.syntax_result, atts.syntax_result
    predicate = atts.inputs()[0]["statement"]["predicate"]
    assert predicate["Data"] == "reviewed-by: alice\n"


def test_custom_predicate_without_its_fields_fails_the_syntax_check():
    from konflux.engine.sigstore.payloads import COSIGN_CUSTOM, predicate_problems

    statement = {"predicateType": COSIGN_CUSTOM, "predicate": {"Data": 1}}
    assert predicate_problems(statement) == [
        f"{COSIGN_CUSTOM}: Data is not a string",
        f"{COSIGN_CUSTOM}: predicate lacks required field Timestamp",
    ]
