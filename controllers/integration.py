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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import celpy
from celpy import celtypes

from konflux.controllers import constants as c
from konflux.controllers.errors import ConfigurationError
from konflux.controllers.gates import Gates, IntegrationDecision, default_gates
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

# pkg/integrationteststatus: the statuses whose times status_entry keeps (the gates decide
# which status a scenario has, and which are final).
STATUS_PENDING = "Pending"
STATUS_IN_PROGRESS = "InProgress"


# --- build PipelineRun -> Snapshot -----------------------------------------------------------


def is_build_run(run: Obj) -> bool:
    labels = labels_of(run)
    return (
        labels.get(c.PIPELINE_TYPE_LABEL) == c.PIPELINE_TYPE_BUILD
        and bool(labels.get(c.COMPONENT_LABEL))
        and bool(labels.get(c.APPLICATION_LABEL))
    )


def is_push_event(
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    prefix: str = c.PAC_COPY_PREFIX,
) -> bool:
    """Push or pull request, decided as integration-service's IsSnapshotCreatedByPACPushEvent.

    Not a push: a GitHub merge-queue build (its source branch), a group Snapshot, and what
    has a non-push event type *and* names a pull request (so `retest-all-comment` on a pull
    request is not a push either). Everything else is a push, manual Snapshots included.
    """
    branch = (annotations or {}).get(f"{prefix}source-branch", "")
    if branch.removeprefix("refs/heads/").startswith(c.MERGE_QUEUE_BRANCH_PREFIX):
        return False
    if labels.get(c.SNAPSHOT_TYPE_LABEL) == c.SNAPSHOT_TYPE_GROUP:
        return False
    event = labels.get(f"{prefix}event-type")
    return event is None or event in c.PAC_PUSH_EVENTS or f"{prefix}pull-request" not in labels


def is_push_snapshot(snapshot: Obj) -> bool:
    return is_push_event(labels_of(snapshot), annotations_of(snapshot))


def is_push_build(run: Obj) -> bool:
    return is_push_event(labels_of(run), annotations_of(run), c.PAC_PREFIX)


def result_annotation(result: str) -> str:
    """`SHOULD_RELEASE` -> `test.appstudio.openshift.io/result-should-release` (upstream's key)."""
    return c.RESULT_ANNOTATION_PREFIX + result.replace("_", "-").lower()


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


def snapshot_for_run(run: Obj, snapshots: Iterable[Obj], group: str = "") -> Obj | None:
    """The Snapshot already made for this build run (the creation key), for `group` when the
    run builds for ComponentGroups (one Snapshot each)."""
    for snap in snapshots:
        if labels_of(snap).get(c.BUILD_PIPELINERUN_LABEL) != name_of(run):
            continue
        if not group or (snap.get("spec") or {}).get("componentGroup") == group:
            return snap
    return None


def components_of(application: str, components: Iterable[Obj]) -> list[Obj]:
    return sorted(
        (x for x in components if (x.get("spec") or {}).get("application") == application),
        key=name_of,
    )


def groups_of(component: str, version: str, groups: Iterable[Obj]) -> list[Obj]:
    """The ComponentGroups listing `component` at `version` (loader's
    GetComponentGroupsForComponentVersion); nested group entries do not count."""
    found = []
    for group in groups:
        for ref in (group.get("spec") or {}).get("components") or []:
            if str(ref.get("kind", "")).lower() == "componentgroup":
                continue
            if (
                ref.get("name") == component
                and (ref.get("componentVersion") or {}).get("name") == version
            ):
                found.append(group)
                break
    return sorted(found, key=name_of)


def _report(run: Obj, status: str, message: str) -> Patch:
    """The build run's create-snapshot-status annotation, as integration-service writes it."""
    value = json.dumps({"status": status, "message": message}, sort_keys=True)
    return Patch(
        c.PIPELINE_RUN,
        namespace_of(run),
        name_of(run),
        {"metadata": {"annotations": {c.CREATE_SNAPSHOT_STATUS_ANNOTATION: value}}},
    )


def _failure(run: Obj, message: str) -> Actions:
    actions = Actions()
    report = json.dumps({"status": "failed", "message": message}, sort_keys=True)
    if annotations_of(run).get(c.CREATE_SNAPSHOT_STATUS_ANNOTATION) != report:
        actions.patches.append(_report(run, "failed", message))
    return actions


def reconcile_build_run(
    run: Obj,
    components: list[Obj],
    snapshots: list[Obj],
    now: datetime | None = None,
    component_groups: list[Obj] | None = None,
) -> Actions:
    """A succeeded, Chains-signed build run -> a Snapshot of its Application, or one per
    ComponentGroup listing the built component version (the run's `appstudio.openshift.io/version`
    annotation selects that model, as upstream).

    `components`, `snapshots` and `component_groups` are the namespace's. A failed run creates
    nothing; a run Chains has not signed yet waits; a run Chains marked anything but signed
    (`chains.tekton.dev/signed: "failed"`) is reported failed on the run and makes no Snapshot.
    An already recorded run only has its bookkeeping completed.
    """
    if not is_build_run(run) or run_outcome(run) != "Succeeded":
        return Actions()
    signed = annotations_of(run).get(c.CHAINS_SIGNED_ANNOTATION)
    if signed is None:
        return Actions()  # Chains has not got to it yet; its next write triggers us again
    if signed != "true":
        why = annotations_of(run).get(c.CHAINS_FAILURE_ANNOTATION)  # the signer's reason
        return _failure(
            run,
            f"Failed to create snapshot. Error: the build was not signed by Tekton Chains "
            f"({c.CHAINS_SIGNED_ANNOTATION}={signed!r}): nothing it built can be trusted"
            + (f" (the signer: {why})" if why else ""),
        )
    results = run_results(run)
    digest = str(results.get(RESULT_IMAGE_DIGEST) or "")
    image_url = str(results.get(RESULT_IMAGE_URL) or "")
    not_pinned = (
        f"Failed to create snapshot. Error: build results IMAGE_URL={image_url!r} "
        f"IMAGE_DIGEST={digest!r} do not name an image by digest"
    )
    pinned = bool(image_url) and bool(DIGEST_RE.match(digest))
    version = annotations_of(run).get(c.COMPONENT_VERSION_ANNOTATION, "")
    if version:
        problem = None if pinned else not_pinned
        return _reconcile_group_build(run, component_groups or [], snapshots, now, version, problem)
    labels, ns = labels_of(run), namespace_of(run)
    application, built = labels[c.APPLICATION_LABEL], labels[c.COMPONENT_LABEL]
    actions = Actions()
    existing = snapshot_for_run(run, snapshots)
    if existing is not None:
        snap_name = name_of(existing)
    elif not pinned:
        return _failure(run, not_pinned)
    else:
        snapshot = _snapshot_body(run, components_of(application, components), snapshots, now)
        snap_name = name_of(snapshot)
        actions.creates.append(Create(c.SNAPSHOT, snapshot))

    actions.patches.extend(_recorded(run, [snap_name], c.SNAPSHOT_ANNOTATION))
    if is_push_build(run) and pinned:
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


def _recorded(run: Obj, names: list[str], key: str) -> list[Patch]:
    """The run's annotations naming its Snapshot(s), and the success report."""
    value = ",".join(names)
    report = json.dumps(
        {
            "status": "success",
            "message": f"Sucessfully created snapshot. See annotation {key} for name",
        },
        sort_keys=True,
    )
    wanted = {key: value, c.CREATE_SNAPSHOT_STATUS_ANNOTATION: report}
    current = annotations_of(run)
    if all(current.get(k) == v for k, v in wanted.items()):
        return []
    return [
        Patch(
            c.PIPELINE_RUN, namespace_of(run), name_of(run), {"metadata": {"annotations": wanted}}
        )
    ]


def _built_entry(run: Obj, version: str = "") -> Obj:
    results = run_results(run)
    entry: Obj = {
        "name": labels_of(run)[c.COMPONENT_LABEL],
        "containerImage": f"{image_without_tag(str(results[RESULT_IMAGE_URL]))}"
        f"@{results[RESULT_IMAGE_DIGEST]}",
        "source": {
            "git": {
                "url": str(results.get(RESULT_GIT_URL) or ""),
                "revision": str(results.get(RESULT_GIT_COMMIT) or ""),
            }
        },
    }
    if version:
        entry["version"] = version
    return entry


def _start_time(run: Obj, now: datetime | None) -> datetime:
    return (
        parse_time((run.get("status") or {}).get("startTime"))
        or parse_time(meta(run).get("creationTimestamp"))
        or now
        or datetime.now(UTC)
    )


def _copied_metadata(run: Obj) -> tuple[dict[str, str], dict[str, str]]:
    """PaC labels and annotations under integration-service's prefix, and the build results."""
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {
        result_annotation(str(k)): v
        for k, v in run_results(run).items()
        if isinstance(v, str) and v != ""
    }
    for key, value in labels_of(run).items():
        if key.startswith(c.PAC_PREFIX):
            labels[c.PAC_COPY_PREFIX + key[len(c.PAC_PREFIX) :]] = value
    for key, value in annotations_of(run).items():
        if key.startswith(c.PAC_PREFIX):
            annotations[c.PAC_COPY_PREFIX + key[len(c.PAC_PREFIX) :]] = value
    return labels, annotations


def _snapshot_body(
    run: Obj, app_components: list[Obj], snapshots: list[Obj], now: datetime | None
) -> Obj:
    labels, ns = labels_of(run), namespace_of(run)
    application, built = labels[c.APPLICATION_LABEL], labels[c.COMPONENT_LABEL]
    name = snapshot_name(
        application, _start_time(run, now), (name_of(s) for s in snapshots if namespace_of(s) == ns)
    )

    entries: list[Obj] = []
    invalid: list[str] = []
    built_entry = _built_entry(run)
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

    copied_labels, snap_annotations = _copied_metadata(run)
    snap_labels = {
        **copied_labels,
        c.SNAPSHOT_TYPE_LABEL: c.SNAPSHOT_TYPE_COMPONENT,
        c.COMPONENT_LABEL: built,
        c.APPLICATION_LABEL: application,
        c.BUILD_PIPELINERUN_LABEL: name_of(run),
    }
    spec = {
        "application": application,
        "artifacts": {},
        "components": sorted(entries, key=lambda e: e["name"]),
    }
    return _snapshot(name, ns, snap_labels, snap_annotations, spec, invalid)


def _snapshot(
    name: str, ns: str, labels: Obj, annotations: Obj, spec: Obj, invalid: list[str], **meta: Any
) -> Obj:
    """A Snapshot; components left out for want of a pinned image are listed in an annotation."""
    if invalid:
        annotations = {**annotations, c.INVALID_COMPONENTS_ANNOTATION: ",".join(sorted(invalid))}
    return {
        "apiVersion": c.SNAPSHOT.api_version,
        "kind": c.SNAPSHOT.kind,
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": labels,
            "annotations": annotations,
            **meta,
        },
        "spec": spec,
    }


# --- the ComponentGroup model ------------------------------------------------------------------


def _reconcile_group_build(
    run: Obj,
    groups: list[Obj],
    snapshots: list[Obj],
    now: datetime | None,
    version: str,
    problem: str | None,
) -> Actions:
    """One Snapshot per ComponentGroup listing the built component version; its global
    candidate list (status.globalCandidateList) takes a pushed build. `problem`: why the
    build's results cannot make a Snapshot (then nothing is made)."""
    built = labels_of(run)[c.COMPONENT_LABEL]
    matching = groups_of(built, version, groups)
    if not matching:
        return _failure(
            run,
            f"Failed to create snapshot. Error: no ComponentGroup in namespace "
            f"{namespace_of(run)!r} lists component {built!r} at version {version!r}",
        )
    if problem is not None:
        return _failure(run, problem)
    actions = Actions()
    taken = [name_of(s) for s in snapshots if namespace_of(s) == namespace_of(run)]
    names: list[str] = []
    for group in matching:
        existing = snapshot_for_run(run, snapshots, name_of(group))
        if existing is None:
            body = _group_snapshot_body(run, group, version, taken, now)
            taken.append(name_of(body))
            actions.creates.append(Create(c.SNAPSHOT, body))
            names.append(name_of(body))
        else:
            names.append(name_of(existing))
        if is_push_build(run):
            actions.patches.extend(_candidate_update(run, group, version, now))
    actions.patches.extend(_recorded(run, names, c.SNAPSHOTS_ANNOTATION))
    return actions


def _group_snapshot_body(
    run: Obj, group: Obj, version: str, taken: list[str], now: datetime | None
) -> Obj:
    """A Snapshot of `group`: its global candidate list with the built component version in."""
    built = _built_entry(run, version)
    listed = {
        (ref.get("name"), (ref.get("componentVersion") or {}).get("name"))
        for ref in (group.get("spec") or {}).get("components") or []
        if str(ref.get("kind", "")).lower() != "componentgroup"
    }
    entries: dict[tuple[str, str], Obj] = {}
    invalid: list[str] = []
    for cand in (group.get("status") or {}).get("globalCandidateList") or []:
        key = (str(cand.get("name", "")), str(cand.get("version", "")))
        if key not in listed or key == (built["name"], version):
            continue  # no longer in the group, or replaced by this build
        image = str(cand.get("lastPromotedImage") or "")
        if not IMAGE_WITH_DIGEST_RE.match(image):
            invalid.append(f"{key[0]}@{key[1]}")
            continue
        entries[key] = {
            "name": key[0],
            "version": key[1],
            "containerImage": image,
            "source": {
                "git": {
                    "url": str(cand.get("url") or ""),
                    "revision": str(cand.get("lastPromotedCommit") or ""),
                }
            },
        }
    entries[(built["name"], version)] = built
    copied_labels, annotations = _copied_metadata(run)
    labels = {
        **copied_labels,
        c.SNAPSHOT_TYPE_LABEL: c.SNAPSHOT_TYPE_COMPONENT,
        c.COMPONENT_LABEL: built["name"],
        c.COMPONENT_GROUP_LABEL: name_of(group),
        c.BUILD_PIPELINERUN_LABEL: name_of(run),
    }
    spec = {"componentGroup": name_of(group), "components": [entries[k] for k in sorted(entries)]}
    return _snapshot(
        snapshot_name(name_of(group), _start_time(run, now), taken),
        namespace_of(run),
        labels,
        annotations,
        spec,
        invalid,
        ownerReferences=[owner_reference(c.COMPONENT_GROUP, group)],
    )


def _candidate_update(run: Obj, group: Obj, version: str, now: datetime | None) -> list[Patch]:
    """The group's global candidate list with the pushed build of (component, version)."""
    built = _built_entry(run, version)
    entry = {
        "name": built["name"],
        "version": version,
        "url": built["source"]["git"]["url"],
        "lastPromotedImage": built["containerImage"],
        "lastPromotedCommit": built["source"]["git"]["revision"],
        "lastPromotedBuildTime": now_rfc3339(_start_time(run, now)),
    }
    current = list((group.get("status") or {}).get("globalCandidateList") or [])
    key = (built["name"], version)
    old = next((x for x in current if (x.get("name"), x.get("version")) == key), None)
    if old is not None and all(
        old.get(k) == entry[k] for k in ("url", "lastPromotedImage", "lastPromotedCommit")
    ):
        return []  # this build is already the candidate
    updated = [x for x in current if (x.get("name"), x.get("version")) != key]
    updated.append(entry)
    updated.sort(key=lambda x: (str(x.get("name")), str(x.get("version"))))
    return [
        Patch(
            c.COMPONENT_GROUP,
            namespace_of(group),
            name_of(group),
            {"status": {"globalCandidateList": updated}},
            status=True,
        )
    ]


# --- Snapshot -> test PipelineRuns -> outcome ------------------------------------------------


def group_of(obj: Obj) -> tuple[str, str]:
    """What a Snapshot, scenario or ReleasePlan belongs to: ("application", name) or
    ("componentGroup", name)."""
    spec = obj.get("spec") or {}
    if spec.get("application"):
        return ("application", str(spec["application"]))
    return ("componentGroup", str(spec.get("componentGroup") or ""))


def scenario_applies(scenario: Obj, snapshot: Obj, gates: Gates | None = None) -> bool:
    """The gates' answer for one scenario: its Application or ComponentGroup is the
    Snapshot's, and its `contexts` let it run (IsScenarioApplicableToSnapshotsContext)."""
    decision = (gates or default_gates()).integration(
        snapshot_input(snapshot, [scenario], {}, [], None), promotion=False
    )
    return name_of(scenario) in decision.scenarios


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


def pipeline_param(param: Obj) -> Obj:
    """A scenario's `params[]` entry as a Tekton param: `value` a string, `values` an array
    (integration-service's WithExtraParams)."""
    if param.get("value"):
        return {"name": param["name"], "value": param["value"]}
    if param.get("values"):
        return {"name": param["name"], "value": list(param["values"])}
    return {"name": param["name"], "value": ""}


def test_pipelinerun(snapshot: Obj, scenario: Obj, attempt: int) -> Obj:
    spec = scenario.get("spec") or {}
    params = [{"name": "SNAPSHOT", "value": json.dumps(snapshot.get("spec") or {}, sort_keys=True)}]
    params += [pipeline_param(p) for p in spec.get("params") or [] if p.get("name") != "SNAPSHOT"]
    key, group = group_of(snapshot)
    labels = {
        c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_TEST,
        c.SCENARIO_LABEL: name_of(scenario),
        c.SNAPSHOT_LABEL: name_of(snapshot),
        c.APPLICATION_LABEL if key == "application" else c.COMPONENT_GROUP_LABEL: group,
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
    """A scenario's outcome as the gates decided it from its PipelineRun (gates.integration
    `outcomes`: Pending, InProgress, TestPassed or TestFail, with details)."""

    status: str
    details: str
    final: bool

    @classmethod
    def of(cls, value: dict[str, Any]) -> ScenarioOutcome:
        return cls(str(value["status"]), str(value["details"]), bool(value["final"]))


def snapshot_input(
    snapshot: Obj,
    scenarios: list[Obj],
    runs: dict[str, dict[str, Any]],
    plans: list[Obj],
    now: datetime | None,
    cel: dict[str, bool] | None = None,
) -> dict[str, Any]:
    """What gates.integration reads: the Snapshot, the namespace's scenarios, each scenario's
    current run with its TEST_OUTPUT values, the plans, and the answers of their CEL."""
    return {
        "snapshot": snapshot,
        "scenarios": scenarios,
        "runs": runs,
        "plans": plans,
        "cel": cel or {},
        "now": now_rfc3339(now),
    }


def scenario_runs(
    snap: str,
    scenarios: list[Obj],
    by_name: dict[str, Obj],
    taskruns: dict[str, list[Obj]],
    counts: dict[str, int],
) -> dict[str, dict[str, Any]]:
    """Each scenario's run of the current attempt (or None) and its TEST_OUTPUT values."""
    found: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        sname = name_of(scenario)
        run_name = test_run_name(snap, sname, counts.get(sname, 0))
        run = by_name.get(run_name)
        outputs = task_results(taskruns.get(run_name, []), c.TEST_OUTPUT_RESULT) if run else []
        found[sname] = {"run": run, "test_outputs": outputs}
    return found


def test_statuses(snapshot: Obj) -> dict[str, Obj]:
    """The Snapshot's `test.appstudio.openshift.io/status` entries by scenario (unreadable:
    none, so every scenario starts over)."""
    value = parse_json(annotations_of(snapshot).get(c.TEST_STATUS_ANNOTATION, "[]"))
    if not isinstance(value, list):
        return {}
    return {str(e["scenario"]): e for e in value if isinstance(e, dict) and e.get("scenario")}


def status_entry(
    old: Obj | None,
    scenario: str,
    outcome: ScenarioOutcome,
    run_name: str | None,
    optional: bool,
    now: datetime | None,
) -> Obj:
    """One status entry as integration-service's UpdateTestStatusIfChanged keeps it: times move
    only when the status (or its details) changes; startTime when testing starts,
    completionTime when it ends, both cleared when it is pending again."""
    stamp = now_rfc3339(now)
    entry: Obj = dict(old or {})
    entry["scenario"] = scenario
    if entry.get("status") != outcome.status:
        entry["status"] = outcome.status
        entry["lastUpdateTime"] = stamp
        if outcome.status == STATUS_IN_PROGRESS:
            entry["startTime"] = stamp
            entry.pop("completionTime", None)
        elif outcome.status == STATUS_PENDING:
            entry.pop("startTime", None)
            entry.pop("completionTime", None)
        elif outcome.final:
            entry["completionTime"] = stamp
    if entry.get("details") != outcome.details:
        entry["details"] = outcome.details
        entry["lastUpdateTime"] = stamp
    entry.setdefault("lastUpdateTime", stamp)
    if run_name:
        entry["testPipelineRunName"] = run_name
    else:
        entry.pop("testPipelineRunName", None)
    if optional:
        entry["isOptionalScenario"] = True
    else:
        entry.pop("isOptionalScenario", None)
    return entry


def reconcile_snapshot(
    snapshot: Obj,
    scenarios: list[Obj],
    runs: list[Obj],
    taskruns: dict[str, list[Obj]],
    release_plans: list[Obj],
    releases: list[Obj],
    now: datetime | None = None,
    gates: Gates | None = None,
) -> Actions:
    """Tests for a Snapshot, its status annotation and conditions, and its auto-release.

    `runs` are the test PipelineRuns labelled with this Snapshot; `taskruns` maps a run
    name to its TaskRuns; `release_plans`/`releases` are the namespace's. The gates decide
    (gates.integration) which scenarios apply, each one's outcome, whether the Snapshot is
    promoted and which plans release it; this function turns that into actions, and
    records the decision (with the gates' digest) in the promotion annotation.
    """
    gates = gates or default_gates()
    actions = Actions()
    ns, snap = namespace_of(snapshot), name_of(snapshot)
    labels, annotations = labels_of(snapshot), annotations_of(snapshot)
    counts = rerun_counts(snapshot)
    previous = test_statuses(snapshot)
    by_name = {name_of(r): r for r in runs}

    def decide(cel: dict[str, bool] | None = None, promotion: bool = True) -> IntegrationDecision:
        found = scenario_runs(snap, scenarios, by_name, taskruns, counts)
        return gates.integration(
            snapshot_input(snapshot, scenarios, found, release_plans, now, cel),
            promotion=promotion,
        )

    # While it is tested, a Snapshot's reconcile asks only about its tests.
    decision = decide(promotion=False)
    if decision.error is not None:  # fail closed: no tests, no promotion, and say why
        actions.patches.extend(_promotion_record(snapshot, decision, None))
        return actions

    rerun = labels.get(c.RERUN_LABEL)
    if rerun:
        targets = [x for x in decision.scenarios if rerun in ("all", x)]
        for target in targets:
            counts[target] = counts.get(target, 0) + 1
            previous.pop(target, None)  # a re-run starts that scenario's status over
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
        if targets:  # the new attempts have no runs yet: ask again
            decision = decide(promotion=False)
            if decision.error is not None:
                actions.patches.extend(_promotion_record(snapshot, decision, None))
                return actions

    by_scenario = {name_of(s): s for s in scenarios}
    statuses: list[Obj] = []
    for sname in decision.scenarios:
        scenario = by_scenario[sname]
        run_name = test_run_name(snap, sname, counts.get(sname, 0))
        if run_name not in by_name:
            actions.creates.append(
                Create(c.PIPELINE_RUN, test_pipelinerun(snapshot, scenario, counts.get(sname, 0)))
            )
        outcome = ScenarioOutcome.of(decision.outcomes[sname])
        statuses.append(
            status_entry(previous.get(sname), sname, outcome, run_name, is_optional(scenario), now)
        )
    summary = decision.summary
    required_total, required_done = summary["required"], summary["finished"]
    required_failed = summary["failed"]

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

    auto = condition(snapshot, c.CONDITION_AUTO_RELEASED)
    record: list[Patch] = []
    if required_done >= required_total and (auto is None or auto.get("status") != "True"):
        # Testing is over and nothing was released yet: the promotion decision is final.
        plans: list[Obj] | None = None
        decision = decide()  # an error here denies: recorded below, nothing released
        if decision.promoted:
            decision = _with_cel(decision, snapshot, release_plans, now, decide)
        if decision.promoted and decision.auto_release is not None:
            plans = [p for p in release_plans if name_of(p) in decision.auto_release["plans"]]
            plans.sort(key=name_of)
            actions.creates.extend(auto_releases(snapshot, plans, releases))
            new = set_condition(
                new,
                c.CONDITION_AUTO_RELEASED,
                True,
                "AutoReleased",
                str(decision.auto_release["message"]),
                now,
            )
        record = _promotion_record(snapshot, decision, plans)
    if not same_conditions(conds, new):
        actions.patches.append(
            Patch(c.SNAPSHOT, ns, snap, {"status": {"conditions": new}}, status=True)
        )
    # Last: whoever sees the decision sees the conditions it was made with.
    actions.patches.extend(record)
    return actions


# --- promotion and auto-release ----------------------------------------------------------------


def _promotion_record(
    snapshot: Obj, decision: IntegrationDecision, plans: list[Obj] | None
) -> list[Patch]:
    """The promotion annotation: promoted or the denials' codes and messages, the plans that
    auto-release the Snapshot, and the gates' digest ("why was this released?")."""
    record: Obj = {
        "promoted": decision.promoted,
        "denied": [d.as_dict() for d in decision.denials],
        "gates": decision.digest,
    }
    if plans is not None:
        record["releasePlans"] = [name_of(p) for p in plans]
    value = json.dumps(record, sort_keys=True)
    if annotations_of(snapshot).get(c.PROMOTION_ANNOTATION) == value:
        return []
    return [
        Patch(
            c.SNAPSHOT,
            namespace_of(snapshot),
            name_of(snapshot),
            {"metadata": {"annotations": {c.PROMOTION_ANNOTATION: value}}},
        )
    ]


def _with_cel(
    decision: IntegrationDecision,
    snapshot: Obj,
    release_plans: list[Obj],
    now: datetime | None,
    decide: Callable[[dict[str, bool]], IntegrationDecision],
) -> IntegrationDecision:
    """The decision again with the CEL expressions of the plans it named evaluated (the
    gates decide which plans' expressions count, and what their answers mean)."""
    if not decision.cel_plans:
        return decision
    should = should_release(snapshot)
    answers = {
        name_of(p): cel_allows(p, snapshot, should, now)
        for p in release_plans
        if name_of(p) in decision.cel_plans
    }
    return decide(answers)


def should_release(snapshot: Obj) -> bool:
    """The build pipeline's SHOULD_RELEASE result: only an explicit "false" holds releases."""
    return annotations_of(snapshot).get(c.SHOULD_RELEASE_ANNOTATION) != "false"


_CEL = celpy.Environment()


def cel_allows(plan: Obj, snapshot: Obj, should: bool, now: datetime | None = None) -> bool:
    """The value of `plan`'s `release.appstudio.openshift.io/auto-release` *annotation*, a CEL
    expression (variables `snapshot`, `now`; functions `updatedComponentIs(name)` and
    `shouldRelease()`), as integration-service's loader evaluates it. A fact for the gates:
    they decide which plans' expressions are asked and what the answer means."""
    expression = annotations_of(plan).get(c.AUTO_RELEASE_LABEL, "")
    try:
        program = _CEL.program(
            _CEL.compile(expression),
            functions={
                "shouldRelease": lambda: celtypes.BoolType(should),
                "updatedComponentIs": lambda name: celtypes.BoolType(
                    labels_of(snapshot).get(c.COMPONENT_LABEL) == str(name)
                ),
            },
        )
        result = program.evaluate(
            {
                "snapshot": celpy.json_to_cel(snapshot),
                "now": celtypes.TimestampType(now or datetime.now(UTC)),
            }
        )
    except Exception as exc:  # a bad expression releases nothing, and says why
        raise ConfigurationError(
            f"ReleasePlan {name_of(plan)}: auto-release CEL expression {expression!r} cannot be "
            f"evaluated: {exc}"
        ) from None
    if not isinstance(result, celtypes.BoolType):
        raise ConfigurationError(
            f"ReleasePlan {name_of(plan)}: auto-release CEL expression {expression!r} did not "
            "evaluate to a boolean"
        )
    return bool(result)


def auto_release_plans(
    snapshot: Obj,
    release_plans: list[Obj],
    now: datetime | None = None,
    gates: Gates | None = None,
) -> list[Obj]:
    """The ReleasePlans that auto-release `snapshot` if it is promoted, as the gates decide
    (its tests aside: asked with no scenarios)."""
    gates = gates or default_gates()

    def decide(cel: dict[str, bool] | None = None) -> IntegrationDecision:
        return gates.integration(snapshot_input(snapshot, [], {}, release_plans, now, cel))

    decision = _with_cel(decide(), snapshot, release_plans, now, decide)
    chosen = (decision.auto_release or {}).get("plans") or [] if decision.promoted else []
    return sorted((p for p in release_plans if name_of(p) in chosen), key=name_of)


def auto_releases(snapshot: Obj, plans: list[Obj], releases: list[Obj]) -> list[Create]:
    """One automated Release per plan that has none for this Snapshot yet."""
    creates = []
    for plan in plans:
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
            push = is_push_snapshot(snap)
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
    "scenario_runs",
    "snapshot_input",
    "snapshot_name",
    "snapshots_to_delete",
    "test_pipelinerun",
]
