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


# Conforma's verify-enterprise-contract task (github:conforma/cli tasks/verify-enterprise-
# contract/0.1): every param with its default. verify-conforma takes the same, so a pipeline
# written for that task runs this one unchanged.
UPSTREAM_PARAMS = {
    "IMAGES": None,
    "POLICY_CONFIGURATION": "enterprise-contract-service/default",
    "PUBLIC_KEY": "",
    "REKOR_HOST": "",
    "CERTIFICATE_IDENTITY": "",
    "CERTIFICATE_OIDC_ISSUER": "",
    "CERTIFICATE_IDENTITY_REGEXP": "",
    "CERTIFICATE_OIDC_ISSUER_REGEXP": "",
    "IGNORE_REKOR": "false",
    "TUF_MIRROR": "",
    "SSL_CERT_DIR": "",
    "CA_TRUST_CONFIGMAP_NAME": "trusted-ca",
    "CA_TRUST_CONFIG_MAP_KEY": "ca-bundle.crt",
    "INFO": "true",
    "STRICT": "true",
    "HOMEDIR": "/tekton/home",
    "EFFECTIVE_TIME": "now",
    "ALLOW_PAST_EFFECTIVE_TIME": "false",
    "EXTRA_RULE_DATA": "",
    "POLICY_BUNDLE_DIGEST": (
        "sha256:f904979d405a39a3cc492439b379b4b117c622bbe7126a0e1ba76527ec3ce6a2"
    ),
    "WORKERS": "1",
    "EC_USE_OPA": "",
    "SINGLE_COMPONENT": "false",
    "SINGLE_COMPONENT_CUSTOM_RESOURCE": "unknown",
    "SINGLE_COMPONENT_CUSTOM_RESOURCE_NS": "",
    "RETRY_DURATION": "1s",
    "RETRY_FACTOR": "2.0",
    "RETRY_JITTER": "0.1",
    "RETRY_MAX_RETRY": "3",
    "RETRY_MAX_WAIT": "3s",
}
UPSTREAM_STEPS = [
    "initialize-tuf",
    "reduce",
    "pin-policy-bundle",
    "validate",
    "report-json",
    "summary",
    "version",
    "show-config",
    "detailed-report",
    "assert",
]


def test_verify_conforma_has_upstream_params_defaults_results_and_steps():
    doc = yaml.safe_load((ROOT / "tasks/verify-conforma/verify-conforma.yaml").read_text())
    params = {p["name"]: p.get("default") for p in doc["spec"]["params"]}
    # upstream's params and defaults, plus REPORT_RESULT (konflux's, for the web console)
    assert params == {**UPSTREAM_PARAMS, "REPORT_RESULT": "false"}
    assert [r["name"] for r in doc["spec"]["results"]] == ["TEST_OUTPUT", "REPORT_JSON"]
    assert [s["name"] for s in doc["spec"]["steps"]] == UPSTREAM_STEPS
    assert doc["spec"]["stepTemplate"]["env"] == [{"name": "HOME", "value": "$(params.HOMEDIR)"}]
    script = next(s for s in doc["spec"]["steps"] if s["name"] == "validate")["script"]
    assert 'konflux "${cmd_args[@]}"' in script
    for output in (
        "text=${HOMEDIR}/text-report.txt?show-successes=false",
        "json=${HOMEDIR}/report-json.json",
        "appstudio=$(results.TEST_OUTPUT.path)",
        "$(results.REPORT_JSON.path)",
    ):
        assert output in script


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
