"""Policy bundles as an attacker would push them, and as many evaluators pull them at once.

Pulling writes where a bundle says, into a directory the user owns: titles
that climb out, hide in dot directories, clash, or are too long are refused
before anything is written, and nothing is overwritten without `--force`.
`oci::` sources are pulled once per process under a lock into a temporary
directory and renamed into place, so every evaluator reads the whole bundle.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import ROOT

from konflux.cli.main import cli
from konflux.engine import PolicyLoadError, Settings, load_policy
from konflux.engine.digests import sha256_digest
from konflux.engine.policy.bundle import (
    CONFIG_MEDIA_TYPE,
    DATA_LAYER,
    OCI_MANIFEST,
    POLICY_LAYER,
    TITLE,
    push_bundle,
)
from konflux.engine.policy.sources import load_source
from konflux.engine.validate import InputDocument, validate_inputs

LABELS = ROOT / "examples" / "rego" / "labels"
RULE = b"package hostile\n\nimport rego.v1\n\nallow := true\n"


def _push_titled(oci, registry, repo: str, files: list[tuple[str, bytes]]) -> str:
    """A bundle whose layers carry exactly these titles (as a hostile pusher would write)."""
    ref = registry.ref(repo, "v1")
    config = b"{}"
    client = oci.sync.client
    oci.sync.run(client.push_blob(ref, config, media_type=CONFIG_MEDIA_TYPE))
    layers = []
    for title, content in files:
        oci.sync.run(client.push_blob(ref, content))
        media = POLICY_LAYER if title.endswith(".rego") else DATA_LAYER
        layers.append(
            {
                "mediaType": media,
                "digest": sha256_digest(content),
                "size": len(content),
                "annotations": {TITLE: title},
            }
        )
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": sha256_digest(config), "size": 2},
        "layers": layers,
    }
    raw = json.dumps(manifest).encode()
    pinned = oci.sync.run(client.put_manifest(ref, raw, OCI_MANIFEST))
    return f"oci::{pinned.context}@{pinned.digest}"


def _git_checkout(path: Path) -> Path:
    path.mkdir()
    subprocess.run(["git", "init", "--quiet", str(path)], check=True)
    return path


def _pull(ref: str, directory: Path, *extra: str):
    return CliRunner().invoke(cli, ["policy", "bundle", "pull", ref, str(directory), *extra])


# -- item 6: where a pull may write ------------------------------------------------------------


def test_title_into_dot_git_is_refused_and_nothing_written(oci, registry, tmp_path: Path):
    checkout = _git_checkout(tmp_path / "checkout")
    config_before = (checkout / ".git" / "config").read_bytes()
    evil = b"[core]\n\tfsmonitor = touch /tmp/pwned\n"
    ref = _push_titled(
        oci, registry, "hostile/dotgit", [("policy.rego", RULE), (".git/config", evil)]
    )
    result = _pull(ref, checkout)
    assert result.exit_code == 1
    assert "'.git/config' refused" in result.output
    assert not isinstance(result.exception, (OSError, KeyError, TypeError))
    assert (checkout / ".git" / "config").read_bytes() == config_before
    assert not (checkout / "policy.rego").exists()  # checked before anything is written


@pytest.mark.parametrize(
    "title",
    [
        "a/.hidden.rego",
        "./a.rego",
        "a/../b.rego",
        "../escape.rego",
        "/etc/absolute.rego",
        "a//b.rego",
        "Makefile",
        "x" * 300 + ".rego",
        "dir/" + "y" * 300 + "/z.rego",
    ],
)
def test_unsafe_titles_are_refused_with_a_clear_error(oci, registry, tmp_path: Path, title):
    repo = f"hostile/title-{sha256_digest(title.encode())[7:19]}"
    ref = _push_titled(oci, registry, repo, [(title, RULE)])
    result = _pull(ref, tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "refused" in result.output
    assert not isinstance(result.exception, OSError)  # an error message, not a traceback
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    "titles",
    [["a.rego", "a.rego/b.rego"], ["data.json", "data.json"], ["p/q.rego", "p"]],
)
def test_clashing_titles_are_refused_before_writing(oci, registry, tmp_path: Path, titles):
    files = [(t, RULE if t.endswith(".rego") else b"{}") for t in titles]
    repo = f"hostile/clash-{sha256_digest(json.dumps(titles).encode())[7:19]}"
    ref = _push_titled(oci, registry, repo, files)
    result = _pull(ref, tmp_path / "out")
    assert result.exit_code == 1
    assert "refused" in result.output or "clash" in result.output
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_existing_files_are_kept_unless_forced(oci, registry, tmp_path: Path):
    pinned = oci.sync.run(push_bundle(oci.sync.client, LABELS, registry.ref("hostile/own"), "1"))
    ref = f"oci::{pinned.context}@{pinned.digest}"
    mine = tmp_path / "out" / "labels.rego"
    mine.parent.mkdir()
    mine.write_text("# my own work\n")
    refused = _pull(ref, tmp_path / "out")
    assert refused.exit_code == 1
    assert "--force" in refused.output
    assert mine.read_text() == "# my own work\n"
    forced = _pull(ref, tmp_path / "out", "--force")
    assert forced.exit_code == 0, forced.output
    assert mine.read_bytes() == (LABELS / "labels.rego").read_bytes()


def test_symlinked_file_in_the_destination_is_not_written_through(oci, registry, tmp_path: Path):
    pinned = oci.sync.run(push_bundle(oci.sync.client, LABELS, registry.ref("hostile/link"), "1"))
    ref = f"oci::{pinned.context}@{pinned.digest}"
    outside = tmp_path / "outside.rego"
    outside.write_text("# not yours\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "labels.rego").symlink_to(outside)
    assert _pull(ref, tmp_path / "out").exit_code == 1
    forced = _pull(ref, tmp_path / "out", "--force")
    assert forced.exit_code == 1  # the link leads outside the destination
    assert outside.read_text() == "# not yours\n"


def test_oci_source_with_a_dot_title_is_refused(oci, registry):
    ref = _push_titled(
        oci, registry, "hostile/source-dot", [("policy.rego", RULE), (".hidden/x.rego", RULE)]
    )
    with pytest.raises(PolicyLoadError, match="refused"):
        load_source([ref], [])


# -- item 1: evaluators pulling the same oci:: bundle at once ----------------------------------

ENTRIES = 200_000
DENY_RULE = f"""package denylist

import rego.v1

# METADATA
# title: Denied name
# custom:
#   short_name: denied
deny contains {{"code": "denylist.denied", "msg": "denied"}} if input.name in data.deny_list

# METADATA
# title: Complete list
# custom:
#   short_name: complete
deny contains {{"code": "denylist.complete", "msg": msg}} if {{
\tcount(data.deny_list) != {ENTRIES}
\tmsg := sprintf("the deny list has %d entries", [count(data.deny_list)])
}}
"""
LAST = f"entry-{ENTRIES - 1:06d}"


def _deny_bundles(oci, registry, tmp_path: Path, count: int) -> list[tuple[str, str]]:
    """`count` distinct (policy, data) bundle pairs: a rule and a 200,000-entry deny list."""
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "denylist.rego").write_text(DENY_RULE)
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    entries = [f"entry-{i:06d}" for i in range(ENTRIES)]
    (data / "deny_list.json").write_text(json.dumps({"deny_list": entries}))
    out = []
    for i in range(count):
        # A distinct revision each time: a distinct digest, so each round pulls afresh.
        pushed = [
            oci.sync.run(push_bundle(oci.sync.client, d, registry.ref(f"hostile/{name}"), f"r{i}"))
            for d, name in ((rules, "deny-rules"), (data, "deny-data"))
        ]
        out.append(tuple(f"oci::{p.context}@{p.digest}" for p in pushed))
    return out


def _policy(rules_ref: str, data_ref: str):
    return load_policy(json.dumps({"sources": [{"policy": [rules_ref], "data": [data_ref]}]}))


def test_workers_pulling_one_bundle_all_see_all_of_it(oci, registry, tmp_path: Path):
    inputs = [InputDocument(f"input-{i}", {"name": LAST}) for i in range(6)]
    for rules_ref, data_ref in _deny_bundles(oci, registry, tmp_path, 3):
        report = validate_inputs(_policy(rules_ref, data_ref), inputs, Settings(), workers=6)
        seen = [[r.code for r in t.outcome.violations] for t in report.targets]
        assert seen == [["denylist.denied"]] * 6


def test_threads_loading_one_source_read_complete_trees(oci, registry, tmp_path: Path):
    ((rules_ref, data_ref),) = _deny_bundles(oci, registry, tmp_path, 1)
    start = threading.Barrier(8)
    lengths: list[int] = []
    errors: list[BaseException] = []

    def load() -> None:
        start.wait()
        try:
            loaded = load_source([rules_ref], [data_ref])
            lengths.append(sum(len(d.value.get("deny_list", [])) for d in loaded.files.data))
        except BaseException as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert lengths == [ENTRIES] * 8


def test_two_processes_with_workers_each_see_the_whole_bundle(oci, registry, tmp_path: Path):
    ((rules_ref, data_ref),) = _deny_bundles(oci, registry, tmp_path, 1)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"sources": [{"policy": [rules_ref], "data": [data_ref]}]}))
    inputs = []
    for i in range(4):
        path = tmp_path / f"input-{i}.json"
        path.write_text(json.dumps({"name": LAST, "n": i}))
        inputs.append(str(path))
    command = [
        sys.executable,
        "-m",
        "konflux",
        "validate",
        "input",
        *inputs,
        "--policy",
        str(policy),
        "--workers",
        "4",
        "--output",
        "json",
    ]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    ]
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 1, err.decode()  # violations, and no error
        report = json.loads(out)
        seen = [
            [v["metadata"]["code"] for v in f.get("violations", [])] for f in report["filepaths"]
        ]
        assert seen == [["denylist.denied"]] * 4, err.decode()
