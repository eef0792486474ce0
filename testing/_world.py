"""Seeded Konflux worlds on an emulated cluster: the objects a tenant and a managed team create.

- `resource_object`: a well-formed object of any `Resource`.
- `seed_release`: a ReleasePlan auto-releasing an Application (or ComponentGroup)
  to a managed namespace, the ReleasePlanAdmission there admitting it, and the
  EnterpriseContractPolicy it names: the release route every flow needs, used by
  `dev simulate` and the controller tests alike.
- The small controller world (`seed_tenant`, `build_run`, `finish_run`): an
  Application with three Components and three scenarios in `TENANT`, a build
  PipelineRun as Tekton leaves it, and Tekton "finishing" a run; for the
  end-to-end controller tests and `bench/controllers.py`.
"""

from __future__ import annotations

import json
from typing import Any

from konflux.kube import names as n
from konflux.kube import resources as r
from konflux.kube.client import KubeClient
from konflux.kube.resources import Resource

Obj = dict[str, Any]
TENANT, MANAGED = "tenant", "managed"
DIGEST = "sha256:" + "a" * 64
OTHER_DIGEST = "sha256:" + "b" * 64
GIT_PIPELINE: Obj = {"pipelineRef": {"resolver": "git", "params": []}}


def resource_object(res: Resource, name: str, ns: str | None, spec: Any = None, **meta: Any) -> Obj:
    """`{apiVersion, kind, metadata: {name, namespace?, **meta}, spec?}` for `res`."""
    body: Obj = {
        "apiVersion": res.api_version,
        "kind": res.kind,
        "metadata": {"name": name, **({"namespace": ns} if ns else {}), **meta},
    }
    if spec is not None:
        body["spec"] = spec
    return body


async def seed_release(
    client: KubeClient,
    plan: str,
    admission: str,
    owner: tuple[str, str],
    *,
    tenant: str = TENANT,
    managed: str = MANAGED,
    policy: tuple[str, Obj] = ("ecp", {"sources": [{"policy": ["oci::quay.io/x"]}]}),
    pipeline: Obj | None = None,
    service_account: str = "",
    author: str = "alice",
) -> None:
    """A ReleasePlan of `owner` (("application" | "componentGroup", name)) in `tenant`
    auto-releasing to `managed`, the ReleasePlanAdmission there admitting it with
    `pipeline`, and the EnterpriseContractPolicy `policy` (name, spec) it names."""
    key, name = owner
    await client.create(
        r.RELEASE_PLAN,
        resource_object(
            r.RELEASE_PLAN,
            plan,
            tenant,
            {key: name, "target": managed},
            labels={n.AUTO_RELEASE_LABEL: "true", n.AUTHOR_LABEL: author},
        ),
    )
    spec_pipeline = dict(pipeline or GIT_PIPELINE)
    if service_account:
        spec_pipeline["serviceAccountName"] = service_account
    await client.create(
        r.RELEASE_PLAN_ADMISSION,
        resource_object(
            r.RELEASE_PLAN_ADMISSION,
            admission,
            managed,
            {f"{key}s": [name], "origin": tenant, "policy": policy[0], "pipeline": spec_pipeline},
        ),
    )
    await client.create(r.POLICY, resource_object(r.POLICY, policy[0], managed, policy[1]))


async def seed_tenant(client: KubeClient) -> None:
    """Application `app` with Components api (has an image repository), web (promoted
    before) and docs (never built), scenarios `conforma` (required), `smoke` (optional)
    and `pr-only`, and the release route `to-prod` -> `accept`."""
    create = client.create
    await create(
        r.APPLICATION, resource_object(r.APPLICATION, "app", TENANT, {"displayName": "app"})
    )
    await create(
        r.COMPONENT,
        resource_object(
            r.COMPONENT,
            "api",
            TENANT,
            {
                "application": "app",
                "componentName": "api",
                "source": {"git": {"url": "https://git.example/org/api.git"}},
                "containerImage": "registry.local/tenant/api",
            },
        ),
    )
    web = resource_object(
        r.COMPONENT,
        "web",
        TENANT,
        {
            "application": "app",
            "componentName": "web",
            "source": {"git": {"url": "https://git.example/org/web"}},
        },
    )
    web["status"] = {
        "lastPromotedImage": f"registry.local/tenant/web@{OTHER_DIGEST}",
        "lastBuiltCommit": "c0ffee",
    }
    await create(r.COMPONENT, web)
    docs_source = {"git": {"url": "https://git.example/org/docs"}}
    await create(
        r.COMPONENT,
        resource_object(r.COMPONENT, "docs", TENANT, {"application": "app", "source": docs_source}),
    )
    ref = {"resolver": "git", "params": [{"name": "url", "value": "https://git.example/t"}]}
    scenarios: list[tuple[str, Obj, Obj]] = [
        ("conforma", {"params": [{"name": "POLICY", "value": "strict"}]}, {}),
        ("smoke", {}, {n.OPTIONAL_LABEL: "true"}),
        ("pr-only", {"contexts": [{"name": "pull_request"}]}, {}),
    ]
    for name, extra, labels in scenarios:
        spec = {"application": "app", "resolverRef": ref, **extra}
        meta = {"labels": labels} if labels else {}
        await create(r.SCENARIO, resource_object(r.SCENARIO, name, TENANT, spec, **meta))
    await seed_release(
        client, "to-prod", "accept", ("application", "app"), service_account="release-sa"
    )


def build_run(name: str, succeeded: bool = True) -> Obj:
    """A finished push build PipelineRun of `api`, signed, as Tekton and Chains leave it."""
    run = resource_object(
        r.PIPELINE_RUN,
        name,
        TENANT,
        {"pipelineRef": {"name": "build"}},
        labels={
            n.PIPELINE_TYPE_LABEL: n.PIPELINE_TYPE_BUILD,
            n.COMPONENT_LABEL: "api",
            n.APPLICATION_LABEL: "app",
            n.PAC_EVENT_TYPE_LABEL: "push",
        },
        annotations={n.CHAINS_SIGNED_ANNOTATION: "true"},
    )
    run["status"] = {
        "startTime": "2026-05-01T10:20:30.456Z",
        "conditions": [{"type": "Succeeded", "status": "True" if succeeded else "False"}],
        "results": [
            {"name": "IMAGE_URL", "value": "registry.local/tenant/api:abc"},
            {"name": "IMAGE_DIGEST", "value": DIGEST},
            {"name": "CHAINS-GIT_URL", "value": "https://git.example/org/api.git"},
            {"name": "CHAINS-GIT_COMMIT", "value": "abc123"},
        ],
    }
    return run


async def finish_run(client: KubeClient, run: Obj, test_result: str | None = None) -> None:
    """Play Tekton: a TaskRun with TEST_OUTPUT (when given), then the run's Succeeded."""
    ns, name = run["metadata"]["namespace"], run["metadata"]["name"]
    if test_result is not None:
        labels = {n.TEKTON_PIPELINE_RUN_LABEL: name}
        tr = resource_object(r.TASK_RUN, f"{name}-verify", ns, {}, labels=labels)
        output = {"result": test_result, "successes": 3, "failures": 0, "warnings": 0}
        tr["status"] = {"results": [{"name": "TEST_OUTPUT", "value": json.dumps(output)}]}
        await client.create(r.TASK_RUN, tr)
    done = {"conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}]}
    await client.patch(r.PIPELINE_RUN, ns, name, {"status": done}, status=True)
