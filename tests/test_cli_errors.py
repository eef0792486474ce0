"""Every mistake gets a message a person can act on: the sweep over commands and bad arguments,
and the errors issue 15 names one by one (output targets, keys, Snapshot files, sources)."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import ROOT

from konflux.cli.main import cli
from konflux.engine.sigstore import generate_key_pair

POLICY = str(ROOT / "examples" / "policy.yaml")
IMAGE_POLICY = str(ROOT / "examples" / "image-policy.yaml")
INPUT = str(ROOT / "examples" / "input.json")
REGO = str(ROOT / "examples" / "rego")
KONFLUX = [sys.executable, "-m", "konflux"]


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of wrong files: garbage, a directory, a key of the wrong kind, bad Rego."""
    d = tmp_path_factory.mktemp("bad")
    (d / "garbage.txt").write_text("garbage\n")
    (d / "adir").mkdir()
    pair = generate_key_pair(b"")
    (d / "c.key").write_bytes(pair.private_pem)
    (d / "c.pub").write_bytes(pair.public_pem)
    (d / "rego").mkdir()
    (d / "rego" / "broken.rego").write_text("package broken\n\nimport rego.v1\n\ndeny if {\n")
    (d / "bare.yaml").write_text("spec:\n")
    (d / "not-a-snapshot.yaml").write_text("just: [a, list]\n")
    (d / "list.yaml").write_text("- a\n- list\n")
    (d / "certs").mkdir()
    # A cluster that is never reached: the commands fail before they would ask it anything.
    (d / "kubeconfig").write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]\n"
    )
    return d


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    """A port on 127.0.0.1 something already listens on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


# (command line, the thing the message must name); {bad} is the fixture's directory,
# {input}, {policy}, {image_policy} and {rego} the examples.
SWEEP = [
    ("validate input {input} -p {bad}/nope.yaml", "nope.yaml"),
    ("validate input {input} -p {bad}/garbage.txt", "garbage.txt"),
    ("validate input {input} -p {bad}/bare.yaml", "sources"),
    ("validate input {input} -p {bad}/adir", "adir"),
    ("validate input {bad}/nope.json -p {policy}", "nope.json"),
    ("validate input {bad}/adir -p {policy}", "adir"),
    ("validate input {input} -p {policy} --effective-time yesterday", "--effective-time"),
    ("validate input {input} -p {policy} --workers 0", "--workers"),
    ("validate input {input} -p {policy} -o xml", "xml"),
    ("validate input {input} -p {policy} -o json={bad}/no/x.json", "no/x.json"),
    ("validate input {input} -p {policy} -o json={bad}/adir", "adir"),
    ("validate input {input} -p {policy} --extra-rule-data novalue", "novalue"),
    ("validate input {input} -p {policy} --filter-type all", "--filter-type"),
    ("validate policy {bad}/nope.yaml", "nope.yaml"),
    ("validate policy {bad}/garbage.txt", "garbage.txt"),
    ("validate policy {bad}/bare.yaml", "sources"),
    ("validate image -p {image_policy} -k {bad}/c.pub", "--image"),
    ("validate image -i r/x -p {image_policy}", "public key"),
    ("validate image -i r/x -p {image_policy} -k {bad}/nope.pub", "nope.pub"),
    ("validate image -i r/x -p {image_policy} -k {bad}/garbage.txt", "garbage"),
    ("validate image -i r/x -p {image_policy} -k {bad}/c.key", "private"),
    ("validate image -i r/x -p {image_policy} -k {bad}/adir", "adir"),
    (
        "validate image --images {bad}/snap.yml -p {image_policy} -k {bad}/c.pub",
        "snap.yml",
    ),
    (
        "validate image --images {bad}/not-a-snapshot.yaml -p {image_policy} -k {bad}/c.pub",
        "components",
    ),
    ("validate image -i r/x -p {bad}/nope.yaml", "nope.yaml"),
    ("validate image -i r/x -p {image_policy} --effective-time soon", "--effective-time"),
    ("validate image -i r/x -p {image_policy} --retry-jitter 2", "--retry-jitter"),
    ("validate image -i r/x -p {image_policy} --timeout 5x", "--timeout"),
    (
        "validate image -i r/x -p {image_policy} --vsa-upload oci --vsa-expiration 0",
        "--vsa-signing-key",
    ),
    (
        "validate image -i r/x -p {image_policy} --vsa --attestation-format xml",
        "--attestation-format",
    ),
    (
        "validate image -i r/x -p {image_policy} -k {bad}/c.pub --vsa-signing-key {bad}/c.pub",
        "public key was given where a private",
    ),
    ("validate image -i r/x -p {image_policy} --certificate-identity me", "issuer"),
    ("policy test {bad}/nope", "nope"),
    ("policy test {bad}/rego", "broken.rego"),
    ("policy test {rego} --run ((", "--run"),
    ("policy test {rego} --threshold 101", "--threshold"),
    ("policy inspect -s {bad}/nope", "nope"),
    ("policy inspect -s {bad}/rego", "broken.rego"),
    ("policy inspect", "--source"),
    ("policy inspect -p {bad}/bare.yaml", "sources"),
    ("policy bundle build {bad}/nope -o {bad}/b.tar.gz", "nope"),
    ("policy bundle push {rego} 'Not A Ref'", "Not A Ref"),
    ("policy bundle pull 'Not A Ref' {bad}/out", "Not A Ref"),
    ("policy track-task 'Not A Ref' --data {bad}/t.yml", "Not A Ref"),
    ("key generate --output-key-prefix {bad}/no/such/k", "no/such"),
    ("key generate --algorithm dsa", "--algorithm"),
    ("sign r/x:1 --key {bad}/nope.key", "nope.key"),
    ("sign r/x:1 --key {bad}/c.pub", "public key was given"),
    ("sign r/x:1 --key {bad}/garbage.txt", "garbage.txt"),
    ("sign r/x:1 --key {bad}/c.key -a novalue", "novalue"),
    ("attest r/x:1 --key {bad}/c.key --predicate {bad}/nope", "nope"),
    (
        "attest r/x:1 --key {bad}/c.key --predicate {bad}/garbage.txt --type slsaprovenance",
        "garbage.txt",
    ),
    ("attest r/x:1 --key {bad}/c.key --predicate {input} --type odd", "odd"),
    ("sbom attach r/x:1 --sbom {bad}/nope.json", "nope.json"),
    ("sbom attach r/x:1 --sbom {input} --type odd", "--type"),
    ("webhook serve --tls-cert {bad}/nope.crt --tls-key {bad}/nope.key", "nope.crt"),
    (
        "webhook serve --tls-cert {bad}/garbage.txt --tls-key {bad}/garbage.txt --port 70000",
        "--port",
    ),
    ("webhook certs --dns x --out {bad}/garbage.txt", "garbage.txt"),
    ("controllers run --only deploy", "deploy"),
    ("controllers run --kubeconfig {bad}/nope", "nope"),
    ("controllers gc-snapshots --keep-push -1", "--keep-push"),
    ("dev image r/x:1 --label novalue", "novalue"),
    ("demo -o xml", "xml"),
    ("nonsense", "nonsense"),
    # `ec`'s other commands
    ("test {input} -p {bad}/nope.rego", "nope.rego"),
    ("test {bad}/nope.json -p {rego}", "nope.json"),
    ("test {input} -p {rego} --rego-version v0", "v0"),
    ("validate vsa --policy {policy}", "--vsa"),
    (
        "validate vsa --vsa {bad}/nope.json --policy {policy} --vsa-public-key {bad}/c.pub",
        "nope.json",
    ),
    ("validate vsa --vsa r/x:1 --policy {policy}", "--vsa-public-key"),
    (
        "validate vsa --vsa r/x:1 --policy {policy} --vsa-public-key {bad}/garbage.txt",
        "garbage.txt",
    ),
    ("validate vsa --vsa r/x:1 --images {bad}/s.yml --policy {policy}", "not both"),
    ("inspect policy --source {bad}/nope", "nope"),
    ("inspect policy --source {bad}/rego", "broken.rego"),
    ("inspect policy --source {rego} -o spam", "spam"),
    ("inspect policy-data --source {bad}/nope", "nope"),
    ("inspect policy-data --source {bad}/list.yaml", "list.yaml"),
    ("fetch policy --source {bad}/nope --dest {bad}/out", "nope"),
    ("fetch policy --source {rego} --dest {bad}/garbage.txt/out", "garbage.txt"),
    ("init policies --dest-dir {bad}/garbage.txt/x", "garbage.txt"),
    ("track bundle", "bundle"),
    ("track bundle --bundle 'Not A Ref'", "Not A Ref"),
    ("track bundle --git git+https://example.com/t.git//task.yaml", "revision"),
    ("track bundle --input {bad}/nope.yml --bundle r/x:1", "nope.yml"),
    ("console serve --kubeconfig {bad}/nope", "nope"),
    ("console serve --kubeconfig {bad}/kubeconfig --port {port}", "{port}"),
    ("console serve --kubeconfig {bad}/kubeconfig --port 70000", "--port"),
    ("dev registry --port {port}", "{port}"),
    ("dev simulate --console --console-port {port}", "{port}"),
    ("dev simulate --output xml", "--output"),
    ("dev simulate --failing --forged", "--forged"),
    ("validate input --server --server-port {port} -p {policy}", "{port}"),
    ("validate input --server -p {policy} {input}", "--server"),
]


PLACES = {
    "input": str(ROOT / "examples" / "input.json"),
    "policy": str(ROOT / "examples" / "policy.yaml"),
    "image_policy": str(ROOT / "examples" / "image-policy.yaml"),
    "rego": str(ROOT / "examples" / "rego"),
}


def _ids() -> list[str]:
    return [line.replace("{bad}/", "")[:60] for line, _ in SWEEP]


@pytest.mark.parametrize(("args", "thing"), SWEEP, ids=_ids())
def test_every_mistake_gets_one_line_naming_it(
    bad: Path, port: int, args: list[str], thing: str, monkeypatch
):
    monkeypatch.setenv("COSIGN_PASSWORD", "")
    monkeypatch.chdir(bad)
    argv = [a.format(bad=bad, port=port, **PLACES) for a in shlex.split(args)]
    thing = thing.format(port=port)
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code not in (0, None), result.output
    # No exception escaped the command: the real entry point would call it a bug.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert thing in errors[0], errors[0]


def test_the_entry_point_turns_a_bug_into_one_line(tmp_path):
    # An OSError nothing turned into a message yet still becomes one line, exit 1.
    done = subprocess.run(
        [sys.executable, "-m", "konflux", "policy", "bundle", "build", REGO, "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len([line for line in done.stderr.splitlines() if line.startswith("Error:")]) == 1


# -- output targets -----------------------------------------------------------------------------


def validate_input(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "konflux", "validate", "input", INPUT, "-p", POLICY, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        **kw,
    )


def test_unwritable_target_is_refused_before_the_run_and_appstudio_still_written(tmp_path):
    test_output = tmp_path / "TEST_OUTPUT"
    done = validate_input("-o", "json=/nonexistent/x.json", "-o", f"appstudio={test_output}")
    assert done.returncode == 1  # a refused --output value: `ec`'s exit code
    assert "cannot write the json report to /nonexistent/x.json: no such directory" in done.stderr
    assert json.loads(test_output.read_text())["result"] == "ERROR"


def test_a_directory_as_report_path_is_named(tmp_path):
    done = validate_input("-o", f"json={tmp_path}")
    assert done.returncode == 1
    assert f"cannot write the json report to {tmp_path}: it is a directory" in done.stderr


def test_validate_image_checks_its_targets_before_anything_else(tmp_path):
    # The policy does not exist either: a target checked later would not be what is named.
    test_output = tmp_path / "TEST_OUTPUT"
    done = subprocess.run(
        [*KONFLUX, "validate", "image", "-i", "127.0.0.1:9/x:1", "-p", "/nonexistent.yaml",
         "-o", "json=/nonexistent/x.json", "-o", f"appstudio={test_output}"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Error: invalid value for --output: cannot write the json report to "
        "/nonexistent/x.json: no such directory /nonexistent"
    ]
    doc = json.loads(test_output.read_text())
    assert doc["result"] == "ERROR"
    assert doc["note"].startswith("Error: validating image: invalid value for --output")


def test_validate_image_names_a_directory_given_as_report_path(tmp_path):
    result = CliRunner().invoke(
        cli, ["validate", "image", "-i", "r/x", "-p", IMAGE_POLICY, "-o", f"yaml={tmp_path}"]
    )
    assert result.exit_code == 1
    assert f"cannot write the yaml report to {tmp_path}: it is a directory" in result.stderr


def test_stdout_on_a_full_disk_still_writes_the_other_targets(tmp_path):
    summary = tmp_path / "summary.json"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [
                *KONFLUX,
                "validate",
                "input",
                INPUT,
                "-p",
                POLICY,
                "--no-strict",
                "-o",
                "text",
                "-o",
                f"summary={summary}",
            ],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: could not write the text report to stdout: No space left on device"
    ]
    assert json.loads(summary.read_text())["success"] is False


def test_usage_error_still_writes_the_appstudio_error_document(tmp_path):
    test_output = tmp_path / "TEST_OUTPUT"
    result = CliRunner().invoke(
        cli, ["validate", "image", "-i", "r/x", "--bogus", "-o", f"appstudio={test_output}"]
    )
    assert result.exit_code == 2
    doc = json.loads(test_output.read_text())
    assert doc["result"] == "ERROR"
    assert "--bogus" in doc["note"]


def test_usage_error_found_by_the_command_writes_the_document_to_stdout():
    result = CliRunner().invoke(
        cli, ["validate", "input", "-p", POLICY, "-o", "appstudio", "--workers", "1"]
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout)["note"].endswith("at least one input file must be given")


def test_validate_image_without_trust_fails_before_fetching_anything(tmp_path):
    # 127.0.0.1:9 (discard) never answers: a run that went on would time out instead.
    result = CliRunner().invoke(
        cli, ["validate", "image", "-i", "127.0.0.1:9/x:1", "-p", IMAGE_POLICY, "--timeout", "5"]
    )
    assert result.exit_code == 2
    assert "no public key and no keyless identity" in result.stderr


# -- messages ------------------------------------------------------------------------------------


def test_key_file_content_is_never_read_as_a_path(bad: Path):
    result = CliRunner().invoke(
        cli, ["validate", "image", "-i", "r/x", "-p", IMAGE_POLICY, "-k", str(bad / "garbage.txt")]
    )
    assert f"{bad / 'garbage.txt'}: not a PEM public key" in result.stderr
    assert "cannot read key file garbage" not in result.stderr


def test_relative_policy_source_names_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "input", INPUT, "-p", POLICY])
    assert result.exit_code == 1
    assert f"relative to the current directory {tmp_path}" in result.stderr


def test_missing_snapshot_file_says_no_such_file(bad: Path, monkeypatch):
    monkeypatch.chdir(bad)
    result = CliRunner().invoke(
        cli,
        [
            "validate",
            "image",
            "--images",
            "snapshot.yml",
            "-p",
            IMAGE_POLICY,
            "-k",
            str(bad / "c.pub"),
        ],
    )
    assert "Error: snapshot.yml: no such file" in result.stderr


def test_port_in_use_is_one_line(tmp_path):
    import socket

    from konflux.webhooks.certs import generate

    files = generate(tmp_path, ["localhost"], 1)
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "konflux",
                "webhook",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--tls-cert",
                str(files.cert),
                "--tls-key",
                str(files.key),
            ],
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "KUBECONFIG"},
            timeout=60,
        )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if not line.startswith("{")]
    assert errors == [f"Error: cannot listen on 127.0.0.1:{port}: the address is already in use"]
