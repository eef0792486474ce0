"""integration-service rules as pure functions: builds become Snapshots, Snapshots are tested,
passing push Snapshots are released.

Every function takes the current objects and returns `Actions`; none performs I/O.
Exactly-once creation comes from the keys chosen here: a Snapshot is found by the label
naming its build PipelineRun before one is made, a test PipelineRun has a deterministic
name (snapshot, scenario, attempt), and an automated Release is found by its
snapshot/plan labels before one is made.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from konflux.controllers import constants as c
from konflux.controllers.errors import ConfigurationError
from konflux.controllers.objects import (
    Actions,
    Create,
    Obj,
    Patch,
    annotations_of,
    condition,
    conditions_of,
    dns_name,
    labels_of,
    meta,
    name_of,
    namespace_of,
    now_rfc3339,
    owner_reference,
    parse_json,
    parse_time,
    run_outcome,
    run_results,
    same_conditions,
    set_condition,
    task_results,
)

DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
IMAGE_WITH_DIGEST_RE = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")

# Result names the build pipeline writes (tasks/build-pipeline) and Chains reads.
RESULT_IMAGE_URL = "IMAGE_URL"
RESULT_IMAGE_DIGEST = "IMAGE_DIGEST"
RESULT_GIT_URL = "CHAINS-GIT_URL"
RESULT_GIT_COMMIT = "CHAINS-GIT_COMMIT"

STATUS_PENDING = "Pending"
STATUS_IN_PROGRESS = "InProgress"
STATUS_PASSED = "TestPassed"
STATUS_FAILED = "TestFail"


# --- build PipelineRun -> Snapshot -----------------------------------------------------------


def is_build_run(run: Obj) -> bool:
    labels = labels_of(run)
    return (
        labels.get(c.PIPELINE_TYPE_LABEL) == c.PIPELINE_TYPE_BUILD
        and bool(labels.get(c.COMPONENT_LABEL))
        and bool(labels.get(c.APPLICATION_LABEL))
    )


def is_push_event(labels: dict[str, str], prefix: str = c.PAC_PREFIX) -> bool:
    """A build or Snapshot is a push unless PaC says it came from a pull request."""
    return labels.get(f"{prefix}event-type", "push") not in c.PAC_PR_EVENTS


def image_without_tag(url: str) -> str:
    """`registry:5000/ns/repo:tag` -> `registry:5000/ns/repo` (a port is not a tag)."""
    url = url.split("@", 1)[0]
    head, _, last = url.rpartition("/")
    if ":" in last:
        last = last.split(":", 1)[0]
    return f"{head}/{last}" if head else last


def snapshot_name(application: str, start: datetime, taken: Iterable[str]) -> str:
    """`<application[:43]>-YYYYMMDD-HHMMSS-mmm` (integration-service's scheme); while taken,
    `<application[:40]>-...-mmm-NN` so the name stays within 63 characters."""
    start = start.astimezone(UTC)
    stamp = f"{start:%Y%m%d-%H%M%S}-{start.microsecond // 1000:03d}"
    taken = set(taken)
    name = f"{application[:43]}-{stamp}"
    n = 1
    while name in taken:
        name, n = f"{application[:40]}-{stamp}-{n:02d}", n + 1
    return name


def snapshot_for_run(run: Obj, snapshots: Iterable[Obj]) -> Obj | None:
    """The Snapshot already made for this build run (the creation key)."""
    for snap in snapshots:
        if labels_of(snap).get(c.BUILD_PIPELINERUN_LABEL) == name_of(run):
            return snap
    return None


def components_of(application: str, components: Iterable[Obj]) -> list[Obj]:
    return sorted(
        (x for x in components if (x.get("spec") or {}).get("application") == application),
        key=name_of,
    )


def reconcile_build_run(
    run: Obj, components: list[Obj], snapshots: list[Obj], now: datetime | None = None
) -> Actions:
    """A succeeded, Chains-signed build run -> one Snapshot of its Application.

    `components` are the namespace's Components, `snapshots` its Snapshots. A failed or
    unsigned run creates nothing; an already recorded run only has its bookkeeping
    (annotation, Component status) completed.
    """
    actions = Actions()
    if not is_build_run(run) or run_outcome(run) != "Succeeded":
        return actions
    if annotations_of(run).get(c.CHAINS_SIGNED_ANNOTATION) != "true":
        return actions
    labels, ns = labels_of(run), namespace_of(run)
    application, built = labels[c.APPLICATION_LABEL], labels[c.COMPONENT_LABEL]
    results = run_results(run)
    digest = str(results.get(RESULT_IMAGE_DIGEST) or "")
    image_url = str(results.get(RESULT_IMAGE_URL) or "")
    push = is_push_event(labels)

    existing = snapshot_for_run(run, snapshots)
    if existing is not None:
        snap_name = name_of(existing)
    elif not image_url or not DIGEST_RE.match(digest):
        actions.patches.append(
            Patch(
                c.PIPELINE_RUN,
                ns,
                name_of(run),
                {
                    "metadata": {
                        "annotations": {
                            f"{c.TEST_PREFIX}snapshot-creation-report": (
                                f"build results IMAGE_URL={image_url!r} IMAGE_DIGEST={digest!r} "
                                "do not name an image by digest; no Snapshot created"
                            )
                        }
                    }
                },
            )
        )
        return actions
    else:
        snapshot = _snapshot_body(run, components_of(application, components), snapshots, now)
        snap_name = name_of(snapshot)
        actions.creates.append(Create(c.SNAPSHOT, snapshot))

    if annotations_of(run).get(c.SNAPSHOT_ANNOTATION) != snap_name:
        actions.patches.append(
            Patch(
                c.PIPELINE_RUN,
                ns,
                name_of(run),
                {"metadata": {"annotations": {c.SNAPSHOT_ANNOTATION: snap_name}}},
            )
        )
    if push and DIGEST_RE.match(digest):
        image = f"{image_without_tag(image_url)}@{digest}"
        commit = str(results.get(RESULT_GIT_COMMIT) or "")
        for comp in components:
            if name_of(comp) != built:
                continue
            status = comp.get("status") or {}
            if status.get("lastPromotedImage") != image or status.get("lastBuiltCommit") != commit:
                actions.patches.append(
                    Patch(
                        c.COMPONENT,
                        ns,
                        built,
                        {"status": {"lastPromotedImage": image, "lastBuiltCommit": commit}},
                        status=True,
                    )
                )
    return actions


def _snapshot_body(
    run: Obj, app_components: list[Obj], snapshots: list[Obj], now: datetime | None
) -> Obj:
    labels, annotations, ns = labels_of(run), annotations_of(run), namespace_of(run)
    application, built = labels[c.APPLICATION_LABEL], labels[c.COMPONENT_LABEL]
    results = run_results(run)
    start = (
        parse_time((run.get("status") or {}).get("startTime"))
        or parse_time(meta(run).get("creationTimestamp"))
        or now
        or datetime.now(UTC)
    )
    name = snapshot_name(
        application, start, (name_of(s) for s in snapshots if namespace_of(s) == ns)
    )

    entries: list[Obj] = []
    invalid: list[str] = []
    built_entry = {
        "name": built,
        "containerImage": f"{image_without_tag(str(results[RESULT_IMAGE_URL]))}"
        f"@{results[RESULT_IMAGE_DIGEST]}",
        "source": {
            "git": {
                "url": str(results.get(RESULT_GIT_URL) or ""),
                "revision": str(results.get(RESULT_GIT_COMMIT) or ""),
            }
        },
    }
    names = {name_of(x) for x in app_components}
    for comp in app_components:
        cname = name_of(comp)
        if cname == built:
            entries.append(built_entry)
            continue
        image = str((comp.get("status") or {}).get("lastPromotedImage") or "")
        if not IMAGE_WITH_DIGEST_RE.match(image):
            invalid.append(cname)
            continue
        git = ((comp.get("spec") or {}).get("source") or {}).get("git") or {}
        entry: Obj = {"name": cname, "containerImage": image}
        if git.get("url"):
            entry["source"] = {
                "git": {
                    "url": git["url"],
                    "revision": str((comp.get("status") or {}).get("lastBuiltCommit") or ""),
                }
            }
        entries.append(entry)
    if built not in names:  # the Component may be gone; the build still describes it
        entries.append(built_entry)

    snap_labels = {
        c.SNAPSHOT_TYPE_LABEL: c.SNAPSHOT_TYPE_COMPONENT,
        c.COMPONENT_LABEL: built,
        c.APPLICATION_LABEL: application,
        c.BUILD_PIPELINERUN_LABEL: name_of(run),
    }
    snap_annotations: dict[str, str] = {
        c.RESULT_ANNOTATION_PREFIX + k.lower(): str(v) for k, v in results.items()
    }
    for key, value in labels.items():
        if key.startswith(c.PAC_PREFIX):
            snap_labels[c.PAC_COPY_PREFIX + key[len(c.PAC_PREFIX) :]] = value
    for key, value in annotations.items():
        if key.startswith(c.PAC_PREFIX):
            snap_annotations[c.PAC_COPY_PREFIX + key[len(c.PAC_PREFIX) :]] = value
    if invalid:
        snap_annotations[c.INVALID_COMPONENTS_ANNOTATION] = ",".join(sorted(invalid))
    return {
        "apiVersion": c.SNAPSHOT.api_version,
        "kind": c.SNAPSHOT.kind,
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": snap_labels,
            "annotations": snap_annotations,
        },
        "spec": {
            "application": application,
            "artifacts": {},
            "components": sorted(entries, key=lambda e: e["name"]),
        },
    }


# --- Snapshot -> test PipelineRuns -> outcome ------------------------------------------------


def scenario_applies(scenario: Obj, snapshot: Obj) -> bool:
    """The `contexts` filter: no contexts, `application`/`all`, or a matching context."""
    spec = scenario.get("spec") or {}
    if spec.get("application") != (snapshot.get("spec") or {}).get("application"):
        return False
    contexts = [str(x.get("name", "")) for x in spec.get("contexts") or []]
    if not contexts:
        return True
    labels = labels_of(snapshot)
    kind = labels.get(c.SNAPSHOT_TYPE_LABEL, c.SNAPSHOT_TYPE_COMPONENT)
    push = is_push_event(labels, c.PAC_COPY_PREFIX)
    component = labels.get(c.COMPONENT_LABEL, "")
    for ctx in contexts:
        if (
            ctx in ("application", "all")
            or (ctx == "push" and push)
            or (ctx == "pull_request" and not push)
            or (ctx == "component" and kind == c.SNAPSHOT_TYPE_COMPONENT)
            or (ctx == "group" and kind == "group")
            or (ctx == "override" and kind == "override")
            or (ctx.startswith("component_") and ctx[len("component_") :] == component)
        ):
            return True
    return False


def is_optional(scenario: Obj) -> bool:
    return labels_of(scenario).get(c.OPTIONAL_LABEL) == "true"


def rerun_counts(snapshot: Obj) -> dict[str, int]:
    value = parse_json(annotations_of(snapshot).get(c.RERUN_COUNT_ANNOTATION, "{}"))
    return {str(k): int(v) for k, v in (value or {}).items()}


def test_run_name(snapshot: str, scenario: str, attempt: int) -> str:
    return dns_name(snapshot, scenario, f"r{attempt}" if attempt else "")


def pipeline_ref(scenario: Obj) -> Obj:
    """ITS `resolverRef` (git, bundles, cluster, ...) as a PipelineRun `pipelineRef`."""
    ref = (scenario.get("spec") or {}).get("resolverRef") or {}
    if not ref.get("resolver"):
        raise ConfigurationError(
            f"IntegrationTestScenario {name_of(scenario)} has no spec.resolverRef.resolver"
        )
    return {"resolver": ref["resolver"], "params": list(ref.get("params") or [])}


def test_pipelinerun(snapshot: Obj, scenario: Obj, attempt: int) -> Obj:
    spec = scenario.get("spec") or {}
    params = [{"name": "SNAPSHOT", "value": json.dumps(snapshot.get("spec") or {}, sort_keys=True)}]
    params += [p for p in spec.get("params") or [] if p.get("name") != "SNAPSHOT"]
    labels = {
        c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_TEST,
        c.SCENARIO_LABEL: name_of(scenario),
        c.SNAPSHOT_LABEL: name_of(snapshot),
        c.APPLICATION_LABEL: str((snapshot.get("spec") or {}).get("application", "")),
        c.MANAGED_BY: c.MANAGER_NAME,
    }
    if labels_of(snapshot).get(c.COMPONENT_LABEL):
        labels[c.COMPONENT_LABEL] = labels_of(snapshot)[c.COMPONENT_LABEL]
    if is_optional(scenario):
        labels[c.OPTIONAL_LABEL] = "true"
    return {
        "apiVersion": c.PIPELINE_RUN.api_version,
        "kind": c.PIPELINE_RUN.kind,
        "metadata": {
            "name": test_run_name(name_of(snapshot), name_of(scenario), attempt),
            "namespace": namespace_of(snapshot),
            "labels": labels,
            "ownerReferences": [owner_reference(c.SNAPSHOT, snapshot)],
        },
        "spec": {"pipelineRef": pipeline_ref(scenario), "params": params},
    }


@dataclass(frozen=True)
class ScenarioOutcome:
    status: str
    details: str


def scenario_outcome(run: Obj | None, taskruns: list[Obj]) -> ScenarioOutcome:
    """Passed when the run succeeded and every TEST_OUTPUT says SUCCESS/SKIPPED/WARNING."""
    if run is None:
        return ScenarioOutcome(STATUS_PENDING, "test PipelineRun not created yet")
    outcome = run_outcome(run)
    if outcome == "Running":
        return ScenarioOutcome(STATUS_IN_PROGRESS, "test PipelineRun running")
    if outcome == "Failed":
        cond = condition(run, c.SUCCEEDED_CONDITION) or {}
        return ScenarioOutcome(STATUS_FAILED, f"PipelineRun failed: {cond.get('message', '')}")
    for value in task_results(taskruns, c.TEST_OUTPUT_RESULT):
        parsed = parse_json(value)
        result = parsed.get("result") if isinstance(parsed, dict) else None
        if result not in c.PASSING_TEST_RESULTS:
            return ScenarioOutcome(STATUS_FAILED, f"TEST_OUTPUT result is {result!r}")
    return ScenarioOutcome(STATUS_PASSED, "test PipelineRun succeeded")


def reconcile_snapshot(
    snapshot: Obj,
    scenarios: list[Obj],
    runs: list[Obj],
    taskruns: dict[str, list[Obj]],
    release_plans: list[Obj],
    releases: list[Obj],
    now: datetime | None = None,
) -> Actions:
    """Tests for a Snapshot, its status annotation and conditions, and its auto-release.

    `runs` are the test PipelineRuns labelled with this Snapshot; `taskruns` maps a run
    name to its TaskRuns; `release_plans`/`releases` are the namespace's.
    """
    actions = Actions()
    ns, snap = namespace_of(snapshot), name_of(snapshot)
    labels, annotations = labels_of(snapshot), annotations_of(snapshot)
    applicable = sorted((s for s in scenarios if scenario_applies(s, snapshot)), key=name_of)
    counts = rerun_counts(snapshot)

    rerun = labels.get(c.RERUN_LABEL)
    if rerun:
        targets = [name_of(s) for s in applicable if rerun in ("all", name_of(s))]
        for target in targets:
            counts[target] = counts.get(target, 0) + 1
        patch: Obj = {
            "metadata": {
                "labels": {c.RERUN_LABEL: None},
                "annotations": {c.RERUN_COUNT_ANNOTATION: json.dumps(counts, sort_keys=True)},
            }
        }
        actions.patches.append(Patch(c.SNAPSHOT, ns, snap, patch))
        # A re-run restarts the verdict; conditions are recomputed from the new runs.
        snapshot = {
            **snapshot,
            "status": {
                **(snapshot.get("status") or {}),
                "conditions": [
                    x
                    for x in conditions_of(snapshot)
                    if x.get("type") not in (c.CONDITION_TEST_SUCCEEDED,)
                ],
            },
        }

    by_name = {name_of(r): r for r in runs}
    statuses: list[Obj] = []
    required_done, required_failed, required_total = 0, 0, 0
    for scenario in applicable:
        sname = name_of(scenario)
        run_name = test_run_name(snap, sname, counts.get(sname, 0))
        run = by_name.get(run_name)
        if run is None:
            actions.creates.append(
                Create(c.PIPELINE_RUN, test_pipelinerun(snapshot, scenario, counts.get(sname, 0)))
            )
        outcome = scenario_outcome(run, taskruns.get(run_name, []))
        statuses.append(
            {
                "scenario": sname,
                "status": outcome.status,
                "testPipelineRunName": run_name,
                "details": outcome.details,
                "optional": is_optional(scenario),
            }
        )
        if not is_optional(scenario):
            required_total += 1
            if outcome.status in (STATUS_PASSED, STATUS_FAILED):
                required_done += 1
            if outcome.status == STATUS_FAILED:
                required_failed += 1

    status_json = json.dumps(statuses, sort_keys=True)
    if annotations.get(c.TEST_STATUS_ANNOTATION) != status_json:
        actions.patches.append(
            Patch(
                c.SNAPSHOT,
                ns,
                snap,
                {"metadata": {"annotations": {c.TEST_STATUS_ANNOTATION: status_json}}},
            )
        )

    conds = conditions_of(snapshot)
    new = list(conds)
    passed = False
    if required_done < required_total:
        new = set_condition(
            new,
            c.CONDITION_INTEGRATION_STATUS,
            "Unknown",
            "InProgress",
            f"{required_done} of {required_total} required tests finished",
            now,
        )
    else:  # every required test finished (or there is none)
        new = set_condition(
            new,
            c.CONDITION_INTEGRATION_STATUS,
            True,
            "Finished",
            "Snapshot integration status finished",
            now,
        )
        passed = not required_failed
        if required_total == 0:
            message = "No required IntegrationTestScenarios found, skipped testing"
        elif required_failed:
            message = f"{required_failed} of {required_total} required tests failed"
        else:
            message = "All required integration tests passed"
        new = set_condition(
            new, c.CONDITION_TEST_SUCCEEDED, passed, "Passed" if passed else "Failed", message, now
        )

    if passed and is_push_event(labels, c.PAC_COPY_PREFIX):
        auto = condition(snapshot, c.CONDITION_AUTO_RELEASED)
        if auto is None or auto.get("status") != "True":
            made = auto_releases(snapshot, release_plans, releases)
            actions.creates.extend(made)
            new = set_condition(
                new,
                c.CONDITION_AUTO_RELEASED,
                True,
                "AutoReleased",
                "The Snapshot was auto-released",
                now,
            )
    if not same_conditions(conds, new):
        actions.patches.append(
            Patch(c.SNAPSHOT, ns, snap, {"status": {"conditions": new}}, status=True)
        )
    return actions


def auto_release_plans(application: str, release_plans: Iterable[Obj]) -> list[Obj]:
    return sorted(
        (
            p
            for p in release_plans
            if (p.get("spec") or {}).get("application") == application
            and labels_of(p).get(c.AUTO_RELEASE_LABEL, "true") != "false"
        ),
        key=name_of,
    )


def auto_releases(snapshot: Obj, release_plans: list[Obj], releases: list[Obj]) -> list[Create]:
    """One automated Release per auto-release plan that has none for this Snapshot yet."""
    application = str((snapshot.get("spec") or {}).get("application", ""))
    creates = []
    for plan in auto_release_plans(application, release_plans):
        exists = any(
            (r.get("spec") or {}).get("snapshot") == name_of(snapshot)
            and (r.get("spec") or {}).get("releasePlan") == name_of(plan)
            and labels_of(r).get(c.AUTOMATED_LABEL) == "true"
            for r in releases
        )
        if exists:
            continue
        creates.append(
            Create(
                c.RELEASE,
                {
                    "apiVersion": c.RELEASE.api_version,
                    "kind": c.RELEASE.kind,
                    "metadata": {
                        "generateName": f"{name_of(snapshot)}-",
                        "namespace": namespace_of(snapshot),
                        "labels": {
                            c.AUTOMATED_LABEL: "true",
                            c.SNAPSHOT_LABEL: name_of(snapshot),
                            c.RELEASE_PLAN_LABEL: name_of(plan),
                        },
                    },
                    "spec": {"snapshot": name_of(snapshot), "releasePlan": name_of(plan)},
                    "status": {"automated": True},
                },
            )
        )
    return creates


# --- garbage collection ----------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionPolicy:
    push: int = 500
    pull_request: int = 70
    per_component: int = 5


def snapshots_to_delete(
    snapshots: list[Obj], releases: list[Obj], policy: RetentionPolicy
) -> list[tuple[str, str]]:
    """(namespace, name) of Snapshots the retention policy lets go, oldest first."""
    released = {(namespace_of(r), str((r.get("spec") or {}).get("snapshot", ""))) for r in releases}
    by_ns: dict[str, list[Obj]] = {}
    for snap in snapshots:
        by_ns.setdefault(namespace_of(snap), []).append(snap)
    doomed: list[tuple[str, str]] = []
    for ns, items in by_ns.items():
        items.sort(
            key=lambda s: (str(meta(s).get("creationTimestamp", "")), name_of(s)), reverse=True
        )
        kept_push = kept_pr = 0
        per_component: dict[str, int] = {}
        for snap in items:
            labels = labels_of(snap)
            component = labels.get(c.COMPONENT_LABEL, "")
            push = is_push_event(labels, c.PAC_COPY_PREFIX)
            keep = (
                (ns, name_of(snap)) in released
                or annotations_of(snap).get(c.KEEP_SNAPSHOT_ANNOTATION) == "true"
                or per_component.get(component, 0) < policy.per_component
                or (push and kept_push < policy.push)
                or (not push and kept_pr < policy.pull_request)
            )
            per_component[component] = per_component.get(component, 0) + 1
            if push:
                kept_push += 1
            else:
                kept_pr += 1
            if not keep:
                doomed.append((ns, name_of(snap)))
    return list(reversed(doomed))


def timestamp(now: datetime | None = None) -> str:
    return now_rfc3339(now)


__all__: list[Any] = [
    "RetentionPolicy",
    "auto_releases",
    "image_without_tag",
    "reconcile_build_run",
    "reconcile_snapshot",
    "scenario_applies",
    "scenario_outcome",
    "snapshot_name",
    "snapshots_to_delete",
    "test_pipelinerun",
]
