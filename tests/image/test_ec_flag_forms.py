"""`validate image` flag forms `ec`'s pipelines use, on real command lines against the test
registry: the deprecated snapshot flags (`--json-input`/`-j`, `--file-path`/`-f`), an
inline `--snapshot` spec, `--attestation-format predicate`, `--timeout 0` and the
`--retry-*` knobs (through a fault-injecting proxy that counts what it refused)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from image_support import IMAGE_SPEC, Publisher, Signer

from konflux.cli.main import cli
from konflux.engine.output.vsa import VSA_PREDICATE


def run(tmp_path: Path, signer: Signer, *args: str):
    key = tmp_path / "cosign.pub"
    key.write_text(signer.public_pem)
    return CliRunner(env={"COSIGN_PASSWORD": ""}).invoke(
        cli,
        ["validate", "image", "--policy", json.dumps(IMAGE_SPEC), "--public-key", str(key),
         "--ignore-rekor", "-o", "json", *args],
    )  # fmt: skip


def spec(**images: str) -> dict:
    return {
        "application": "app",
        "components": [{"name": name, "containerImage": ref} for name, ref in images.items()],
    }


def components(result) -> dict[str, bool]:
    assert result.exit_code == 0, result.output
    return {c["name"]: c["success"] for c in json.loads(result.stdout)["components"]}


@pytest.mark.parametrize("flag", ["--json-input", "-j"])
def test_json_input_is_an_inline_snapshot(tmp_path, publisher: Publisher, signer, flag):
    ref = publisher.release_ready(f"forms/json{flag.strip('-')}", signer)
    result = run(tmp_path, signer, flag, json.dumps(spec(web=str(ref))))
    assert components(result) == {"web": True}


@pytest.mark.parametrize("flag", ["--file-path", "-f"])
def test_file_path_is_a_snapshot_file(tmp_path, publisher: Publisher, signer, flag):
    a = publisher.release_ready("forms/file-a", signer)
    b = publisher.release_ready("forms/file-b", signer, labels={})  # `name` missing: fails
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text(yaml.safe_dump(spec(a=str(a), b=str(b))))
    result = run(tmp_path, signer, flag, str(snapshot), "--no-strict")
    assert components(result) == {"a": True, "b": False}


def test_file_path_that_does_not_exist_is_named(tmp_path, signer):
    result = run(tmp_path, signer, "--file-path", str(tmp_path / "absent.yaml"))
    assert result.exit_code == 1
    assert f"Error: {tmp_path / 'absent.yaml'}: no such file (--file-path)" in result.stderr


@pytest.mark.parametrize("form", ["json", "yaml"])
def test_snapshot_takes_an_inline_spec(tmp_path, publisher: Publisher, signer, form):
    ref = publisher.release_ready(f"forms/inline-{form}", signer)
    document = spec(api=str(ref))
    text = json.dumps(document) if form == "json" else yaml.safe_dump(document)
    result = run(tmp_path, signer, "--snapshot", text)
    assert components(result) == {"api": True}


def test_attestation_format_predicate_writes_bare_statements_without_a_key(
    tmp_path, publisher: Publisher, signer
):
    ref = publisher.release_ready("forms/predicate", signer)
    out = tmp_path / "vsa"
    result = run(tmp_path, signer, "--image", str(ref), "--vsa", "--attestation-format",
                 "predicate", "--attestation-output-dir", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    (written,) = out.glob("*.vsa.json")
    statement = json.loads(written.read_text())
    assert "payloadType" not in statement  # not a DSSE envelope: nothing was signed
    assert statement["predicateType"] == VSA_PREDICATE
    assert [s["digest"]["sha256"] for s in statement["subject"]] == [ref.digest.split(":")[1]]


def test_timeout_zero_is_no_limit(tmp_path, publisher: Publisher, signer):
    ref = publisher.release_ready("forms/timeout", signer)
    # A run takes far longer than a millisecond (the policy alone compiles for longer) ...
    limited = run(tmp_path, signer, "--image", str(ref), "--timeout", "1ms")
    assert limited.exit_code == 1
    assert "validation did not finish within --timeout 1ms" in limited.stderr
    # ... so 0 cannot be a zero-second limit: it is none, as in `ec`.
    assert components(run(tmp_path, signer, "--image", str(ref), "--timeout", "0")) == {
        "Unnamed": True
    }


FAST_RETRIES = ("--retry-duration", "10ms", "--retry-max-wait", "20ms", "--retry-factor",
                "1.5", "--retry-jitter", "0")  # fmt: skip


def test_retry_flags_reach_the_registry_client(tmp_path, publisher: Publisher, signer, fault_proxy):
    ref = publisher.release_ready("forms/retry", signer)
    through_proxy = f"{fault_proxy.host}/forms/retry@{ref.digest}"
    fault_proxy.inject("500", times=2, path_part="/manifests/")
    retried = run(tmp_path, signer, "--image", through_proxy, "--retry-max-retry", "2",
                  *FAST_RETRIES)  # fmt: skip
    assert components(retried) == {"Unnamed": True}
    assert fault_proxy.hits == 2  # both refused, then the third try got through

    fault_proxy.inject("500", times=1, path_part="/manifests/")
    once = run(tmp_path, signer, "--image", through_proxy, "--retry-max-retry=0", *FAST_RETRIES)
    assert once.exit_code == 1
    violations = json.loads(once.stdout)["components"][0]["violations"]
    assert [v["metadata"]["code"] for v in violations] == ["builtin.image.accessible"]
    assert "500" in violations[0]["msg"]
    assert fault_proxy.hits == 1  # no retry
