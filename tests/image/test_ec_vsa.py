"""VSAs as `ec`'s flags make them: --vsa, --vsa-upload, --vsa-expiration, validate vsa."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from image_support import IMAGE_SPEC

from konflux.cli.go_values import format_duration, parse_bool, parse_duration
from konflux.cli.main import cli
from konflux.engine.output.vsa import signed_vsa
from konflux.engine.report import Outcome, Report, TargetReport
from konflux.engine.sigstore import generate_key_pair, load_private_key
from konflux.engine.sigstore.keys import load_public_key
from konflux.engine.vsa_store import judge, policy_digest

SPEC = IMAGE_SPEC


def keys(tmp_path: Path, name: str) -> tuple[Path, Path]:
    pair = generate_key_pair(b"")
    (tmp_path / f"{name}.key").write_bytes(pair.private_pem)
    (tmp_path / f"{name}.pub").write_bytes(pair.public_pem)
    return tmp_path / f"{name}.key", tmp_path / f"{name}.pub"


def run(*args: str):
    return CliRunner(env={"COSIGN_PASSWORD": ""}).invoke(
        cli, ["validate", "image", "--policy", json.dumps(SPEC), "--ignore-rekor", *args]
    )


def test_vsa_files_are_written_and_stored_locally(tmp_path, publisher, signer):
    ref = publisher.release_ready("vsa/local", signer)
    key, _ = keys(tmp_path, "vsa")
    image_key = tmp_path / "image.pub"
    image_key.write_text(signer.public_pem)
    out, store = tmp_path / "out", tmp_path / "store"
    result = run(
        "--image", str(ref), "--public-key", str(image_key), "--vsa", "--vsa-signing-key",
        str(key), "--attestation-output-dir", str(out), "--vsa-upload", f"local@{store}",
        "--vsa-expiration", "0", "-o", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (written,) = out.glob("*.vsa.json")
    (uploaded,) = store.glob("vsa-*.json")  # ec's local backend names its files so
    assert uploaded.read_text() == written.read_text().rstrip("\n")
    envelope = json.loads(written.read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"


def test_a_valid_stored_vsa_skips_validation_and_an_expired_one_does_not(
    tmp_path, publisher, signer
):
    ref = publisher.release_ready("vsa/reuse", signer)
    key, pub = keys(tmp_path, "vsa")
    image_key = tmp_path / "image.pub"
    image_key.write_text(signer.public_pem)
    store = tmp_path / "store"
    common = ["--image", str(ref), "--public-key", str(image_key), "-o", "json",
              "--vsa-upload", f"local@{store}", "--vsa-public-key", str(pub)]  # fmt: skip
    first = run(*common, "--vsa", "--vsa-signing-key", str(key), "--vsa-expiration", "0")
    assert first.exit_code == 0, first.output
    second = run(*common, "--vsa-expiration", "1h", "--show-successes")
    assert second.exit_code == 0, second.output
    successes = json.loads(second.stdout)["components"][0]["successes"]
    assert [s["metadata"]["code"] for s in successes] == ["builtin.vsa.reused"]
    third = run(*common, "--vsa-expiration", "1ns", "--show-successes")
    codes = [s["metadata"]["code"] for s in json.loads(third.stdout)["components"][0]["successes"]]
    assert "builtin.vsa.reused" not in codes and "builtin.image.signature_check" in codes


def test_vsa_flags_are_checked_together(tmp_path):
    result = run("--image", "x/y:1", "--vsa", "--attestation-format", "xml", "--vsa-upload", "oci")
    assert result.exit_code == 1
    assert "invalid --attestation-format: xml (valid: dsse, predicate)" in result.stderr
    assert "--vsa-public-key required when --vsa-upload is set" in result.stderr


def vsa_for(image: str, key, *, policy: dict, passed: bool = True, when: datetime) -> str:
    target = TargetReport("c", Outcome(violations=[] if passed else [object()]), image=image)  # type: ignore[list-item]
    report = Report(
        targets=[target], policy=policy, effective_time=when, created=when, kind="image"
    )
    return signed_vsa(report, key)


def test_judge_refuses_every_doubtful_vsa() -> None:
    pair = generate_key_pair(b"")
    key, pub = load_private_key(pair.private_pem, b""), load_public_key(pair.public_pem)
    other = load_public_key(generate_key_pair(b"").public_pem)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    image = "r.io/app@sha256:" + "a" * 64
    policy = {"sources": [{"policy": ["git::h/p?ref=1"]}]}
    good = vsa_for(image, key, policy=policy, when=now - timedelta(minutes=5))
    args = {
        "image": image,
        "policy": policy_digest(policy),
        "max_age": timedelta(hours=1),
        "now": now,
    }
    assert judge(good, public_key=pub, **args).usable
    assert "signature" in judge(good, public_key=other, **args).reason
    assert "another policy" in judge(good, public_key=pub, **{**args, "policy": "0"}).reason
    assert (
        "another image"
        in judge(good, public_key=pub, **{**args, "image": "r.io/app@sha256:" + "b" * 64}).reason
    )
    old = vsa_for(image, key, policy=policy, when=now - timedelta(hours=2))
    assert "expired" in judge(old, public_key=pub, **args).reason
    failed = vsa_for(image, key, policy=policy, passed=False, when=now)
    assert "FAILED" in judge(failed, public_key=pub, **args).reason


def test_validate_vsa_checks_a_file_and_falls_back_only_when_asked(tmp_path, publisher, signer):
    ref = publisher.release_ready("vsa/cmd", signer)
    key, pub = keys(tmp_path, "vsa")
    image_key = tmp_path / "image.pub"
    image_key.write_text(signer.public_pem)
    out = tmp_path / "out"
    made = run("--image", str(ref), "--public-key", str(image_key), "--vsa", "--vsa-signing-key",
               str(key), "--attestation-output-dir", str(out), "--vsa-expiration", "0")  # fmt: skip
    assert made.exit_code == 0, made.output
    (vsa_file,) = out.glob("*.vsa.json")
    base = ["validate", "vsa", "--policy", json.dumps(SPEC), "--vsa-public-key", str(pub)]
    ok = CliRunner().invoke(cli, [*base, "--vsa", str(vsa_file), "-o", "json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["success"] is True
    other_pub = keys(tmp_path, "other")[1]
    bad = CliRunner().invoke(
        cli,
        ["validate", "vsa", "--policy", json.dumps(SPEC), "--vsa-public-key", str(other_pub),
         "--vsa", str(vsa_file), "--no-fallback"],
    )  # fmt: skip
    assert bad.exit_code == 1


def test_go_durations_and_booleans() -> None:
    assert parse_duration("1h30m") == 5400
    assert parse_duration("500ms") == 0.5
    assert parse_duration("0") == 0
    assert parse_duration("7d", long_units=True) == 7 * 86400
    for bad, message in (("5", "missing unit"), ("3x", "unknown unit"), ("", "invalid")):
        try:
            parse_duration(bad)
        except ValueError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(bad)
    assert format_duration(168 * 3600) == "168h0m0s"
    assert (parse_bool("T"), parse_bool("0")) == (True, False)
