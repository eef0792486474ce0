"""Policy bundles in a real registry: push/pull, `oci::` sources pinned, signed bundles."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import ROOT

from konflux.cli.main import cli
from konflux.engine import PolicyEvaluator, Settings, SourceError, load_policy
from konflux.engine.policy.bundle import collect, pull_bundle, push_bundle
from konflux.engine.sigstore import generate_key_pair, load_private_key, sign_image

LABELS = ROOT / "examples" / "rego" / "labels"
LIB = ROOT / "examples" / "rego" / "lib"
INPUT = json.loads((ROOT / "examples" / "input.json").read_text())


def _push(oci, registry, directory: Path, repo: str, tag: str = "v1"):
    return oci.sync.run(push_bundle(oci.sync.client, directory, registry.ref(repo, tag), tag))


def _policy(*urls: str):
    spec = {"sources": [{"policy": list(urls), "ruleData": {"required_labels": ["vendor"]}}]}
    return load_policy(json.dumps(spec))


def test_bundle_round_trip_keeps_every_file(oci, registry, tmp_path: Path):
    pinned = _push(oci, registry, LABELS, "policy/labels")
    oci.sync.run(pull_bundle(oci.sync.client, pinned, tmp_path / "out"))
    pulled = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.rego")
    )
    assert pulled == [f.path for f in collect(LABELS)]


def test_bundle_leaves_tests_out(oci, registry, tmp_path: Path):
    pinned = _push(oci, registry, LABELS, "policy/notests")
    oci.sync.run(pull_bundle(oci.sync.client, pinned, tmp_path / "out"))
    assert not list((tmp_path / "out").rglob("*_test.rego"))


def test_oci_source_evaluates_and_is_reported_pinned(oci, registry):
    labels = _push(oci, registry, LABELS, "policy/eval-labels")
    lib = _push(oci, registry, LIB, "policy/eval-lib")
    tag_url = f"oci::{registry.host}/policy/eval-labels:v1"
    evaluator = PolicyEvaluator(_policy(tag_url, f"oci::{lib}"), Settings())
    try:
        outcome = evaluator.evaluate(INPUT)
        pinned = evaluator.pinned_spec()["sources"][0]["policy"][0]
    finally:
        evaluator.close()
    assert [r.code for r in outcome.violations] == ["labels.required_labels"]
    # ec's pinned form: the reference as written, its tag kept, then the digest
    assert pinned == f"oci::{registry.host}/policy/eval-labels:v1@{labels.digest}"


def test_an_oci_source_may_name_its_scheme(oci, registry, tmp_path: Path):
    """`oci::https://host/repo:tag`, as ec accepts it; reported without the scheme."""
    from konflux.engine.policy.sources import fetch_pinned

    labels = _push(oci, registry, LABELS, "policy/scheme")
    fetched = fetch_pinned(f"oci::https://{registry.host}/policy/scheme:v1", tmp_path)
    assert fetched.pinned == f"oci::{registry.host}/policy/scheme:v1@{labels.digest}"


@pytest.fixture(scope="module")
def policy_keys():
    pair = generate_key_pair(b"")
    other = generate_key_pair(b"")
    return (
        load_private_key(pair.private_pem, b""),
        pair.public_pem.decode(),
        other.public_pem.decode(),
    )


def test_signed_bundle_passes_with_the_policy_key(oci, registry, policy_keys):
    key, public, _ = policy_keys
    labels = _push(oci, registry, LABELS, "policy/signed")
    lib = _push(oci, registry, LIB, "policy/signed-lib")
    for ref in (labels, lib):
        oci.sync.run(sign_image(oci.sync.client, ref, key))
    evaluator = PolicyEvaluator(
        _policy(f"oci::{labels}", f"oci::{lib}"), Settings(policy_key=public)
    )
    evaluator.close()


def test_unsigned_bundle_is_refused_with_a_policy_key(oci, registry, policy_keys):
    _, public, _ = policy_keys
    labels = _push(oci, registry, LABELS, "policy/unsigned")
    with pytest.raises(SourceError, match="not signed with the policy key"):
        PolicyEvaluator(_policy(f"oci::{labels}"), Settings(policy_key=public))


def test_bundle_signed_with_another_key_is_refused(oci, registry, policy_keys):
    key, _, other_public = policy_keys
    labels = _push(oci, registry, LABELS, "policy/otherkey")
    oci.sync.run(sign_image(oci.sync.client, labels, key))
    with pytest.raises(SourceError, match="not signed with the policy key"):
        PolicyEvaluator(_policy(f"oci::{labels}"), Settings(policy_key=other_public))


def test_cli_push_then_pull(registry, tmp_path: Path):
    runner = CliRunner()
    pushed = runner.invoke(
        cli, ["policy", "bundle", "push", str(LABELS), f"{registry.host}/cli/b:v2"]
    )
    assert pushed.exit_code == 0, pushed.output
    ref = pushed.stdout.strip()
    assert ref.startswith(f"oci::{registry.host}/cli/b@sha256:")
    pulled = runner.invoke(cli, ["policy", "bundle", "pull", ref, str(tmp_path / "d")])
    assert (pulled.exit_code, pulled.stdout.strip()) == (0, ref)


def test_cli_build_writes_an_opa_bundle(tmp_path: Path):
    out = tmp_path / "bundle.tar.gz"
    result = CliRunner().invoke(
        cli, ["policy", "bundle", "build", str(LABELS), "-o", str(out), "--revision", "1.2"]
    )
    assert result.exit_code == 0
    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile("/.manifest"))
    assert manifest == {"revision": "1.2", "roots": ["labels"]}


def test_track_task_adds_newest_record_first(oci, registry, tmp_path: Path):
    data = tmp_path / "trusted.yml"
    data.write_text("# header kept\nrule_data:\n  trusted_tasks: {}\n")
    first, _ = oci.push_image(registry.ref("tasks/buildah", "0.1"))
    runner = CliRunner()
    runner.invoke(
        cli, ["policy", "track-task", f"{registry.host}/tasks/buildah:0.1", "--data", str(data)]
    )
    second, _ = oci.push_image(registry.ref("tasks/buildah", "0.1"))
    result = runner.invoke(
        cli, ["policy", "track-task", f"{registry.host}/tasks/buildah:0.1", "--data", str(data)]
    )
    assert result.exit_code == 0, result.output
    records = __import__("yaml").safe_load(data.read_text())["rule_data"]["trusted_tasks"][
        f"oci://{registry.host}/tasks/buildah:0.1"
    ]
    assert [r["ref"] for r in records] == [second.digest, first.digest]
    assert data.read_text().startswith("# header kept\n")


def test_track_task_same_version_twice_changes_nothing(oci, registry, tmp_path: Path):
    data = tmp_path / "trusted.yml"
    oci.push_image(registry.ref("tasks/git-clone", "0.1"))
    runner = CliRunner()
    args = ["policy", "track-task", f"{registry.host}/tasks/git-clone:0.1", "--data", str(data)]
    runner.invoke(cli, args)
    again = runner.invoke(cli, args)
    assert again.stdout.strip().endswith("(already current)")


def test_unknown_bundle_reference_fails_clearly(registry, tmp_path: Path):
    result = CliRunner().invoke(
        cli, ["policy", "bundle", "pull", f"{registry.host}/nope/none:v1", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "nope/none" in result.stderr


def test_track_task_resolves_a_git_branch_to_its_commit(tmp_path: Path):
    import subprocess

    repo = tmp_path / "tasks"
    repo.mkdir()
    (repo / "clone.yaml").write_text("kind: Task\n")
    git = ["git", "-C", str(repo), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "task"], check=True)
    commit = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    data = tmp_path / "trusted.yml"
    ref = f"git+file://{repo}//clone.yaml@main"
    result = CliRunner().invoke(cli, ["policy", "track-task", ref, "--data", str(data)])
    assert result.stdout.strip() == f"git+file://{repo}//clone.yaml: {commit} (added)"


def test_webhook_loads_its_rules_from_an_oci_bundle(oci, registry):
    from konflux.webhooks.bundle import load_bundle

    pinned = _push(oci, registry, ROOT / "rego" / "admission", "policy/admission")
    bundle = load_bundle(f"oci::{pinned}")
    assert {"application", "component", "release"} <= set(bundle.rules)


def test_policy_inspect_reads_an_oci_bundle(oci, registry):
    pinned = _push(oci, registry, LABELS, "policy/inspect")
    result = CliRunner().invoke(cli, ["policy", "inspect", "-s", f"oci::{pinned}", "-o", "names"])
    # In source order, as `ec inspect policy` lists them.
    assert result.stdout.split() == [
        "labels.required_labels",
        "labels.deprecated_labels",
        "labels.maintainer_email",
    ]
