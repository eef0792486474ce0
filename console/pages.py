"""The console's pages: each reads through the user's view, shapes with `views`, renders a template.

Every read goes through `UserView`, so a page can only show what the user's own RBAC
allows. A section the user may not read says so instead of showing nothing silently.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from konflux.console.access import NamespaceAccess, UserView
from konflux.console.catalogue import LoadedRules, RuleCatalogue, rule_selected, search
from konflux.console.reports import compare_subjects, find_report
from konflux.console.views import (
    admission_of,
    app_badge,
    app_releases,
    app_snapshots,
    component_row,
    conditions_over_time,
    newest_first,
    release_badge,
    release_processing,
    release_row,
    releases_by_snapshot,
    run_badge,
    scenario_statuses,
    snapshot_badge,
    snapshot_components,
    snapshot_row,
    spec_of,
    status_of,
)
from konflux.controllers import constants as c
from konflux.controllers.objects import labels_of, name_of
from konflux.engine.policy.spec import Source
from konflux.engine.sigstore.keys import PublicKey

routes = web.RouteTableDef()


def _view(request: web.Request) -> UserView:
    return request["view"]


def _catalogue(request: web.Request) -> RuleCatalogue:
    return request.app["catalogue"]


def _vsa_keys(request: web.Request) -> tuple[PublicKey, ...]:
    return request.app["vsa_keys"]


async def _render(request: web.Request, template: str, **context: Any) -> web.Response:
    from konflux.console.server import render

    return await render(request, template, **context)


# --- start: namespaces and their applications -------------------------------------------------


async def _namespace_apps(view: UserView, ns: NamespaceAccess) -> dict[str, Any]:
    policies = sorted(name_of(p) for p in await view.list(c.POLICY, ns.name)) if ns.policies else []
    if not ns.applications:
        return {"ns": ns, "apps": None, "policies": policies}
    apps, snapshots, releases, plans = await asyncio.gather(
        view.list(c.APPLICATION, ns.name),
        view.visible(c.SNAPSHOT, ns.name),
        view.visible(c.RELEASE, ns.name),
        view.visible(c.RELEASE_PLAN, ns.name),
    )
    rows = []
    for app in sorted(apps, key=name_of):
        name = name_of(app)
        snaps = app_snapshots(snapshots or [], name)
        rels = app_releases(releases or [], name, plans or [], snapshots or [])
        rows.append({"name": name, "badge": app_badge(rels, snaps)})
    return {"ns": ns, "apps": rows, "policies": policies}


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    view = _view(request)
    namespaces = await view.namespaces()
    cards = await asyncio.gather(*(_namespace_apps(view, ns) for ns in namespaces))
    return await _render(request, "index.html", cards=cards)


@routes.get("/ns/{ns}")
async def namespace(request: web.Request) -> web.Response:
    view, ns = _view(request), request.match_info["ns"]
    apps, policies, admissions, plans = await asyncio.gather(
        view.visible(c.APPLICATION, ns),
        view.visible(c.POLICY, ns),
        view.visible(c.RELEASE_PLAN_ADMISSION, ns),
        view.visible(c.RELEASE_PLAN, ns),
    )
    if apps is None and policies is None and admissions is None:
        from konflux.console.errors import AccessDenied

        raise AccessDenied(view.user.name, "list", "applications or policies", ns)
    return await _render(
        request,
        "namespace.html",
        ns=ns,
        apps=sorted(apps, key=name_of) if apps is not None else None,
        policies=sorted(policies, key=name_of) if policies is not None else None,
        admissions=sorted(admissions, key=name_of) if admissions is not None else None,
        plans=sorted(plans, key=name_of) if plans is not None else None,
    )


# --- an application ---------------------------------------------------------------------------


@routes.get("/ns/{ns}/applications/{name}")
async def application(request: web.Request) -> web.Response:
    view, ns, name = _view(request), request.match_info["ns"], request.match_info["name"]
    app = await view.get(c.APPLICATION, ns, name)
    components, snapshots, releases, plans, scenarios, builds = await asyncio.gather(
        view.visible(c.COMPONENT, ns),
        view.visible(c.SNAPSHOT, ns),
        view.visible(c.RELEASE, ns),
        view.visible(c.RELEASE_PLAN, ns),
        view.visible(c.SCENARIO, ns),
        view.visible(
            c.PIPELINE_RUN,
            ns,
            {c.APPLICATION_LABEL: name, c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_BUILD},
        ),
    )
    snaps = app_snapshots(snapshots or [], name)
    by_snapshot = releases_by_snapshot(releases or [])
    rels = (
        app_releases(releases, name, plans or [], snapshots or []) if releases is not None else None
    )
    return await _render(
        request,
        "application.html",
        ns=ns,
        app=app,
        name=name,
        components=None
        if components is None
        else [
            component_row(x, builds or [])
            for x in sorted(components, key=name_of)
            if spec_of(x).get("application") == name
        ],
        builds_visible=builds is not None,
        snapshots=None
        if snapshots is None
        else [snapshot_row(s, by_snapshot, plans) for s in snaps],
        releases=None if rels is None else [release_row(r) for r in rels],
        plans=None
        if plans is None
        else [p for p in sorted(plans, key=name_of) if spec_of(p).get("application") == name],
        scenarios=None
        if scenarios is None
        else [s for s in sorted(scenarios, key=name_of) if spec_of(s).get("application") == name],
    )


# --- a Snapshot -------------------------------------------------------------------------------


@routes.get("/ns/{ns}/snapshots/{name}")
async def snapshot(request: web.Request) -> web.Response:
    view, ns, name = _view(request), request.match_info["ns"], request.match_info["name"]
    snap = await view.get(c.SNAPSHOT, ns, name)
    releases, plans, runs = await asyncio.gather(
        view.visible(c.RELEASE, ns),
        view.visible(c.RELEASE_PLAN, ns),
        view.visible(c.PIPELINE_RUN, ns, {c.SNAPSHOT_LABEL: name}),
    )
    row = snapshot_row(snap, releases_by_snapshot(releases or []), plans)
    return await _render(
        request,
        "snapshot.html",
        ns=ns,
        snap=snap,
        row=row,
        application=str(spec_of(snap).get("application") or ""),
        components=snapshot_components(snap),
        tests=scenario_statuses(snap),
        conditions=conditions_over_time(snap),
        releases=None
        if releases is None
        else [release_row(r) for r in newest_first(releases) if spec_of(r).get("snapshot") == name],
        runs=None
        if runs is None
        else [{"name": name_of(r), "badge": run_badge(r), "labels": labels_of(r)} for r in runs],
    )


# --- a Release --------------------------------------------------------------------------------


def _images(snapshot: Any) -> list[str]:
    return [x["image"] for x in snapshot_components(snapshot)]


async def _pipeline(
    view: UserView, request: web.Request, ref: tuple[str, str] | None, snapshot: Any
) -> dict:
    """A PipelineRun a Release points at, its TaskRuns and report, as far as the user may see;
    a VSA's subjects compared with the Release's Snapshot."""
    if ref is None:
        return {"ref": None}
    ns, name = ref
    if not await view.may("get", c.PIPELINE_RUN, ns, name):
        return {"ref": ref, "denied": f"you may not get PipelineRuns in namespace {ns}"}
    run = await view.find(c.PIPELINE_RUN, ns, name)
    taskruns = await view.visible(c.TASK_RUN, ns, {c.TEKTON_PIPELINE_RUN_LABEL: name})
    report = None
    if run is not None and taskruns is not None:
        report = await find_report(taskruns, run, _catalogue(request), _vsa_keys(request))
        if snapshot is not None:
            report = compare_subjects(report, _images(snapshot))
    return {
        "ref": ref,
        "run": run,
        "badge": run_badge(run),
        "taskruns_denied": taskruns is None,
        "report": report,
    }


@routes.get("/ns/{ns}/releases/{name}")
async def release(request: web.Request) -> web.Response:
    view, ns, name = _view(request), request.match_info["ns"], request.match_info["name"]
    rel = await view.get(c.RELEASE, ns, name)
    spec = spec_of(rel)
    processing = release_processing(rel)
    plan, snap = await asyncio.gather(
        view.find(c.RELEASE_PLAN, ns, str(spec.get("releasePlan") or "")),
        view.find(c.SNAPSHOT, ns, str(spec.get("snapshot") or "")),
    )
    rpa_ref = admission_of(plan)
    target = str(
        status_of(rel).get("target") or (spec_of(plan).get("target") if plan else "") or ""
    )
    rpa = await view.find(c.RELEASE_PLAN_ADMISSION, *rpa_ref) if rpa_ref else None
    managed, tenant, final = await asyncio.gather(
        _pipeline(view, request, processing.managed, snap),
        _pipeline(view, request, processing.tenant, snap),
        _pipeline(view, request, processing.final, snap),
    )
    application = ""
    if plan is not None:
        application = str(spec_of(plan).get("application") or "")
    elif snap is not None:
        application = str(spec_of(snap).get("application") or "")
    return await _render(
        request,
        "release.html",
        ns=ns,
        rel=rel,
        name=name,
        state=release_badge(rel),
        application=application,
        plan=plan,
        snap=snap,
        snap_badge=snapshot_badge(snap) if snap else None,
        rpa=rpa,
        rpa_ref=rpa_ref,
        target=target,
        processing=processing,
        conditions=conditions_over_time(rel),
        managed=managed,
        tenant=tenant,
        final=final,
    )


# --- a PipelineRun ----------------------------------------------------------------------------


@routes.get("/ns/{ns}/pipelineruns/{name}")
async def pipelinerun(request: web.Request) -> web.Response:
    view, ns, name = _view(request), request.match_info["ns"], request.match_info["name"]
    run = await view.get(c.PIPELINE_RUN, ns, name)
    taskruns = await view.visible(c.TASK_RUN, ns, {c.TEKTON_PIPELINE_RUN_LABEL: name})
    report = (
        await find_report(taskruns or [], run, _catalogue(request), _vsa_keys(request))
        if taskruns is not None
        else None
    )
    labels = labels_of(run)
    if report is not None and report.vsa is not None and labels.get(c.SNAPSHOT_LABEL):
        # Only for a VSA (a report names its images itself): the run's Snapshot, in the
        # tenant namespace for a managed run, else the run's own.
        snap_ns = labels.get(c.RELEASE_NAMESPACE_LABEL) or ns
        snap = await view.find(c.SNAPSHOT, snap_ns, labels[c.SNAPSHOT_LABEL])
        if snap is not None:
            report = compare_subjects(report, _images(snap))
    params = [
        {"name": str(p.get("name")), "value": p.get("value")}
        for p in spec_of(run).get("params") or []
        if isinstance(p, dict)
    ]
    return await _render(
        request,
        "pipelinerun.html",
        ns=ns,
        run=run,
        name=name,
        state=run_badge(run),
        kind=labels.get(c.PIPELINE_TYPE_LABEL, ""),
        application=labels.get(c.APPLICATION_LABEL, ""),
        snapshot=labels.get(c.SNAPSHOT_LABEL, ""),
        scenario=labels.get(c.SCENARIO_LABEL, ""),
        params=params,
        results=(status_of(run).get("results") or []),
        conditions=conditions_over_time(run),
        taskruns=None
        if taskruns is None
        else [
            {
                "name": name_of(t),
                "badge": run_badge(t),
                "results": [r for r in (status_of(t).get("results") or []) if isinstance(r, dict)],
            }
            for t in taskruns
        ],
        report=report,
    )


# --- policies and rules -----------------------------------------------------------------------


async def _policy_rules(catalogue: RuleCatalogue, policy: dict) -> list[dict[str, Any]]:
    """Per source of an EnterpriseContractPolicy: its rules (loaded), rule data, selection."""
    out = []
    for i, raw in enumerate(spec_of(policy).get("sources") or []):
        if not isinstance(raw, dict):
            continue
        source = Source.from_spec(raw, i)
        loaded: list[LoadedRules] = await catalogue.sources(source.policy)
        data: list[LoadedRules] = await catalogue.sources(source.data, as_data=True)
        rules = []
        for part in loaded:
            for rule in part.rules.values():
                rules.append({"rule": rule, "selected": rule_selected(rule, source)})
        rule_data: dict[str, Any] = {}
        for part in data:
            rule_data.update(part.rule_data)
        rule_data.update(source.rule_data)
        out.append(
            {
                "source": source,
                "loaded": loaded,
                "data": data,
                "rules": sorted(rules, key=lambda r: r["rule"].code),
                "rule_data": rule_data,
            }
        )
    return out


@routes.get("/ns/{ns}/policies/{name}")
async def policy(request: web.Request) -> web.Response:
    view, ns, name = _view(request), request.match_info["ns"], request.match_info["name"]
    ecp = await view.get(c.POLICY, ns, name)
    query = request.query.get("q", "").strip()
    sources = await _policy_rules(_catalogue(request), ecp)
    if query:
        for s in sources:
            keep = {r.code for r in search((x["rule"] for x in s["rules"]), query)}
            s["rules"] = [x for x in s["rules"] if x["rule"].code in keep]
    admissions = await view.visible(c.RELEASE_PLAN_ADMISSION, ns)
    return await _render(
        request,
        "policy.html",
        ns=ns,
        name=name,
        ecp=ecp,
        spec=spec_of(ecp),
        sources=sources,
        query=query,
        used_by=None
        if admissions is None
        else [a for a in admissions if spec_of(a).get("policy") == name],
    )


@routes.get("/rules")
async def rules(request: web.Request) -> web.Response:
    """Every rule of every policy the user may see, with search."""
    view = _view(request)
    query = request.query.get("q", "").strip()
    catalogue = _catalogue(request)
    namespaces = [ns for ns in await view.namespaces() if ns.policies]
    policies: list[tuple[str, dict]] = []
    for ns in namespaces:
        for ecp in await view.list(c.POLICY, ns.name):
            policies.append((ns.name, ecp))
    by_code: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for ns, ecp in sorted(policies, key=lambda p: (p[0], name_of(p[1]))):
        for source in await _policy_rules(catalogue, ecp):
            problems += [f"{s.url}: {s.error}" for s in source["loaded"] if s.error]
            for entry in source["rules"]:
                row = by_code.setdefault(
                    entry["rule"].code, {"rule": entry["rule"], "policies": []}
                )
                row["policies"].append(
                    {"ns": ns, "name": name_of(ecp), "selected": entry["selected"]}
                )
    found = search((row["rule"] for row in by_code.values()), query)
    return await _render(
        request,
        "rules.html",
        query=query,
        rows=[by_code[r.code] for r in found],
        total=len(by_code),
        policies=[(ns, name_of(p)) for ns, p in policies],
        problems=sorted(set(problems)),
    )
