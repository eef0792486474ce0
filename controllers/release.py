"""release-service rules as pure functions: ReleasePlan <-> ReleasePlanAdmission matching and
the Release lifecycle (validate, tenant pipeline, managed pipeline, verdict).

The managed PipelineRun and the RoleBinding have deterministic names (release, attempt), so
a replayed event or a restarted controller finds them instead of making a second one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from konflux.controllers import constants as c
from konflux.controllers.gates import Gates, ReleaseDecision, default_gates
from konflux.controllers.objects import (
    Actions,
    Create,
    Obj,
    Patch,
    condition,
    conditions_of,
    dns_name,
    labels_of,
    meta,
    name_of,
    namespace_of,
    now_rfc3339,
    parse_time,
    run_outcome,
    same_conditions,
    set_condition,
)

DEFAULT_GRACE_DAYS = 7
RELEASE_ROLE = "release-pipeline-resource-role"


# --- ReleasePlan <-> ReleasePlanAdmission -----------------------------------------------------


@dataclass(frozen=True)
class Match:
    """The admission a plan matched, or why none did (the gates decide: gates.release.match)."""

    admission: Obj | None
    reason: str
    digest: str = ""  # of the gates bundle that matched

    @property
    def active(self) -> bool:
        return self.admission is not None and is_active(self.admission)


def is_active(rpa: Obj) -> bool:
    """For the `active` flag of the matching status only; whether a Release may start on a
    blocked admission is the gates' decision (release.not_blocked)."""
    return labels_of(rpa).get(c.BLOCK_RELEASES_LABEL) != "true"


def group_name(obj: Obj) -> str:
    """The Application or ComponentGroup a ReleasePlan (or Snapshot) is for (GetGroupName)."""
    spec = obj.get("spec") or {}
    return str(spec.get("application") or spec.get("componentGroup") or "")


def match_admission(plan: Obj, admissions: list[Obj], gates: Gates | None = None) -> Match:
    """The one RPA for `plan` among the RPAs of its target namespace, as the gates decide:
    a pinned RPA (label) wins; otherwise exactly one RPA whose origin is the plan's
    namespace and whose applications or componentGroups list the plan's must exist."""
    found = (gates or default_gates()).match(plan, admissions)
    return Match(found.admission, found.reason, found.digest)


def reconcile_plan(
    plan: Obj, admissions: list[Obj], now: datetime | None = None, gates: Gates | None = None
) -> Actions:
    """The plan's `Matched` condition and `status.releasePlanAdmission`."""
    match = match_admission(plan, admissions, gates)
    rpa = match.admission
    ref = {"name": f"{namespace_of(rpa)}/{name_of(rpa)}", "active": match.active} if rpa else {}
    conds = set_condition(
        conditions_of(plan),
        c.CONDITION_MATCHED,
        rpa is not None,
        "Matched" if rpa is not None else "NotMatched",
        f"{match.reason} (gates {match.digest})",
        now,
    )
    status = plan.get("status") or {}
    actions = Actions()
    if status.get("releasePlanAdmission", {}) != ref or not same_conditions(
        conditions_of(plan), conds
    ):
        actions.patches.append(
            Patch(
                c.RELEASE_PLAN,
                namespace_of(plan),
                name_of(plan),
                {"status": {"conditions": conds, "releasePlanAdmission": ref or None}},
                status=True,
            )
        )
    return actions


def reconcile_admission(
    rpa: Obj,
    plans: list[Obj],
    admissions: list[Obj],
    now: datetime | None = None,
    gates: Gates | None = None,
    matches: Mapping[tuple[str, str], Match] | None = None,
) -> Actions:
    """The RPA's `Matched` condition and `status.releasePlans` (plans that match it).
    `matches`: the plans' matches by (namespace, name) when the caller has them already
    (one gates evaluation per plan, not one per plan and admission)."""

    def match_of(plan: Obj) -> Match:
        known = (matches or {}).get((namespace_of(plan), name_of(plan)))
        return known if known is not None else match_admission(plan, admissions, gates)

    matched = sorted(
        f"{namespace_of(p)}/{name_of(p)}"
        for p in plans
        if (m := match_of(p)).admission is not None
        and name_of(m.admission) == name_of(rpa)
        and namespace_of(m.admission) == namespace_of(rpa)
    )
    refs = [{"name": n, "active": is_active(rpa)} for n in matched]
    conds = set_condition(
        conditions_of(rpa),
        c.CONDITION_MATCHED,
        bool(refs),
        "Matched" if refs else "NotMatched",
        f"{len(refs)} ReleasePlan(s) matched (gates {(gates or default_gates()).digest})",
        now,
    )
    status = rpa.get("status") or {}
    actions = Actions()
    if status.get("releasePlans", []) != refs or not same_conditions(conditions_of(rpa), conds):
        actions.patches.append(
            Patch(
                c.RELEASE_PLAN_ADMISSION,
                namespace_of(rpa),
                name_of(rpa),
                {"status": {"conditions": conds, "releasePlans": refs}},
                status=True,
            )
        )
    return actions


# --- Release -----------------------------------------------------------------------------------


@dataclass
class ReleaseContext:
    """Everything a Release reconcile reads; `None` means the object does not exist."""

    release: Obj
    plan: Obj | None
    admissions: list[Obj]
    policy: Obj | None
    snapshot: Obj | None
    runs: list[Obj]  # PipelineRuns labelled with this Release (tenant, managed and final)
    role_binding: Obj | None = None
    # The ReleaseServiceConfig the pipelines are told about (`namespace/name`), and the
    # enterprise-contract ConfigMap whose verify_ec_task_* keys become managed-run params.
    service_config: str = f"release-service/{c.RELEASE_SERVICE_CONFIG_NAME}"
    ec_defaults: Obj | None = None


def managed_run_name(release: Obj, attempt: int) -> str:
    return dns_name(name_of(release), "managed", str(attempt))


def tenant_run_name(release: Obj) -> str:
    return dns_name(name_of(release), "tenant")


def final_run_name(release: Obj) -> str:
    return dns_name(name_of(release), "final")


def role_binding_name(release: Obj) -> str:
    return dns_name(name_of(release), "release-rb")


def is_finished(release: Obj) -> bool:
    """Released True, or False for any reason but Progressing (release-service's
    HasReleaseFinished; `IsReleasing` is False/Progressing)."""
    cond = condition(release, c.CONDITION_RELEASED)
    if cond is None:
        return False
    return cond.get("status") == "True" or (
        cond.get("status") == "False" and cond.get("reason") != "Progressing"
    )


def validate(
    ctx: ReleaseContext, gates: Gates | None = None, now: datetime | None = None
) -> ReleaseDecision:
    """May the Release start: the gates' decision (package gates.release) on its objects."""
    return (gates or default_gates()).release(
        ctx.release,
        ctx.plan,
        ctx.admissions,
        ctx.policy,
        ctx.snapshot,
        now_rfc3339(now),
    )


def is_automated(release: Obj) -> bool:
    return labels_of(release).get(c.AUTOMATED_LABEL) == "true" or bool(
        (release.get("status") or {}).get("automated")
    )


def ecp_param(policy: Obj) -> str:
    return json.dumps(policy.get("spec") or {}, sort_keys=True)


def tekton_pipeline_ref(ref: Obj) -> Obj:
    """A release-service PipelineRef as Tekton's (ociStorage and useEmptyDir are not Tekton's)."""
    return {k: v for k, v in ref.items() if k in ("resolver", "params", "name", "bundle")}


def _release_run(
    ctx: ReleaseContext,
    pipeline_type: str,
    name: str,
    namespace: str,
    pipeline: Obj,
    references: list[tuple[str, str]],
    params: list[Obj],
    extra_labels: Obj | None = None,
) -> Obj:
    """A release PipelineRun as release-service's PipelineRunBuilder makes one: its type and
    service labels, the Release it works for, object references as `namespace/name` params,
    the release finalizer, and a `release-workspace` claimed from a volume template."""
    release, plan = ctx.release, ctx.plan
    assert plan is not None
    ns = namespace_of(release)
    labels = {
        c.APPLICATION_LABEL: str((plan.get("spec") or {}).get("application") or ""),
        c.PIPELINE_TYPE_LABEL: pipeline_type,
        c.SERVICE_LABEL: c.SERVICE_RELEASE,
        c.RELEASE_NAME_LABEL: name_of(release),
        c.RELEASE_NAMESPACE_LABEL: ns,
        c.SNAPSHOT_LABEL: str((release.get("spec") or {}).get("snapshot") or ""),
        c.MANAGED_BY: c.MANAGER_NAME,
        **(extra_labels or {}),
    }
    spec: Obj = {
        "pipelineRef": tekton_pipeline_ref(pipeline.get("pipelineRef") or {}),
        "params": [{"name": key, "value": value} for key, value in references] + params,
        "workspaces": [
            {
                "name": c.RELEASE_WORKSPACE,
                "volumeClaimTemplate": {
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": c.RELEASE_WORKSPACE_SIZE}},
                    }
                },
            }
        ],
    }
    if pipeline.get("serviceAccountName"):
        spec["taskRunTemplate"] = {"serviceAccountName": pipeline["serviceAccountName"]}
    if pipeline.get("timeouts"):
        spec["timeouts"] = pipeline["timeouts"]
    if pipeline.get("taskRunSpecs"):
        spec["taskRunSpecs"] = pipeline["taskRunSpecs"]
    return {
        "apiVersion": c.PIPELINE_RUN.api_version,
        "kind": c.PIPELINE_RUN.kind,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "finalizers": [c.RELEASE_FINALIZER],
        },
        "spec": spec,
    }


def managed_pipelinerun(ctx: ReleaseContext, rpa: Obj, attempt: int) -> Obj:
    """The managed PipelineRun with the params release-service-catalog's pipelines declare."""
    release, plan = ctx.release, ctx.plan
    assert plan is not None and ctx.policy is not None and ctx.snapshot is not None
    pipeline = (rpa.get("spec") or {}).get("pipeline") or {}
    ns = namespace_of(release)
    references = [
        ("release", f"{ns}/{name_of(release)}"),
        ("releasePlan", f"{namespace_of(plan)}/{name_of(plan)}"),
        ("releasePlanAdmission", f"{namespace_of(rpa)}/{name_of(rpa)}"),
        ("releaseServiceConfig", ctx.service_config),
        ("snapshot", f"{namespace_of(ctx.snapshot)}/{name_of(ctx.snapshot)}"),
    ]
    params = [{"name": "enterpriseContractPolicy", "value": ecp_param(ctx.policy)}]
    defaults = (ctx.ec_defaults or {}).get("data") or {}
    params += [{"name": k, "value": defaults[k]} for k in c.EC_DEFAULTS_PARAMS if k in defaults]
    oci_storage = (pipeline.get("pipelineRef") or {}).get("ociStorage")
    if oci_storage:
        params.append({"name": "ociStorage", "value": oci_storage})
    return _release_run(
        ctx,
        c.PIPELINE_TYPE_MANAGED,
        managed_run_name(release, attempt),
        namespace_of(rpa),
        pipeline,
        references,
        params,
        {c.RELEASE_ATTEMPT_LABEL: str(attempt)},
    )


def _plan_run(ctx: ReleaseContext, pipeline_type: str, key: str, name: str) -> Obj:
    """The tenant or final PipelineRun of the ReleasePlan, in the tenant namespace."""
    release, plan = ctx.release, ctx.plan
    assert plan is not None and ctx.snapshot is not None
    pipeline = (plan.get("spec") or {}).get(key) or {}
    ns = namespace_of(release)
    references = [
        ("release", f"{ns}/{name_of(release)}"),
        ("releasePlan", f"{namespace_of(plan)}/{name_of(plan)}"),
        ("snapshot", f"{ns}/{name_of(ctx.snapshot)}"),
    ]
    params = [
        {"name": p["name"], "value": p.get("value", "")} for p in pipeline.get("params") or []
    ]
    return _release_run(ctx, pipeline_type, name, ns, pipeline, references, params)


def tenant_pipelinerun(ctx: ReleaseContext) -> Obj:
    return _plan_run(ctx, c.PIPELINE_TYPE_TENANT, "tenantPipeline", tenant_run_name(ctx.release))


def final_pipelinerun(ctx: ReleaseContext) -> Obj:
    return _plan_run(ctx, c.PIPELINE_TYPE_FINAL, "finalPipeline", final_run_name(ctx.release))


def role_binding(release: Obj, rpa: Obj) -> Obj:
    """Lets the managed pipeline's service account read the tenant's release objects."""
    sa = ((rpa.get("spec") or {}).get("pipeline") or {}).get("serviceAccountName") or "default"
    return {
        "apiVersion": c.ROLE_BINDING.api_version,
        "kind": c.ROLE_BINDING.kind,
        "metadata": {
            "name": role_binding_name(release),
            "namespace": namespace_of(release),
            "labels": {c.RELEASE_NAME_LABEL: name_of(release), c.MANAGED_BY: c.MANAGER_NAME},
        },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": RELEASE_ROLE,
        },
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": namespace_of(rpa)}],
    }


def release_finalizer_removals(ctx: ReleaseContext) -> list[Patch]:
    """A finished Release lets go of its PipelineRuns (release-service's cleanup)."""
    patches = []
    for run in ctx.runs:
        finalizers = list(meta(run).get("finalizers") or [])
        if c.RELEASE_FINALIZER in finalizers:
            kept = [f for f in finalizers if f != c.RELEASE_FINALIZER]
            patches.append(
                Patch(
                    c.PIPELINE_RUN,
                    namespace_of(run),
                    name_of(run),
                    {"metadata": {"finalizers": kept}},
                )
            )
    return patches


def _grace_days(release: Obj, plan: Obj) -> int:
    """spec.gracePeriodDays (the webhook copies it from the ReleasePlan), else the plan's."""
    days = (release.get("spec") or {}).get("gracePeriodDays")
    if not days:
        days = (plan.get("spec") or {}).get("releaseGracePeriodDays") or DEFAULT_GRACE_DAYS
    return int(days)


def reconcile_release(
    ctx: ReleaseContext, now: datetime | None = None, gates: Gates | None = None
) -> Actions:
    """One step of a Release's lifecycle from the current objects; whether it may go on at
    all is the gates' decision, recorded with their digest in the Validated condition."""
    now = now or datetime.now(UTC)
    release = ctx.release
    ns, name = namespace_of(release), name_of(release)
    status: Obj = dict(release.get("status") or {})
    conds = conditions_of(release)
    actions = Actions()
    if is_finished(release):
        actions.patches.extend(release_finalizer_removals(ctx))
        return actions  # finished Releases are immutable

    new_status: Obj = {}
    new = list(conds)
    if condition(release, c.CONDITION_RELEASED) is None:
        new = set_condition(new, c.CONDITION_RELEASED, False, "Progressing", "", now)
        new_status["startTime"] = now_rfc3339(now)
    automated = is_automated(release)
    if status.get("automated") != automated:
        new_status["automated"] = automated

    decision = validate(ctx, gates, now)
    gated = f"(gates {decision.digest})"
    if not decision.allowed or ctx.plan is None or decision.admission is None:
        # Fail closed: a gates bundle that allows without naming the admission denies.
        failure = decision.message or "the gates named no ReleasePlanAdmission"
        new = set_condition(new, c.CONDITION_VALIDATED, False, "Failed", f"{failure} {gated}", now)
        new = set_condition(
            new, c.CONDITION_RELEASED, False, "Failed", f"Release validation failed: {failure}", now
        )
        new_status["completionTime"] = now_rfc3339(now)
        return _status(actions, ns, name, conds, new, status, new_status)
    plan, rpa = ctx.plan, decision.admission
    new = set_condition(new, c.CONDITION_VALIDATED, True, "Succeeded", f"Validated {gated}", now)
    attribution = {"author": decision.author, "standingAuthorization": automated}
    if status.get("attribution") != attribution:
        new_status["attribution"] = attribution
    target = namespace_of(rpa)
    if status.get("target") != target:
        new_status["target"] = target
    if not status.get("expirationTime"):
        created = parse_time(meta(release).get("creationTimestamp")) or now
        new_status["expirationTime"] = now_rfc3339(
            created + timedelta(days=_grace_days(release, plan))
        )

    runs = {(namespace_of(r), name_of(r)): r for r in ctx.runs}
    # Tenant phase.
    tenant_state = _plan_phase(
        ctx,
        runs,
        "tenantPipeline",
        tenant_run_name(release),
        tenant_pipelinerun,
        "tenantProcessing",
        new_status,
        actions,
        now,
    )
    new = _phase_condition(new, c.CONDITION_TENANT_PIPELINE, tenant_state, now)
    if tenant_state == "Running":
        return _status(actions, ns, name, conds, new, status, new_status)
    if tenant_state == "Failed":
        new = set_condition(
            new,
            c.CONDITION_RELEASED,
            False,
            "Failed",
            "Release processing failed on tenant pipelineRun",
            now,
        )
        new_status["completionTime"] = now_rfc3339(now)
        return _status(actions, ns, name, conds, new, status, new_status)

    # Managed phase, with retries: one entry in status.managedPipelineAttempts per attempt.
    managed_state = "Skipped"
    pipeline = (rpa.get("spec") or {}).get("pipeline") or {}
    attempts = [dict(a) for a in status.get("managedPipelineAttempts") or []]
    attempt = max(0, len(attempts) - 1)
    if pipeline.get("pipelineRef"):
        if ctx.role_binding is None:
            actions.creates.append(Create(c.ROLE_BINDING, role_binding(release, rpa)))
        run = runs.get((target, managed_run_name(release, attempt)))
        if run is None:
            actions.creates.append(Create(c.PIPELINE_RUN, managed_pipelinerun(ctx, rpa, attempt)))
            managed_state = "Running"
        else:
            managed_state = run_outcome(run)
        if not attempts:
            attempts.append({"startTime": now_rfc3339(now)})
        current = attempts[-1]
        current["pipelineRun"] = f"{target}/{managed_run_name(release, attempt)}"
        current["roleBindings"] = {"tenantRoleBinding": f"{ns}/{role_binding_name(release)}"}
        current["status"] = "Progressing" if managed_state == "Running" else managed_state
        if managed_state in ("Succeeded", "Failed"):
            current.setdefault("completionTime", now_rfc3339(now))
        max_retries = int(pipeline.get("maxRetries") or 0)
        if managed_state == "Failed" and attempt < max_retries:
            attempt += 1
            attempts.append(
                {
                    "pipelineRun": f"{target}/{managed_run_name(release, attempt)}",
                    "roleBindings": current["roleBindings"],
                    "startTime": now_rfc3339(now),
                    "status": "Progressing",
                }
            )
            managed_state = "Running"
        new_status["managedPipelineAttempts"] = attempts
        new_status["managedProcessing"] = {
            "pipelineRun": attempts[-1]["pipelineRun"],
            "roleBindings": attempts[-1]["roleBindings"],
            "startTime": attempts[0]["startTime"],
            **({"completionTime": now_rfc3339(now)} if managed_state != "Running" else {}),
        }
        if (status.get("managedProcessing") or {}).get("completionTime"):
            new_status["managedProcessing"]["completionTime"] = status["managedProcessing"][
                "completionTime"
            ]
    new = _phase_condition(new, c.CONDITION_MANAGED_PIPELINE, managed_state, now)
    if managed_state == "Running":
        return _status(actions, ns, name, conds, new, status, new_status)

    # Final phase: the ReleasePlan's finalPipeline runs once the managed phase is over.
    final_state = _plan_phase(
        ctx,
        runs,
        "finalPipeline",
        final_run_name(release),
        final_pipelinerun,
        "finalProcessing",
        new_status,
        actions,
        now,
    )
    new = _phase_condition(new, c.CONDITION_FINAL_PIPELINE, final_state, now)
    if final_state == "Running":
        return _status(actions, ns, name, conds, new, status, new_status)

    if managed_state == "Failed" or final_state == "Failed":
        phase = "managed" if managed_state == "Failed" else "final"
        new = set_condition(
            new,
            c.CONDITION_RELEASED,
            False,
            "Failed",
            f"Release processing failed on {phase} pipelineRun",
            now,
        )
    else:
        new = set_condition(new, c.CONDITION_RELEASED, True, "Succeeded", "", now)
    new_status["completionTime"] = now_rfc3339(now)
    return _status(actions, ns, name, conds, new, status, new_status)


def _phase_condition(conds: list[Obj], ctype: str, state: str, now: datetime) -> list[Obj]:
    """A phase's condition: False/Progressing while it runs, then True (Succeeded or
    Skipped) or False/Failed."""
    if state == "Running":
        return set_condition(conds, ctype, False, "Progressing", "", now)
    return set_condition(conds, ctype, state != "Failed", state, "", now)


def _plan_phase(
    ctx: ReleaseContext,
    runs: dict[tuple[str, str], Obj],
    key: str,
    run_name: str,
    make_run: Callable[[ReleaseContext], Obj],
    status_field: str,
    new_status: Obj,
    actions: Actions,
    now: datetime,
) -> str:
    """The state of the ReleasePlan's tenant or final pipeline ("Skipped" when it has none),
    creating its PipelineRun when missing and recording it in `status_field`."""
    assert ctx.plan is not None
    if not ((ctx.plan.get("spec") or {}).get(key) or {}).get("pipelineRef"):
        return "Skipped"
    ns = namespace_of(ctx.release)
    run = runs.get((ns, run_name))
    if run is None:
        actions.creates.append(Create(c.PIPELINE_RUN, make_run(ctx)))
        state = "Running"
    else:
        state = run_outcome(run)
    recorded = (ctx.release.get("status") or {}).get(status_field)
    new_status[status_field] = {
        **(recorded or {"startTime": now_rfc3339(now)}),
        "pipelineRun": f"{ns}/{run_name}",
    }
    return state


def _status(
    actions: Actions,
    ns: str,
    name: str,
    old: list[Obj],
    new: list[Obj],
    status: Obj,
    new_status: Obj,
) -> Actions:
    changed = {k: v for k, v in new_status.items() if status.get(k) != v}
    if not same_conditions(old, new) or changed:
        actions.patches.append(
            Patch(c.RELEASE, ns, name, {"status": {**changed, "conditions": new}}, status=True)
        )
    return actions


__all__: list[Any] = [
    "Match",
    "ReleaseContext",
    "match_admission",
    "reconcile_admission",
    "reconcile_plan",
    "reconcile_release",
]
