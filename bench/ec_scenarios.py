"""Replay `ec`'s own acceptance scenarios against `konflux` and compare with `ec`'s snapshots.

Usage:
    python bench/ec_scenarios.py --ec-repo DIR [--feature NAME]... [--scenario REGEX]
                                 [--diff] [--json]

DIR is a checkout of https://github.com/conforma/cli, or its bare git
directory (as the `fetch` tool leaves it). Each scenario of
`features/*.feature` is run with `bench/ec_steps.py`'s step definitions: the
same fixtures `ec`'s acceptance suite makes (a real registry with signed and
attested images, git repositories served over HTTPS, EnterpriseContractPolicy
and Snapshot resources in an emulated API server, key pairs), the command line
with `ec` replaced by `konflux`, and the outputs normalised as `ec`'s
`acceptance/snaps` normalises them (variables, timestamps, temp paths, JSON
re-indented) before comparing with `features/__snapshots__/*.snap`.

A scenario is counted as:
- `match`: exit status and every snapshot and assertion as `ec`'s;
- `differs on purpose`: listed in `ON_PURPOSE` with the reason (each one is in
  docs/ec-differences.md);
- `differs`: anything else that ran (the diff is shown with `--diff`);
- `not replayed`: a step needs something this machine cannot provide (Tekton,
  a TUF/Rekor/wiremock stub, a kind cluster); the step is named.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ec_steps import STEPS, NotReplayable, StepFailed, World

# Scenarios whose output differs from `ec`'s on purpose; the reason is the one in
# docs/ec-differences.md.
ON_PURPOSE: dict[tuple[str, str], str] = {
    ("validate_input", "multiple data source top level key clash"): (
        "a data merge conflict names the conflicting key (data.some_top_level_key), "
        "not the temporary path of one data file"
    ),
    ("validate_image", "happy day with invalid extra rule data"): (
        "each bad --extra-rule-data entry is named after ec's words "
        "(`incorrect syntax for --extra-rule-data 0: 'k' is not KEY=VALUE`)"
    ),
    ("opa", "OPA sub-command is available"): (
        "no `opa` sub-command: konflux evaluates Rego with its own engine and embeds no OPA "
        "command line"
    ),
    ("version", "default output"): (
        "`version` lists the components konflux is built from (OPA, Sigstore, Kopf, "
        "Python), not ec's Go modules (ECC, Conftest, Cosign, Rekor, Tekton, Kubernetes)"
    ),
    ("version", "JSON output"): ("the same component list in JSON"),
    ("vsa", "VSA generation with invalid storage backend configuration"): (
        "the warning lists `oci` among the supported backends: konflux also stores VSAs as "
        "attestations on the image"
    ),
    ("validate_image", "Dropping rego capabilities"): (
        "a policy calling a disabled built-in (opa.runtime, http.send, net.lookup_ip_addr) "
        "is refused with the rule's file:line and the reason, not OPA's compiler errors under "
        "an upgrade hint"
    ),
}


# -- Gherkin ------------------------------------------------------------------------------------


@dataclass
class Step:
    keyword: str
    text: str
    doc: str | None = None
    table: list[list[str]] | None = None


@dataclass
class Scenario:
    feature: str
    name: str
    steps: list[Step]
    background: list[Step] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_feature(path: Path) -> list[Scenario]:
    feature = path.stem
    background: list[Step] = []
    scenarios: list[Scenario] = []
    current: list[Step] | None = None
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        line = raw.strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("Background:"):
            current = background
        elif line.startswith(("Scenario:", "Scenario Outline:")):
            steps: list[Step] = []
            scenarios.append(Scenario(feature, line.split(":", 1)[1].strip(), steps, background))
            current = steps
        elif line.startswith(('"""', "```")) and current:
            fence = line[:3]
            indent = len(raw) - len(raw.lstrip())
            body = []
            while i < len(lines) and lines[i].strip() != fence:
                body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
                i += 1
            i += 1
            current[-1].doc = "\n".join(body)
        elif line.startswith("|") and current:
            current[-1].table = (current[-1].table or []) + [_cells(line)]
        elif current is not None:
            keyword, _, text = line.partition(" ")
            if keyword in {"Given", "When", "Then", "And", "But"}:
                current.append(Step(keyword, text))
    return scenarios


# -- snapshots ----------------------------------------------------------------------------------


def parse_snapshots(path: Path) -> dict[str, str]:
    """`[TestFeatures/<scenario>:<qualifier> - N]` -> text, as go-snaps writes them."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^\[TestFeatures/(.*) - (\d+)\]$", lines[i])
        i += 1
        if not m:
            continue
        body = []
        while i < len(lines) and lines[i] != "---":
            # go-snaps escapes a line "---" (its separator) as "/-/-/-/"
            body.append("---" if lines[i] == "/-/-/-/" else lines[i])
            i += 1
        i += 1
        out[f"{m.group(1)} - {m.group(2)}"] = "\n".join(body)
    return out


# ec's acceptance/snaps normalisation, in its order.
_TIMESTAMP = re.compile(
    r"\d\d[1-9]\d-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})?"
)
_EFFECTIVE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}?Z", re.MULTILINE)
_LOG_TIME = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}", re.MULTILINE)
_UNIX = re.compile(r'("| )(?:\d{10})(\\"|"|$)', re.MULTILINE)
_TEMP_PATH = re.compile(r"\$\{TEMP\}([^: \\\"]+)[: ]?")
_RANDOM_BITS = re.compile(r"([a-f0-9]+)$")


def _same_digests(variables: dict[str, str]) -> dict[str, str]:
    """As `acceptance/registry`: images sharing a digest become one
    `REGISTRY_IMAGE_<ref1>|<ref2>_DIGEST` variable (sorted refs)."""
    out = dict(variables)
    by_digest: dict[str, list[str]] = {}
    for key, value in variables.items():
        if key.startswith("REGISTRY_") and key.endswith("_DIGEST"):
            by_digest.setdefault(value, []).append(key[len("REGISTRY_") : -len("_DIGEST")])
    for digest, refs in by_digest.items():
        if len(refs) > 1:
            for ref in refs:
                del out[f"REGISTRY_{ref}_DIGEST"]
            out[f"REGISTRY_IMAGE_{'|'.join(sorted(refs))}_DIGEST"] = digest
    return out


def normalise(text: str, variables: dict[str, str]) -> str:
    text = text.replace("\r", "\\r")
    variables = _same_digests(variables)
    # Longest values first, so a value containing another is replaced whole.
    for key, value in sorted(variables.items(), key=lambda kv: -len(kv[1])):
        if not value:
            continue
        text = text.replace(value, "${" + key + "}")
        text = text.replace(json.dumps(value), '"${' + key + '}"')
    text = _TIMESTAMP.sub("${TIMESTAMP}", text)
    text = _LOG_TIME.sub("${TIMESTAMP}", text)
    text = _EFFECTIVE.sub("${TIMESTAMP}", text)
    text = _UNIX.sub(lambda m: f"{m.group(1)}${{TIMESTAMP}}{m.group(2)}", text)
    text = text.replace(tempfile.gettempdir(), "${TEMP}")
    for path in _TEMP_PATH.findall(text):
        parts = [_RANDOM_BITS.sub("${RANDOM}", p) for p in path.split("/")]
        text = text.replace(path, "/".join(parts))
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return json.dumps(parsed, indent=2, ensure_ascii=False)


# -- running ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    feature: str
    scenario: str
    status: str  # match | differs | on-purpose | not-replayed | harness-error
    detail: str = ""
    seconds: float = 0.0


def _diff(expected: str, actual: str, label: str) -> str:
    return "\n".join(
        difflib.unified_diff(
            expected.splitlines(),
            actual.splitlines(),
            f"ec {label}",
            f"konflux {label}",
            lineterm="",
        )
    )


def run_scenario(scenario: Scenario, repo: Path, snapshots: dict[str, str]) -> Outcome:
    started = time.monotonic()
    world = World(repo, scenario.name, snapshots)
    status, detail = "match", ""
    try:
        for step in [*scenario.background, *scenario.steps]:
            for pattern, fn in STEPS:
                m = pattern.fullmatch(step.text)
                if m:
                    fn(world, step, *m.groups())
                    break
            else:
                raise NotReplayable(f"no step definition for: {step.keyword} {step.text}")
        if world.mismatches:
            status, detail = (
                "differs",
                "\n\n".join(
                    f"{label}:\n{_diff(exp, act, label)}" for label, exp, act in world.mismatches
                ),
            )
    except NotReplayable as exc:
        status, detail = "not-replayed", str(exc)
    except StepFailed as exc:
        status, detail = "differs", str(exc)
    except Exception as exc:  # a fixture step failed (registry busy...): say so, keep going
        status, detail = "harness-error", f"{type(exc).__name__}: {exc}"
    finally:
        world.close()
    reason = ON_PURPOSE.get((scenario.feature, scenario.name))
    if status == "differs" and reason:
        status, detail = "on-purpose", reason + "\n" + detail
    return Outcome(scenario.feature, scenario.name, status, detail, time.monotonic() - started)


def checkout(ec_repo: Path, into: Path) -> Path:
    """A work tree of the ec repository (features/ and acceptance/ are what we need)."""
    if (ec_repo / "features").is_dir():
        shutil.copytree(ec_repo / "features", into / "features")
        shutil.copytree(ec_repo / "acceptance", into / "acceptance")
        return into
    archive = subprocess.run(
        ["git", f"--git-dir={ec_repo}", "archive", "HEAD", "features", "acceptance"],
        check=True,
        capture_output=True,
    )
    subprocess.run(["tar", "x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ec-repo", required=True, type=Path, help="conforma/cli checkout")
    parser.add_argument("--feature", action="append", help="only this feature (file stem)")
    parser.add_argument("--scenario", help="only scenarios whose name matches REGEX")
    parser.add_argument("--diff", action="store_true", help="print the differences")
    parser.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ec-scenarios-") as tmp:
        repo = checkout(args.ec_repo, Path(tmp))
        outcomes: list[Outcome] = []
        for feature in sorted((repo / "features").glob("*.feature")):
            if args.feature and feature.stem not in args.feature:
                continue
            snapshots = parse_snapshots(feature.parent / "__snapshots__" / f"{feature.stem}.snap")
            for scenario in parse_feature(feature):
                if args.scenario and not re.search(args.scenario, scenario.name):
                    continue
                outcome = run_scenario(scenario, repo, snapshots)
                outcomes.append(outcome)
                if not args.json:
                    print(f"{outcome.status:<13} {feature.stem} / {scenario.name}", flush=True)
                    if args.diff and outcome.status != "match" and outcome.detail:
                        print("    " + outcome.detail.replace("\n", "\n    "), flush=True)

    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    by_feature: dict[str, dict[str, int]] = {}
    for o in outcomes:
        row = by_feature.setdefault(o.feature, {})
        row[o.status] = row.get(o.status, 0) + 1
    if args.json:
        print(
            json.dumps(
                {
                    "counts": counts,
                    "by_feature": by_feature,
                    "outcomes": [o.__dict__ for o in outcomes],
                },
                indent=2,
            )
        )
    else:
        print()
        for name, row in sorted(by_feature.items()):
            print(f"{name:<24} " + "  ".join(f"{k} {v}" for k, v in sorted(row.items())))
        ran = len(outcomes) - counts.get("not-replayed", 0)
        print(
            f"\n{len(outcomes)} scenarios: {counts.get('match', 0)} match, "
            f"{counts.get('on-purpose', 0)} differ on purpose, {counts.get('differs', 0)} differ, "
            f"{counts.get('not-replayed', 0)} not replayed ({ran} replayed)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
