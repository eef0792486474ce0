"""Upstream's Conforma release policy over what our Chains-style signer attests, per SLSA version.

Issue 11 asks that github:conforma/policy's release packages (`trusted_task`, `slsa_*`,
`attestation_type`, `buildah_build_task`, `tasks`, `test`, `sbom`) evaluate both SLSA
formats the signer produces without special cases. This builds a Konflux-style build
(git-clone -> buildah -> clair-scan from task bundles pushed to a real local registry),
has the signer sign and attest it exactly as `tests/controllers/test_chains_policy.py`
does (`RunSigner.sign` over `record_run` of the finished run), once per format, runs
`konflux validate image` (a real process) with a policy whose sources are the upstream
checkout's `policy/release` and `policy/lib`, and prints per SLSA version which of those
packages' rules pass, fail or warn, and which produced no result.

Rule data the environment needs (none of it describes our provenance):
- `trusted_tasks`: our task bundles, pushed to the local registry here, are not in
  upstream's acceptable-bundles data; they are named as `konflux policy track-task` would.
- `required-tasks` / `pipeline-required-tasks` (data, upstream's file layout): Konflux's
  required-task list lives in a separate data repository; here it names the tasks our
  build runs.

Run: python3 bench/upstream_policy_chains.py --policy-repo DIR [--format slsa/v1 ...]
(DIR: a checkout of github:conforma/policy, e.g. `git archive` of the fetched mirror.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from konflux.testing import LocalRegistry, free_port, signed_build

# The upstream release packages the issue names.
PACKAGES = [
    "attestation_type",
    "buildah_build_task",
    "slsa_build_build_service",
    "slsa_build_scripted_build",
    "slsa_provenance_available",
    "slsa_source_correlated",
    "slsa_source_version_controlled",
    "sbom",
    "tasks",
    "test",
    "trusted_task",
]
FORMATS = ["slsa/v1", "slsa/v2alpha3", "slsa/v2alpha4"]
SLSA = {"slsa/v1": "SLSA v0.2", "slsa/v2alpha3": "SLSA v1.0", "slsa/v2alpha4": "SLSA v1.0"}
# What our build runs (controllers/buildruns.py), in upstream's required-tasks layout.
BUILD_TASKS = ["git-clone", "buildah", "clair-scan"]
KINDS = ("pass", "fail", "warn")


def upstream_rules(policy_repo: Path) -> list[str]:
    """Every rule code of `PACKAGES` in the checkout (`package.short_name`), sorted."""
    codes = set()
    for package in PACKAGES:
        for path in (policy_repo / "policy/release" / package).glob("*.rego"):
            if path.name.endswith("_test.rego"):
                continue
            for name in re.findall(r"^#\s+short_name:\s*(\S+)", path.read_text(), re.M):
                codes.add(f"{package}.{name}")
    return sorted(codes)


def environment_data(directory: Path, trusted: dict[str, Any]) -> Path:
    """The data upstream's packages read from Konflux's data sources, for this environment:
    the required tasks (naming our build's tasks) and the trusted tasks (our bundles)."""
    directory.mkdir(parents=True, exist_ok=True)
    record = [{"effective_on": "2025-01-01T00:00:00Z", "tasks": BUILD_TASKS}]
    (directory / "required_tasks.yml").write_text(
        yaml.safe_dump(
            {
                "required-tasks": record,
                # Chosen by the buildah TaskRun's `build.appstudio.redhat.com/build_type`
                # label, read from the provenance (v0.2 `invocation.environment.labels`,
                # v1.0 the TaskRun in `resolvedDependencies`).
                "pipeline-required-tasks": {"docker": record},
            }
        )
    )
    # Upstream reads `data.trusted_tasks` (the acceptable-bundles data source) and only
    # adds ruleData's `trusted_tasks` to it: without the data source the list is empty.
    (directory / "trusted_tasks.yml").write_text(yaml.safe_dump({"trusted_tasks": trusted}))
    return directory


def policy_config(policy_repo: Path, data: Path, public_pem: str) -> dict[str, Any]:
    return {
        "publicKey": public_pem,
        "sources": [
            {
                "name": "upstream-release",
                "policy": [str(policy_repo / "policy/release"), str(policy_repo / "policy/lib")],
                "data": [str(data)],
                "config": {"include": PACKAGES},
            }
        ],
    }


def validate(work: Path, policy: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """`konflux validate image` in its own process; the JSON report with successes."""
    (work / "policy.json").write_text(json.dumps(policy))
    (work / "snapshot.json").write_text(json.dumps(snapshot))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "konflux",
            "validate",
            "image",
            "--images",
            str(work / "snapshot.json"),
            "--policy",
            str(work / "policy.json"),
            "--ignore-rekor",
            "--no-strict",
            "--output",
            "json?show-successes=true",
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=600,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"konflux validate image failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)


def outcomes(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """rule code -> (pass|fail|warn, message), over every component."""
    out: dict[str, tuple[str, str]] = {}
    for component in report["components"]:
        for kind, results in (
            ("pass", component.get("successes") or []),
            ("warn", component.get("warnings") or []),
            ("fail", component.get("violations") or []),
        ):
            for result in results:
                out[result["metadata"]["code"]] = (kind, result.get("msg", ""))
    return out


def table(rules: Iterable[str], by_format: dict[str, dict[str, tuple[str, str]]]) -> str:
    formats = list(by_format)
    codes = sorted(set(rules) | {code for seen in by_format.values() for code in seen})
    width = max(len(code) for code in codes)
    lines = [
        f"{'rule':<{width}}  " + "  ".join(f"{SLSA[f]} ({f})".ljust(24) for f in formats),
    ]
    for code in codes:
        cells = [by_format[f].get(code, ("-", ""))[0] for f in formats]
        lines.append(f"{code:<{width}}  " + "  ".join(cell.ljust(24) for cell in cells))
    return "\n".join(lines)


def summary(rules: list[str], seen: dict[str, tuple[str, str]]) -> str:
    """`N of M rules pass ...` over upstream's rules, then the builtin checks apart."""
    kinds = {kind: [c for c in rules if seen.get(c, ("",))[0] == kind] for kind in KINDS}
    silent = [code for code in rules if code not in seen]
    builtins = sorted(c for c in seen if c.startswith("builtin."))
    builtin_pass = sum(1 for c in builtins if seen[c][0] == "pass")
    return (
        f"{len(kinds['pass'])} of {len(rules)} rules pass, {len(kinds['fail'])} fail, "
        f"{len(kinds['warn'])} warn, {len(silent)} gave no result; "
        f"{builtin_pass} of {len(builtins)} builtin checks pass"
        + (f"; failures: {', '.join(kinds['fail'])}" if kinds["fail"] else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy-repo", type=Path, required=True, help="conforma/policy checkout")
    parser.add_argument("--format", action="append", choices=FORMATS, dest="formats")
    parser.add_argument("--verbose", action="store_true", help="print each non-pass message")
    args = parser.parse_args()
    repo: Path = args.policy_repo.resolve()
    if not (repo / "policy/release/trusted_task").is_dir():
        raise SystemExit(f"{repo}: not a checkout of github:conforma/policy (no policy/release)")
    rules = upstream_rules(repo)
    by_format: dict[str, dict[str, tuple[str, str]]] = {}
    with tempfile.TemporaryDirectory() as tmp, LocalRegistry(Path(tmp), free_port()) as reg:

        def run(fmt: str, name: str, untrusted: bool = False) -> dict[str, tuple[str, str]]:
            build = asyncio.run(signed_build(reg.host, fmt, tag=name, untrusted=untrusted))
            work = Path(tmp) / name
            data = environment_data(work / "data", build.trusted_tasks)
            config = policy_config(repo, data, build.public_pem.decode())
            return outcomes(validate(work, config, build.snapshot()))

        for i, fmt in enumerate(args.formats or FORMATS[:2]):
            by_format[fmt] = run(fmt, f"b{i}")
            print(f"{SLSA[fmt]} ({fmt}): {summary(rules, by_format[fmt])}")
            if args.verbose:
                for code, (kind, msg) in sorted(by_format[fmt].items()):
                    if kind != "pass":
                        print(f"  {kind} {code}: {msg}")
            control = run(fmt, f"u{i}", untrusted=True)
            failed = sorted(code for code, (kind, _) in control.items() if kind == "fail")
            print(f"  control, buildah from an untrusted bundle: fails {', '.join(failed)}")
    print()
    print(table(rules, by_format))


if __name__ == "__main__":
    main()
