"""What each page shows, from the objects it read: pure functions, no I/O.

The names of labels, annotations and conditions come from the controllers' constants,
so the console reads exactly what the controllers write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from konflux.controllers import constants as c
from konflux.controllers.gates import Denial
from konflux.controllers.integration import auto_release_plans, is_push_snapshot
from konflux.controllers.objects import (
    annotations_of,
    condition,
    conditions_of,
    labels_of,
    name_of,
    parse_json,
    run_outcome,
)
from konflux.controllers.release import is_finished

Obj = dict[str, Any]


def created(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("creationTimestamp") or "")


def newest_first(objs: list[Obj]) -> list[Obj]:
    return sorted(objs, key=lambda o: (created(o), name_of(o)), reverse=True)


def spec_of(obj: Obj) -> Obj:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def status_of(obj: Obj) -> Obj:
    status = obj.get("status")
    return status if isinstance(status, dict) else {}


@dataclass(frozen=True)
class Badge:
    """A state word and its tone: ok, bad, busy or none (drives the colour and the icon)."""

    word: str
    tone: str
    detail: str = ""


def conditions_over_time(obj: Obj) -> list[Obj]:
    """Conditions in the order they last changed (Kubernetes keeps no older states)."""
    return sorted(
        (x for x in conditions_of(obj) if isinstance(x, dict)),
        key=lambda x: (str(x.get("lastTransitionTime") or ""), str(x.get("type") or "")),
    )


def split_ref(ref: Any, default_ns: str) -> tuple[str, str]:
    """`ns/name` (or `name`) as written in Release status and params."""
    text = str(ref or "")
    if "/" in text:
        ns, _, name = text.partition("/")
        return ns, name
    return default_ns, text


# --- PipelineRuns ------------------------------------------------------------------------------


def run_badge(run: Obj | None) -> Badge:
    if run is None:
        return Badge("none", "none")
    outcome = run_outcome(run)
    cond = condition(run, c.SUCCEEDED_CONDITION) or {}
    tone = {"Succeeded": "ok", "Failed": "bad"}.get(outcome, "busy")
    return Badge(outcome, tone, str(cond.get("message") or cond.get("reason") or ""))


# --- Components ---------------------------------------------------------------------------------


@dataclass
class ComponentRow:
    name: str
    git_url: str
    revision: str
    context: str
    image: str
    last_promoted: str
    build: Badge
    build_run: str
    pac_state: str
    pac_message: str


def component_row(component: Obj, build_runs: list[Obj]) -> ComponentRow:
    spec, status = spec_of(component), status_of(component)
    git = (spec.get("source") or {}).get("git") or {}
    build = parse_json(annotations_of(component).get(c.BUILD_STATUS_ANNOTATION, "{}"))
    pac = (build.get("pac") or {}) if isinstance(build, dict) else {}
    runs = newest_first(
        [r for r in build_runs if labels_of(r).get(c.COMPONENT_LABEL) == name_of(component)]
    )
    last = runs[0] if runs else None
    return ComponentRow(
        name=name_of(component),
        git_url=str(git.get("url") or ""),
        revision=str(git.get("revision") or status.get("lastBuiltCommit") or ""),
        context=str(git.get("context") or ""),
        image=str(spec.get("containerImage") or ""),
        last_promoted=str(status.get("lastPromotedImage") or ""),
        build=run_badge(last) if last else Badge("no build", "none"),
        build_run=name_of(last) if last else "",
        pac_state=str(pac.get("state") or "not requested"),
        pac_message=str(pac.get("error-message") or pac.get("message") or ""),
    )


# --- Snapshots ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestStatus:
    scenario: str
    status: str
    details: str
    run: str
    optional: bool
    tone: str


_TEST_TONES = {
    "TestPassed": "ok",
    "TestFail": "bad",
    "EnvironmentProvisionError": "bad",
    "DeploymentError": "bad",
    "InProgress": "busy",
    "Pending": "busy",
}


def scenario_statuses(snapshot: Obj) -> list[TestStatus]:
    """Per scenario, from the integration-service's status annotation."""
    raw = parse_json(annotations_of(snapshot).get(c.TEST_STATUS_ANNOTATION, "[]"))
    out = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict):
            continue
        status = str(entry.get("status") or "")
        out.append(
            TestStatus(
                scenario=str(entry.get("scenario") or ""),
                status=status,
                details=str(entry.get("details") or ""),
                run=str(entry.get("testPipelineRunName") or ""),
                optional=bool(entry.get("optional")),
                tone=_TEST_TONES.get(status, "busy"),
            )
        )
    return out


def verdict(obj: Obj, ctype: str, words: tuple[str, str]) -> Badge | None:
    """The badge of a decided (True/False) condition, `words` = (if true, if false); else None."""
    cond = condition(obj, ctype)
    if cond is None or cond.get("status") not in ("True", "False"):
        return None
    ok = cond.get("status") == "True"
    detail = str(cond.get("message") or cond.get("reason") or "")
    return Badge(words[0] if ok else words[1], "ok" if ok else "bad", detail)


def snapshot_badge(snapshot: Obj) -> Badge:
    decided = verdict(snapshot, c.CONDITION_TEST_SUCCEEDED, ("Passed", "Failed"))
    if decided is not None:
        return decided
    status = condition(snapshot, c.CONDITION_INTEGRATION_STATUS) or {}
    return Badge("Testing", "busy", str(status.get("message") or "tests not started"))


@dataclass(frozen=True)
class Promotion:
    """What a page says about a Snapshot's promotion. `state` is where it comes from:
    "decided" (the gates' decision, recorded by the integration controller), "undecided"
    (no decision recorded yet: the console's own reading of the conditions) or
    "unreadable" (a record that is not the controllers' shape: an error, never promoted)."""

    badge: Badge
    state: str
    denied: tuple[Denial, ...] = ()
    release_plans: tuple[str, ...] = ()
    gates: str = ""  # the digest of the gates bundle that decided


def promotion(snapshot: Obj, release_plans: list[Obj] | None) -> Promotion:
    """Whether the Snapshot was promoted, and if not, why not: the gates' codes once they
    decided (the promotion annotation), else the console's reading of its conditions."""
    raw = annotations_of(snapshot).get(c.PROMOTION_ANNOTATION)
    if raw is None:
        return Promotion(_derived_promotion(snapshot, release_plans), "undecided")
    try:
        return _gates_promotion(raw)
    except ValueError as exc:
        why = f"the {c.PROMOTION_ANNOTATION} annotation is unreadable: {exc}"
        return Promotion(Badge("promotion unknown", "bad", why), "unreadable")


def _gates_promotion(raw: Any) -> Promotion:
    """The recorded decision, checked for the shape `_promotion_record` writes (a record
    contradicting itself is refused: it must never read as promoted by mistake)."""
    try:
        record = json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    promoted, denied, gates = record.get("promoted"), record.get("denied"), record.get("gates")
    plans = record.get("releasePlans", [])
    if not isinstance(promoted, bool):
        raise ValueError('"promoted" is not true or false')
    if not isinstance(gates, str) or not gates:
        raise ValueError('"gates" does not name the gates\' digest')
    if not isinstance(denied, list) or not all(
        isinstance(d, dict) and isinstance(d.get("code"), str) and isinstance(d.get("msg"), str)
        for d in denied
    ):
        raise ValueError('"denied" is not a list of {code, msg}')
    if not isinstance(plans, list) or not all(isinstance(p, str) for p in plans):
        raise ValueError('"releasePlans" is not a list of names')
    if promoted == bool(denied):
        raise ValueError("promoted with denials" if promoted else "not promoted, yet no denial")
    denials = tuple(Denial(d["code"], d["msg"]) for d in denied)
    if promoted:
        detail = "no ReleasePlan auto-releases it"
        if plans:
            detail = f"auto-released by {', '.join(plans)}"
        badge = Badge("promoted", "ok", detail)
    else:
        badge = Badge("not promoted", "bad", "; ".join(f"{d.code}: {d.msg}" for d in denials))
    return Promotion(badge, "decided", denials, tuple(plans), gates)


def _derived_promotion(snapshot: Obj, release_plans: list[Obj] | None) -> Badge:
    """Before the gates decided: the console's own reading of the conditions."""
    auto = condition(snapshot, c.CONDITION_AUTO_RELEASED)
    if auto is not None and auto.get("status") == "True":
        return Badge("auto-released", "ok", str(auto.get("message") or ""))
    test = condition(snapshot, c.CONDITION_TEST_SUCCEEDED)
    if test is None or test.get("status") not in ("True", "False"):
        return Badge("waiting", "busy", "the required tests have not finished")
    if test.get("status") == "False":
        return Badge("not released", "bad", f"required tests failed: {test.get('message', '')}")
    if not is_push_snapshot(snapshot):
        return Badge("not released", "none", "only Snapshots of push builds are auto-released")
    # The integration controller's own choice of plans (auto-release label, CEL, groups).
    if release_plans is not None and not auto_release_plans(snapshot, release_plans):
        return Badge("not released", "none", "no ReleasePlan auto-releases this Snapshot")
    return Badge("not released", "none", "")


@dataclass
class SnapshotRow:
    name: str
    created: str
    component: str
    badge: Badge
    tests: list[TestStatus]
    promotion: Promotion
    releases: list[str]


def releases_by_snapshot(releases: list[Obj]) -> dict[str, list[str]]:
    """Release names per Snapshot name, newest first (one pass, not one per Snapshot)."""
    out: dict[str, list[str]] = {}
    for r in newest_first(releases):
        out.setdefault(str(spec_of(r).get("snapshot") or ""), []).append(name_of(r))
    return out


def snapshot_row(
    snapshot: Obj, releases: dict[str, list[str]], release_plans: list[Obj] | None
) -> SnapshotRow:
    """`releases` as `releases_by_snapshot` gives them."""
    return SnapshotRow(
        name=name_of(snapshot),
        created=created(snapshot),
        component=labels_of(snapshot).get(c.COMPONENT_LABEL, ""),
        badge=snapshot_badge(snapshot),
        tests=scenario_statuses(snapshot),
        promotion=promotion(snapshot, release_plans),
        releases=releases.get(name_of(snapshot), []),
    )


def snapshot_components(snapshot: Obj) -> list[Obj]:
    out = []
    for comp in spec_of(snapshot).get("components") or []:
        if not isinstance(comp, dict):
            continue
        git = (
            ((comp.get("source") or {}).get("git") or {})
            if isinstance(comp.get("source"), dict)
            else {}
        )
        out.append(
            {
                "name": str(comp.get("name") or ""),
                "image": str(comp.get("containerImage") or ""),
                "git_url": str(git.get("url") or ""),
                "revision": str(git.get("revision") or ""),
            }
        )
    return out


# --- Releases -----------------------------------------------------------------------------------


def release_badge(release: Obj) -> Badge:
    # Released=False/Progressing is a release under way (release-service's IsReleasing).
    if is_finished(release):
        decided = verdict(release, c.CONDITION_RELEASED, ("Succeeded", "Failed"))
        if decided is not None:
            return decided
    released = condition(release, c.CONDITION_RELEASED)
    if released is not None:
        return Badge("Progressing", "busy", str(released.get("reason") or ""))
    return Badge("Pending", "busy", "")


@dataclass
class ReleaseRow:
    name: str
    created: str
    snapshot: str
    plan: str
    badge: Badge
    target: str
    automated: bool


def release_row(release: Obj) -> ReleaseRow:
    spec, status = spec_of(release), status_of(release)
    return ReleaseRow(
        name=name_of(release),
        created=created(release),
        snapshot=str(spec.get("snapshot") or ""),
        plan=str(spec.get("releasePlan") or ""),
        badge=release_badge(release),
        target=str(status.get("target") or ""),
        automated=labels_of(release).get(c.AUTOMATED_LABEL) == "true"
        or bool(status.get("automated")),
    )


def application_of_release(release: Obj, plans: dict[str, Obj], snapshots: dict[str, Obj]) -> str:
    spec = spec_of(release)
    plan = plans.get(str(spec.get("releasePlan") or ""))
    if plan is not None:
        return str(spec_of(plan).get("application") or "")
    snap = snapshots.get(str(spec.get("snapshot") or ""))
    return str(spec_of(snap).get("application") or "") if snap else ""


@dataclass
class ReleaseProcessing:
    """Where a Release's pipelines ran, as its status records them."""

    tenant: tuple[str, str] | None = None
    managed: tuple[str, str] | None = None
    final: tuple[str, str] | None = None
    earlier_attempts: list[tuple[str, str]] = field(default_factory=list)  # managed retries
    attribution: Obj = field(default_factory=dict)


def _run_ref(status: Obj, key: str, default_ns: str) -> tuple[str, str] | None:
    processing = status.get(key)
    ref = processing.get("pipelineRun") if isinstance(processing, dict) else None
    return split_ref(ref, default_ns) if ref else None


def release_processing(release: Obj) -> ReleaseProcessing:
    """The tenant, managed and final PipelineRuns (`status.*Processing.pipelineRun`), and the
    managed attempts before the current one (`status.managedPipelineAttempts`)."""
    status = status_of(release)
    ns = str((release.get("metadata") or {}).get("namespace") or "")
    target = str(status.get("target") or ns)
    out = ReleaseProcessing(
        tenant=_run_ref(status, "tenantProcessing", ns),
        managed=_run_ref(status, "managedProcessing", target),
        final=_run_ref(status, "finalProcessing", ns),
        attribution=dict(status.get("attribution") or {}),
    )
    for attempt in status.get("managedPipelineAttempts") or []:
        ref = attempt.get("pipelineRun") if isinstance(attempt, dict) else None
        if ref and split_ref(ref, target) != out.managed:
            out.earlier_attempts.append(split_ref(ref, target))
    return out


def admission_of(plan: Obj | None) -> tuple[str, str] | None:
    """The ReleasePlanAdmission a ReleasePlan matched (`status.releasePlanAdmission`)."""
    if not plan:
        return None
    ref = status_of(plan).get("releasePlanAdmission")
    if isinstance(ref, dict):
        ref = ref.get("name")
    if not ref or not isinstance(ref, str):
        return None
    return split_ref(ref, str(spec_of(plan).get("target") or ""))


# --- Applications -------------------------------------------------------------------------------


def belongs_to(obj: Obj, application: str) -> bool:
    return spec_of(obj).get("application") == application


def app_snapshots(snapshots: list[Obj], application: str) -> list[Obj]:
    return newest_first([s for s in snapshots if belongs_to(s, application)])


def app_releases(
    releases: list[Obj], application: str, plans: list[Obj], snapshots: list[Obj]
) -> list[Obj]:
    by_plan = {name_of(p): p for p in plans}
    by_snap = {name_of(s): s for s in snapshots}
    return newest_first(
        [r for r in releases if application_of_release(r, by_plan, by_snap) == application]
    )


def app_badge(releases: list[Obj], snapshots: list[Obj]) -> Badge:
    """The application's state at a glance: its newest Release, else its newest Snapshot."""
    if releases:
        badge = release_badge(newest_first(releases)[0])
        return Badge(f"release {badge.word.lower()}", badge.tone, badge.detail)
    if snapshots:
        badge = snapshot_badge(newest_first(snapshots)[0])
        return Badge(f"tests {badge.word.lower()}", badge.tone, badge.detail)
    return Badge("no builds yet", "none")
