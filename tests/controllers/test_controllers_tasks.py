"""Every Tekton file under tasks/ is valid tekton.dev/v1 (schema subset) and its
`$(params.X)`, `$(results.X.path)` and `$(tasks.T.results.R)` references resolve."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).with_name("tekton_v1.schema.json")).read_text())
FILES = sorted((ROOT / "tasks").glob("*/*.yaml"))


def references(doc: dict) -> list[str]:
    """Unresolved references in a Task or Pipeline, as messages."""
    problems: list[str] = []

    def check_task(spec: dict, outer: set[str]) -> None:
        params = {p["name"] for p in spec.get("params", [])} | outer
        results = {r["name"] for r in spec.get("results", [])}
        text = yaml.safe_dump(spec.get("steps", []))
        problems.extend(
            f"param {m}" for m in re.findall(r"\$\(params\.([\w-]+)\)", text) if m not in params
        )
        problems.extend(
            f"result {m}"
            for m in re.findall(r"\$\(results\.([\w-]+)\.path\)", text)
            if m not in results
        )

    spec = doc["spec"]
    if doc["kind"] == "Task":
        check_task(spec, set())
        return problems
    params = {p["name"] for p in spec.get("params", [])}
    tasks = {t["name"]: t for t in spec["tasks"]}
    for task in spec["tasks"]:
        if "taskSpec" in task:
            # Embedded specs see the pipeline's params through propagation.
            check_task(task["taskSpec"], params)
        for ref in task.get("runAfter", []):
            if ref not in tasks:
                problems.append(f"runAfter {ref}")
    text = yaml.safe_dump(
        {
            "tasks": [{k: v for k, v in t.items() if k != "taskSpec"} for t in spec["tasks"]],
            "results": spec.get("results"),
        }
    )
    problems.extend(
        f"param {m}" for m in re.findall(r"\$\(params\.([\w-]+)\)", text) if m not in params
    )
    for task, result in re.findall(r"\$\(tasks\.([\w-]+)\.results\.([\w-]+)\)", text):
        declared = {r["name"] for r in tasks.get(task, {}).get("taskSpec", {}).get("results", [])}
        if task not in tasks or ("taskSpec" in tasks[task] and result not in declared):
            problems.append(f"tasks.{task}.results.{result}")
    return problems


def test_every_task_folder_has_yaml_and_readme():
    folders = [p for p in (ROOT / "tasks").iterdir() if p.is_dir()]
    assert {p.name for p in folders} >= {"verify-conforma", "release-pipeline", "build-pipeline"}
    for folder in folders:
        assert list(folder.glob("*.yaml")) and (folder / "README.md").is_file(), folder


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_tekton_files_validate_and_references_resolve(path: Path):
    doc = yaml.safe_load(path.read_text())
    jsonschema.validate(doc, SCHEMA)
    assert references(doc) == []


def test_verify_conforma_contract():
    doc = yaml.safe_load((ROOT / "tasks/verify-conforma/verify-conforma.yaml").read_text())
    params = {p["name"] for p in doc["spec"]["params"]}
    assert params == {
        "IMAGES",
        "POLICY_CONFIGURATION",
        "PUBLIC_KEY",
        "IGNORE_REKOR",
        "STRICT",
        "EFFECTIVE_TIME",
        "EXTRA_RULE_DATA",
        "WORKERS",
        "INFO",
        "REPORT_RESULT",
    }
    assert [r["name"] for r in doc["spec"]["results"]] == ["TEST_OUTPUT", "REPORT_JSON"]
    script = doc["spec"]["steps"][0]["script"]
    assert "validate image" in script
    for fmt in ("text=", "json=", "appstudio="):
        assert fmt in script


def test_schema_and_reference_check_reject_broken_files():
    doc = yaml.safe_load((ROOT / "tasks/verify-conforma/verify-conforma.yaml").read_text())
    bad = copy.deepcopy(doc)
    bad["apiVersion"] = "tekton.dev/v1beta1"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)
    bad = copy.deepcopy(doc)
    del bad["spec"]["steps"][0]["image"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)
    bad = copy.deepcopy(doc)
    bad["spec"]["params"] = [p for p in bad["spec"]["params"] if p["name"] != "WORKERS"]
    assert references(bad) == ["param WORKERS"]
