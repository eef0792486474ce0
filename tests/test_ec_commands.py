"""`ec`'s other commands under their names: inspect policy/policy-data, fetch policy, init
policies, track bundle (features/inspect_policy, initialize, track_bundle)."""

from __future__ import annotations

import json
import secrets
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from konflux.cli.init import SAMPLE_POLICY
from konflux.cli.inspect import unique_dir
from konflux.cli.main import cli
from konflux.engine.digests import sha256_digest
from konflux.engine.policy.inspect import UnsupportedRuleError, inspect_dir
from konflux.engine.policy.tracker import read_tracking, render_tracking, track

KITTY = """package kitty

import rego.v1

# METADATA
# title: Kittens
# description: Fluffy
# custom:
#   short_name: purr
#   collections: [A]
#
deny contains result if {
    result := "Meow"
}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def git_repo(path: Path, files: dict[str, str]) -> str:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text)
    git = ["git", "-C", str(path), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "files"], check=True)
    return subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


# -- inspect policy --------------------------------------------------------------------------


def test_inspect_policy_text_names_the_pinned_git_source(tmp_path: Path) -> None:
    commit = git_repo(tmp_path / "policy", {"main.rego": KITTY})
    code, out, _ = run("inspect", "policy", "--source", f"git::file://{tmp_path}/policy")
    assert code == 0
    assert out == (
        f"# Source: git::file://{tmp_path}/policy?ref={commit}\n\n"
        "kitty.purr (deny)\n"
        "https://conforma.dev/docs/policy/packages/release_kitty.html#kitty__purr\n"
        "Kittens\nFluffy\n[A]\n--\n"
    )


def test_inspect_policy_json_is_opa_annotations_with_location(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "main.rego").write_text(KITTY)
    code, out, _ = run("inspect", "policy", "-s", str(tmp_path / "p"), "-o", "json")
    assert code == 0
    (entries,) = json.loads(out).values()
    assert entries == [
        {
            "annotations": {
                "custom": {"collections": ["A"], "short_name": "purr"},
                "description": "Fluffy",
                "scope": "rule",
                "title": "Kittens",
            },
            "location": {"file": "main.rego", "row": 12, "col": 1},
            "path": [
                {"type": "var", "value": "data"},
                {"type": "string", "value": "kitty"},
                {"type": "string", "value": "deny"},
            ],
        }
    ]
    assert list(json.loads(out)) == [f"file::{tmp_path / 'p'}"]


def test_inspect_policy_names_and_short_names(tmp_path: Path) -> None:
    (tmp_path / "main.rego").write_text(KITTY)
    assert run("inspect", "policy", "-s", str(tmp_path), "-o", "short-names")[1] == "kitty.purr\n"
    assert run("policy", "inspect", "-s", str(tmp_path), "-o", "names")[1] == "kitty.purr\n"


def test_inspect_policy_refuses_an_unknown_output_with_exit_1(tmp_path: Path) -> None:
    (tmp_path / "main.rego").write_text(KITTY)
    code, _, err = run("inspect", "policy", "-s", str(tmp_path), "--output", "spam")
    assert code == 1
    assert "invalid value for --output 'spam'" in err


def test_inspect_policy_reads_the_sources_of_a_policy(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "main.rego").write_text(KITTY)
    policy = json.dumps({"sources": [{"policy": [str(tmp_path / "p")]}]})
    assert run("inspect", "policy", "--policy", policy, "-o", "names")[1] == "kitty.purr\n"


def test_inspect_without_rego_files_says_so(tmp_path: Path) -> None:
    (tmp_path / "data.yaml").write_text("a: 1\n")
    code, _, err = run("inspect", "policy", "-s", str(tmp_path))
    assert code == 1
    assert "no rego files found in policy subdirectory" in err


def test_a_boolean_deny_rule_is_an_unsupported_value(tmp_path: Path) -> None:
    (tmp_path / "main.rego").write_text("package main\n\nimport rego.v1\n\ndeny if { true }\n")
    with pytest.raises(UnsupportedRuleError) as raised:
        inspect_dir(tmp_path)
    assert str(raised.value) == (
        'the rule "deny = true if { true }" returns an unsupported value, at main.rego:5'
    )


def test_rules_without_annotations_are_listed_when_they_are_results(tmp_path: Path) -> None:
    (tmp_path / "main.rego").write_text(
        'package main\n\nimport rego.v1\n\nwarn contains "w" if true\n\nhelper := 1\n'
    )
    (ref,) = inspect_dir(tmp_path)
    assert ref.to_json() == {
        "location": {"file": "main.rego", "row": 5, "col": 1},
        "path": [
            {"type": "var", "value": "data"},
            {"type": "string", "value": "main"},
            {"type": "string", "value": "warn"},
        ],
    }


# -- inspect policy-data, fetch policy, init policies -------------------------------------------


def test_inspect_policy_data_merges_top_level_keys(tmp_path: Path) -> None:
    git_repo(tmp_path / "data", {"foo.yaml": "rule_data:\n  x: 1\n", "bar.json": '{"count": 42}'})
    code, out, _ = run("inspect", "policy-data", "-s", f"git::file://{tmp_path}/data")
    assert code == 0
    assert json.loads(out) == {"count": 42, "rule_data": {"x": 1}}


def test_inspect_policy_data_refuses_a_repeated_key(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("rule_data: {a: 1}\n")
    (tmp_path / "b.yaml").write_text("rule_data: {b: 2}\n")
    code, out, err = run("inspect", "policy-data", "-s", str(tmp_path))
    assert (code, out) == (1, "")
    assert "Merge error. The 'rule_data' key was found more than once!" in err


def test_fetch_policy_lays_sources_out_as_ec_does(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "main.rego").write_text(KITTY)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "data.yaml").write_text("a: 1\n")
    dest = tmp_path / "out"
    source, data = str(tmp_path / "p"), str(tmp_path / "d")
    code, out, _ = run("fetch", "policy", "-s", source, "--data-source", data, "--dest", str(dest))
    assert code == 0
    assert (dest / "policy" / unique_dir(source) / "main.rego").read_text() == KITTY
    assert (dest / "data" / unique_dir(data) / "data.yaml").exists()
    assert out.startswith(f"Downloading {source} to {dest}/policy/")


def test_init_policies_writes_a_policy_konflux_test_passes(tmp_path: Path) -> None:
    assert run("init", "policies")[1] == SAMPLE_POLICY
    assert run("init", "policies", f"--dest-dir={tmp_path / 'new'}")[0] == 0
    (tmp_path / "input.json").write_text("{}")
    code, out, _ = run(
        "test", "--policy", str(tmp_path / "new"), str(tmp_path / "input.json"), "-o", "json"
    )
    assert code == 0 and json.loads(out)[0]["successes"] == 1


# -- track bundle -------------------------------------------------------------------------------


def push_bundle_image(oci, registry, name: str, tag: str, kinds: list[str]) -> str:
    """A Tekton bundle: one layer per object, annotated with its kind (as tkn bundle push)."""
    ref = registry.ref(name, tag)
    layers = []
    for i, kind in enumerate(kinds):
        name_ = f"o{i}-{tag}-{secrets.token_hex(4)}"
        data = json.dumps({"kind": kind, "metadata": {"name": name_}}).encode()
        oci.sync.run(oci.sync.client.push_blob(ref, data))
        layers.append(
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": sha256_digest(data),
                "size": len(data),
                "annotations": {"dev.tekton.image.kind": kind.lower()},
            }
        )
    config = b"{}"
    oci.sync.run(oci.sync.client.push_blob(ref, config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256_digest(config),
            "size": 2,
        },
        "layers": layers,
    }
    raw = json.dumps(manifest).encode()
    return str(oci.sync.run(oci.sync.client.put_manifest(ref, raw, manifest["mediaType"])).digest)


def test_track_bundle_records_a_task_bundle_by_digest(oci, registry) -> None:
    digest = push_bundle_image(oci, registry, "acceptance/bundle", "tag", ["Task", "Pipeline"])
    code, out, _ = run("track", "bundle", "--bundle", f"{registry.host}/acceptance/bundle:tag")
    assert code == 0
    assert out == (
        f"---\ntrusted_tasks:\n  oci://{registry.host}/acceptance/bundle:tag:\n"
        f"    - ref: {digest}\n"
    )


def test_track_bundle_ignores_a_pipeline_only_bundle(oci, registry) -> None:
    push_bundle_image(oci, registry, "acceptance/pipeline", "tag", ["Pipeline"])
    bundle = f"{registry.host}/acceptance/pipeline:tag"
    assert run("track", "bundle", "--bundle", bundle)[1] == "---\n{}\n"


def test_a_newer_bundle_expires_the_older_one_and_oci_round_trips(oci, registry) -> None:
    old = push_bundle_image(oci, registry, "acceptance/moving", "1.0", ["Task"])
    data = f"oci:{registry.host}/tracked/data:tag"
    bundle = f"{registry.host}/acceptance/moving"
    assert run("track", "bundle", "-b", f"{bundle}:1.0", "--output", data)[0] == 0
    new = push_bundle_image(oci, registry, "acceptance/moving", "1.0", ["Task"])
    code, _, err = run("track", "tekton-task", "-b", f"{bundle}:1.0", "-i", data, "--replace")
    assert code == 0, err
    pulled = run("track", "bundle", "--input", data)[1]
    (records,) = yaml.safe_load(pulled)["trusted_tasks"].values()
    assert [r["ref"] for r in records] == [new, old]
    assert "expires_on" not in records[0] and records[1]["expires_on"]


def test_prune_drops_expired_records_and_keeps_current_ones() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    existing = render_tracking(
        read_tracking(
            "trusted_tasks:\n  git+https://f.io/r.git//t.yaml:\n"
            "    - ref: c3\n    - ref: c2\n      expires_on: '2026-04-01T00:00:00Z'\n"
            "    - ref: c1\n      expires_on: '2026-01-01T00:00:00Z'\n"
        )
    )
    kept = yaml.safe_load(track([], existing, now=now))["trusted_tasks"]
    assert [r["ref"] for r in kept["git+https://f.io/r.git//t.yaml"]] == ["c3", "c2"]
    unpruned = yaml.safe_load(track([], existing, prune=False, now=now))["trusted_tasks"]
    assert len(unpruned["git+https://f.io/r.git//t.yaml"]) == 3


def test_an_added_git_ref_expires_the_previous_in_effect_days_from_today() -> None:
    now = datetime(2026, 3, 1, 8, tzinfo=UTC)
    out = track(
        ["git+https://f.io/r.git//t.yaml@new"],
        "trusted_tasks:\n  git+https://f.io/r.git//t.yaml:\n    - ref: old\n",
        in_effect_days=10,
        now=now,
    )
    records = yaml.safe_load(out)["trusted_tasks"]["git+https://f.io/r.git//t.yaml"]
    assert records[0] == {"ref": "new"}
    assert records[1]["ref"] == "old"
    assert records[1]["expires_on"] == (now.replace(hour=0) + timedelta(days=10)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_a_git_ref_without_revision_needs_freshen(tmp_path: Path) -> None:
    commit = git_repo(tmp_path / "tasks", {"task.yaml": "kind: Task\n"})
    url = f"git+file://{tmp_path}/tasks//task.yaml"
    code, _, err = run("track", "tekton-task", "--git", url)
    assert code == 1
    assert "to contain the revision information following the `@`" in err
    code, out, _ = run("track", "tekton-task", "--git", url, "--freshen")
    assert code == 0
    assert yaml.safe_load(out)["trusted_tasks"][url] == [{"ref": commit}]


def test_track_needs_something_to_track() -> None:
    assert run("track", "bundle")[0] == 2


@pytest.mark.parametrize(
    ("head", "supported"),
    [
        ('deny contains "msg" if true', True),
        ('deny contains {"code": "a.b", "msg": "m"} if true', True),
        ("deny contains result if { result := 1 }", True),
        ("deny contains json.marshal(input) if true", True),  # a call, dotted name or not
        ('deny contains sprintf("%v", [1]) if true', True),
        ("deny contains input.x if true", False),  # a reference, as OPA's checkRules refuses
        ("deny contains 1 if true", False),
    ],
)
def test_result_values_are_checked_as_ec_checks_them(tmp_path: Path, head, supported) -> None:
    (tmp_path / "main.rego").write_text(f"package main\n\nimport rego.v1\n\n{head}\n")
    if supported:
        assert inspect_dir(tmp_path)
    else:
        with pytest.raises(UnsupportedRuleError):
            inspect_dir(tmp_path)
