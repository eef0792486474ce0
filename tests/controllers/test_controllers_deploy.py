"""deploy/controllers and deploy/crds/tekton: parseable, and RBAC grants what the operators use."""

from __future__ import annotations

from pathlib import Path

import yaml

from konflux.controllers import constants as c
from konflux.testing import ALL_RESOURCES

ROOT = Path(__file__).resolve().parents[2]


def docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_manifests_parse_and_kustomization_lists_existing_files():
    folder = ROOT / "deploy/controllers"
    kust = docs(folder / "kustomization.yaml")[0]
    for rel in kust["resources"]:
        assert docs(folder / rel), rel
    kinds = {d["kind"] for p in folder.glob("*.yaml") for d in docs(p)}
    assert {"Deployment", "CronJob", "ClusterRole", "ClusterKopfPeering"} <= kinds


def test_cluster_role_covers_every_resource_the_operators_touch():
    role = next(
        d
        for d in docs(ROOT / "deploy/controllers/rbac.yaml")
        if d["kind"] == "ClusterRole" and d["metadata"]["name"] == "konflux-controllers"
    )
    granted = {
        (g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]
    }
    for res in ALL_RESOURCES:
        assert (res.group, res.plural) in granted, res.plural
    for res in (c.SNAPSHOT, c.RELEASE, c.COMPONENT, c.RELEASE_PLAN, c.COMPONENT_GROUP):
        assert (res.group, f"{res.plural}/status") in granted


def test_tekton_crds_serve_the_versions_the_controllers_use():
    crds = {d["metadata"]["name"]: d for d in docs(ROOT / "deploy/crds/tekton/tekton-runs.yaml")}
    for res in (c.PIPELINE_RUN, c.TASK_RUN, c.PAC_REPOSITORY):
        crd = crds[f"{res.plural}.{res.group}"]
        assert [v["name"] for v in crd["spec"]["versions"]] == [res.version]
        assert crd["spec"]["names"]["kind"] == res.kind


def test_cronjob_runs_gc_snapshots():
    job = docs(ROOT / "deploy/controllers/gc-snapshots-cronjob.yaml")[0]
    args = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:2] == ["controllers", "gc-snapshots"]
