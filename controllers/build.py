"""build-service and image-controller rules as pure functions.

No git provider is reachable here, so "configuring Pipelines-as-Code" means: the build
ServiceAccount, the PaC `Repository` CR, and the `.tekton/` PipelineRun definitions the
service would propose, kept in a ConfigMap (and written to a directory by the operator
when one is configured). The ImageRepository controller gives a Component its image
location in a configurable OCI registry; registries that create repositories on push
need no API call, so repository creation is a no-op.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from konflux.controllers import constants as c
from konflux.controllers.objects import (
    Actions,
    Create,
    Obj,
    Patch,
    annotations_of,
    dns_name,
    labels_of,
    name_of,
    namespace_of,
    now_rfc3339,
    owner_reference,
    parse_json,
)

BUILD_PIPELINE_REF: Obj = {
    "resolver": "cluster",
    "params": [
        {"name": "kind", "value": "pipeline"},
        {"name": "name", "value": "konflux-build"},
        {"name": "namespace", "value": "konflux-tasks"},
    ],
}


@dataclass
class BuildWorld:
    """Objects the Component reconcile reads (None/absent means missing)."""

    component: Obj
    service_account: Obj | None = None
    definitions: Obj | None = None  # the PaC definitions ConfigMap
    repository: Obj | None = None
    pipeline_ref: Obj | None = None


def service_account_name(component: str) -> str:
    return dns_name(c.BUILD_SERVICE_ACCOUNT_PREFIX + component)


def definitions_name(component: str) -> str:
    return dns_name(component, "pac-definitions", limit=253)


def repository_name(git_url: str) -> str:
    """A PaC Repository name from a git URL (`https://h/org/repo.git` -> `org-repo`)."""
    path = re.sub(r"^[a-z+]+://[^/]+/", "", git_url.rstrip("/")).removesuffix(".git")
    return dns_name(re.sub(r"[^a-z0-9-]+", "-", path.lower()).strip("-") or "repository")


def build_status(component: Obj) -> Obj:
    value = parse_json(annotations_of(component).get(c.BUILD_STATUS_ANNOTATION, "{}"))
    return value if isinstance(value, dict) else {}


def pac_pipelinerun(component: Obj, event: str, pipeline_ref: Obj) -> Obj:
    """The `.tekton/<component>-<event>.yaml` PipelineRun build-service would propose."""
    spec = component.get("spec") or {}
    git = (spec.get("source") or {}).get("git") or {}
    name, branch = name_of(component), git.get("revision") or "main"
    image = spec["containerImage"].split("@", 1)[0]
    pr = event == "pull-request"
    cel_event = "pull_request" if pr else "push"
    annotations = {
        c.PAC_ON_CEL_ANNOTATION: f'event == "{cel_event}" && target_branch == "{branch}"',
        c.PAC_MAX_KEEP_RUNS_ANNOTATION: "3",
        c.BUILD_REPO_ANNOTATION: f"{git.get('url')}?rev={{{{revision}}}}",
        c.COMMIT_SHA_ANNOTATION: "{{revision}}",
        c.TARGET_BRANCH_ANNOTATION: "{{target_branch}}",
    }
    if pr:
        annotations[c.PULL_REQUEST_NUMBER_ANNOTATION] = "{{pull_request_number}}"
    return {
        "apiVersion": c.PIPELINE_RUN.api_version,
        "kind": c.PIPELINE_RUN.kind,
        "metadata": {
            "name": f"{name}-on-{event}",
            "namespace": namespace_of(component),
            "annotations": annotations,
            "labels": {
                c.APPLICATION_LABEL: str(spec.get("application", "")),
                c.COMPONENT_LABEL: name,
                c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_BUILD,
            },
        },
        "spec": {
            "params": [
                {"name": "git-url", "value": "{{source_url}}"},
                {"name": "revision", "value": "{{revision}}"},
                {
                    "name": "output-image",
                    "value": f"{image}:on-pr-{{{{revision}}}}"
                    if pr
                    else f"{image}:{{{{revision}}}}",
                },
                {"name": "dockerfile", "value": git.get("dockerfileUrl") or "Dockerfile"},
                {"name": "path-context", "value": git.get("context") or "."},
            ],
            "pipelineRef": pipeline_ref,
            "taskRunTemplate": {"serviceAccountName": service_account_name(name)},
            "workspaces": [{"name": "git-auth", "secret": {"secretName": "{{ git_auth_secret }}"}}],
        },
    }


def pac_definitions(component: Obj, pipeline_ref: Obj | None = None) -> dict[str, str]:
    """File name -> YAML text of the proposed `.tekton/` PipelineRuns."""
    ref = pipeline_ref or BUILD_PIPELINE_REF
    name = name_of(component)
    return {
        f"{name}-{event}.yaml": yaml.safe_dump(
            pac_pipelinerun(component, event, ref), sort_keys=False
        )
        for event in ("pull-request", "push")
    }


def reconcile_component(world: BuildWorld, now: datetime | None = None) -> Actions:
    """ServiceAccount, PaC configuration and requests for one Component."""
    comp = world.component
    ns, name = namespace_of(comp), name_of(comp)
    spec = comp.get("spec") or {}
    git = (spec.get("source") or {}).get("git") or {}
    actions = Actions()
    if not spec.get("containerImage") or not git.get("url"):
        return actions  # image-controller or the user has not given it an image yet
    if world.service_account is None:
        actions.creates.append(
            Create(
                c.SERVICE_ACCOUNT,
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {
                        "name": service_account_name(name),
                        "namespace": ns,
                        "labels": {c.COMPONENT_LABEL: name, c.MANAGED_BY: c.MANAGER_NAME},
                        "ownerReferences": [owner_reference(c.COMPONENT, comp, False)],
                    },
                },
            )
        )
    status = build_status(comp)
    request = annotations_of(comp).get(c.BUILD_REQUEST_ANNOTATION)
    state = (status.get("pac") or {}).get("state")
    if request is None and state is None:
        request = c.REQUEST_CONFIGURE_PAC  # a new Component is onboarded to PaC
    if request is None:
        return actions
    new_status = dict(status)
    message = "done"
    if request == c.REQUEST_CONFIGURE_PAC:
        files = pac_definitions(comp, world.pipeline_ref)
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": definitions_name(name),
                "namespace": ns,
                "labels": {c.COMPONENT_LABEL: name, c.PAC_DEFINITIONS_LABEL: "true"},
                "ownerReferences": [owner_reference(c.COMPONENT, comp)],
            },
            "data": files,
        }
        if world.definitions is None:
            actions.creates.append(Create(c.CONFIG_MAP, body))
        elif world.definitions.get("data") != files:
            actions.patches.append(Patch(c.CONFIG_MAP, ns, definitions_name(name), {"data": files}))
        if world.repository is None:
            actions.creates.append(
                Create(
                    c.PAC_REPOSITORY,
                    {
                        "apiVersion": c.PAC_REPOSITORY.api_version,
                        "kind": c.PAC_REPOSITORY.kind,
                        "metadata": {
                            "name": repository_name(git["url"]),
                            "namespace": ns,
                            "labels": {c.COMPONENT_LABEL: name},
                            "ownerReferences": [owner_reference(c.COMPONENT, comp, False)],
                        },
                        "spec": {"url": git["url"]},
                    },
                )
            )
        new_status["pac"] = {
            "state": "enabled",
            "configuration-time": now_rfc3339(now),
            "files": sorted(files),
        }
    elif request == c.REQUEST_TRIGGER_PAC:
        if state != "enabled":
            message = "trigger-pac-build requires Pipelines-as-Code to be configured"
        else:
            count = int(status.get("trigger-count") or 0)
            run = pac_pipelinerun(comp, "push", world.pipeline_ref or BUILD_PIPELINE_REF)
            run["metadata"]["name"] = dns_name(name, "on-push", f"t{count}")
            # PaC would substitute these from the push event; use the Component's source.
            for param in run["spec"]["params"]:
                if param["name"] == "git-url":
                    param["value"] = git["url"]
                elif param["name"] == "revision":
                    param["value"] = git.get("revision") or "main"
                elif param["name"] == "output-image":
                    param["value"] = param["value"].replace(
                        "{{revision}}", git.get("revision") or "main"
                    )
            run["spec"]["workspaces"] = []
            run["metadata"]["labels"][c.PAC_EVENT_TYPE_LABEL] = "incoming"
            actions.creates.append(Create(c.PIPELINE_RUN, run))
            new_status["trigger-count"] = count + 1
            new_status["last-trigger"] = run["metadata"]["name"]
    elif request == c.REQUEST_UNCONFIGURE_PAC:
        if world.definitions is not None:
            actions.deletes.append((c.CONFIG_MAP, ns, definitions_name(name)))
        if world.repository is not None:
            actions.deletes.append((c.PAC_REPOSITORY, ns, name_of(world.repository)))
        new_status["pac"] = {"state": "disabled"}
    else:
        message = f"unknown {c.BUILD_REQUEST_ANNOTATION} value {request!r}"
    new_status["message"] = message
    actions.patches.append(
        Patch(
            c.COMPONENT,
            ns,
            name,
            {
                "metadata": {
                    "annotations": {
                        c.BUILD_REQUEST_ANNOTATION: None,
                        c.BUILD_STATUS_ANNOTATION: json.dumps(new_status, sort_keys=True),
                    }
                }
            },
        )
    )
    return actions


# --- image-controller ----------------------------------------------------------------------------


def image_url(repo: Obj, registry: str) -> str:
    spec_name = ((repo.get("spec") or {}).get("image") or {}).get("name")
    path = spec_name or f"{namespace_of(repo)}/{name_of(repo)}"
    return f"{registry.rstrip('/')}/{path}"


def reconcile_image_repository(repo: Obj, components: list[Obj], registry: str) -> Actions:
    """Give the repository an image URL; then, when it asks for it (image-controller's
    `update-component-image: "true"` annotation), hand that URL to the Component its
    `appstudio.redhat.com/component` label names, once, and drop the annotation."""
    actions = Actions()
    ns = namespace_of(repo)
    status = repo.get("status") or {}
    url = (status.get("image") or {}).get("url")
    if not url:
        url = image_url(repo, registry)
        visibility = ((repo.get("spec") or {}).get("image") or {}).get("visibility") or "public"
        actions.patches.append(
            Patch(
                c.IMAGE_REPOSITORY,
                ns,
                name_of(repo),
                {"status": {"state": "ready", "image": {"url": url, "visibility": visibility}}},
                status=True,
            )
        )
    if annotations_of(repo).get(c.UPDATE_COMPONENT_IMAGE_ANNOTATION) != "true":
        return actions
    component = labels_of(repo).get(c.IMAGE_REPOSITORY_COMPONENT_LABEL)
    for comp in components:
        if name_of(comp) == component:
            if (comp.get("spec") or {}).get("containerImage") != url:
                actions.patches.append(
                    Patch(c.COMPONENT, ns, component, {"spec": {"containerImage": url}})
                )
            actions.patches.append(
                Patch(
                    c.IMAGE_REPOSITORY,
                    ns,
                    name_of(repo),
                    {"metadata": {"annotations": {c.UPDATE_COMPONENT_IMAGE_ANNOTATION: None}}},
                )
            )
    return actions


__all__: list[Any] = [
    "BuildWorld",
    "pac_definitions",
    "reconcile_component",
    "reconcile_image_repository",
]
