"""`konflux validate image` through the command line: flags, outputs, exit codes, VSA."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from image_support import ROOT, Publisher, Signer

from konflux.cli.main import cli
from konflux.engine.output.vsa import VSA_PREDICATE
from konflux.engine.sigstore import (
    check_options,
    generate_key_pair,
    verify_attestations,
)
from tests.fixtures.registry import make_sync_registry

POLICY = json.dumps(
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


def run(*args: str):
    return CliRunner().invoke(cli, ["validate", "image", "--policy", POLICY, *args])


def _key_file(tmp_path: Path, signer: Signer) -> str:
    path = tmp_path / "cosign.pub"
    path.write_text(signer.public_pem)
    return str(path)


def test_passing_image_exits_0_with_json(tmp_path, publisher: Publisher, signer):
    ref = publisher.release_ready("cli/ok", signer)
    result = run("--image", str(ref), "--public-key", _key_file(tmp_path, signer), "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["success"] is True


def test_failing_image_exits_1_when_strict(tmp_path, publisher, signer):
    ref = publisher.release_ready("cli/fail", signer, labels={})
    result = run("--image", str(ref), "--public-key", _key_file(tmp_path, signer))
    assert (result.exit_code, "success criteria not met" in result.stderr) == (1, True)


def test_failing_image_exits_0_without_strict(tmp_path, publisher, signer):
    ref = publisher.release_ready("cli/nostrict", signer, labels={})
    result = run("--image", str(ref), "--public-key", _key_file(tmp_path, signer), "--no-strict")
    assert result.exit_code == 0


def test_images_snapshot_file_and_output_files(tmp_path, publisher, signer):
    a = publisher.release_ready("cli/snap-a", signer)
    b = publisher.release_ready("cli/snap-b", signer)
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text(
        yaml.safe_dump(
            {
                "kind": "Snapshot",
                "spec": {
                    "application": "app",
                    "components": [
                        {"name": "a", "containerImage": str(a)},
                        {"name": "b", "containerImage": str(b)},
                    ],
                },
            }
        )
    )
    out = tmp_path / "report.json"
    test_output = tmp_path / "TEST_OUTPUT"
    result = run(
        "--images",
        str(snapshot),
        "--public-key",
        _key_file(tmp_path, signer),
        "-o",
        f"json={out}",
        "-o",
        f"appstudio={test_output}",
    )
    assert result.exit_code == 0, result.output
    names = sorted(c["name"] for c in json.loads(out.read_text())["components"])
    assert (names, json.loads(test_output.read_text())["result"]) == (["a", "b"], "SUCCESS")


def test_show_successes_option_on_one_target(tmp_path, publisher, signer):
    ref = publisher.release_ready("cli/opts", signer)
    result = run(
        "--image",
        str(ref),
        "--public-key",
        _key_file(tmp_path, signer),
        "-o",
        "json?show-successes=true",
    )
    assert "successes" in json.loads(result.stdout)["components"][0]


def test_neither_image_nor_images_is_a_usage_error():
    assert run().exit_code == 2


def test_keyless_without_issuer_is_a_usage_error(publisher, signer):
    ref = publisher.release_ready("cli/keyless", signer)
    result = run("--image", str(ref), "--certificate-identity", "me@example.com")
    assert (result.exit_code, "OIDC issuer must be provided" in result.output) == (2, True)


def test_appstudio_error_document_when_policy_cannot_load(tmp_path):
    out = tmp_path / "TEST_OUTPUT"
    result = CliRunner().invoke(
        cli,
        [
            "validate",
            "image",
            "--image",
            "127.0.0.1:9/x:y",
            "--policy",
            str(tmp_path / "none"),
            "-o",
            f"appstudio={out}",
        ],
    )
    assert (result.exit_code, json.loads(out.read_text())["result"]) == (1, "ERROR")


def test_dropped_connections_fail_the_image(tmp_path, publisher, signer, fault_proxy):
    ref = publisher.release_ready("cli/drop", signer)
    fault_proxy.inject("drop", path_part="/manifests/")
    result = run(
        "--image",
        f"{fault_proxy.host}/cli/drop@{ref.digest}",
        "--public-key",
        _key_file(tmp_path, signer),
        "-o",
        "json",
        "--retry-max-retry",
        "0",
    )
    doc = json.loads(result.stdout)
    codes = [v["metadata"]["code"] for v in doc["components"][0]["violations"]]
    assert (result.exit_code, codes) == (1, ["builtin.image.accessible"])


def test_overall_timeout_is_an_error(tmp_path, publisher, signer, fault_proxy):
    ref = publisher.release_ready("cli/hang", signer)
    fault_proxy.inject("hang", path_part="/manifests/sha256-")
    result = run(
        "--image",
        f"{fault_proxy.host}/cli/hang@{ref.digest}",
        "--public-key",
        _key_file(tmp_path, signer),
        "--timeout",
        "1",
    )
    assert (result.exit_code, "did not finish within --timeout 1s" in result.stderr) == (1, True)


def test_signed_vsa_is_a_dsse_envelope_and_is_uploaded(tmp_path, publisher, signer):
    ref = publisher.release_ready("cli/vsa", signer)
    pair = generate_key_pair(b"")
    (tmp_path / "vsa.key").write_bytes(pair.private_pem)
    result = CliRunner(env={"COSIGN_PASSWORD": ""}).invoke(
        cli,
        [
            "validate",
            "image",
            "--policy",
            POLICY,
            "--image",
            str(ref),
            "--public-key",
            _key_file(tmp_path, signer),
            "--vsa-signing-key",
            str(tmp_path / "vsa.key"),
            "--vsa-upload",
            "oci",
            "--vsa-expiration",
            "0",
            "-o",
            "vsa",
        ],
    )
    assert result.exit_code == 0, result.output
    envelope = json.loads(result.stdout)
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert (envelope["payloadType"], statement["predicateType"]) == (
        "application/vnd.in-toto+json",
        VSA_PREDICATE,
    )
    sync = make_sync_registry()
    try:
        report = sync.run(
            verify_attestations(
                sync.client, ref, check_options(public_key=pair.public_pem, ignore_rekor=True)
            )
        )
    finally:
        sync.close()
    assert VSA_PREDICATE in [a["statement"]["predicateType"] for a in report.inputs()]


def test_public_key_flag_reaches_default_sigstore_opts(tmp_path, publisher, signer):
    ref = publisher.release_ready("cli/opts-data", signer)
    rule = tmp_path / "rules"
    rule.mkdir()
    (rule / "sig.rego").write_text(
        "package sigcheck\n\nimport rego.v1\n\n"
        "# METADATA\n# custom:\n#   short_name: verified\n"
        'deny contains {"code": "sigcheck.verified", "msg": "not verified"} if {\n'
        "\tnot ec.sigstore.verify_image(input.image.ref, "
        "data.config.default_sigstore_opts).success\n}\n"
    )
    policy = json.dumps({"sources": [{"policy": [str(rule)]}]})
    result = CliRunner().invoke(
        cli,
        [
            "validate",
            "image",
            "--policy",
            policy,
            "--image",
            str(ref),
            "--ignore-rekor",
            "--public-key",
            _key_file(tmp_path, signer),
            "-o",
            "json?show-successes=true",
        ],
    )
    doc = json.loads(result.stdout)
    successes = [s["metadata"]["code"] for s in doc["components"][0]["successes"]]
    assert (result.exit_code, "sigcheck.verified" in successes) == (0, True)
