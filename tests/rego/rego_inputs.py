"""Image inputs for the release policies, shaped as `validate image` builds them.

One realistic build: a Tekton Chains SLSA v1 (or v0.2) provenance of a
PipelineRun with git-clone, buildah, run-tests, clair-scan and source-build
tasks, a CycloneDX SBOM naming a base image, and image labels. Tests mutate
copies of it to check that each policy reacts to one change.
"""

from __future__ import annotations

import base64
import json
from typing import Any

DIGEST = "sha256:" + "4f" * 32
IMAGE = f"quay.io/org/app@{DIGEST}"
COMMIT = "6f1ea4dd5b3c1d1e5e1d3e0b1e0a7b7ad2c5b1f0"
REPO = "https://github.com/org/app"
BUNDLE_DIGEST = "sha256:" + "22" * 32
REPORT_REF = "quay.io/org/app@sha256:" + "55" * 32
TASKS = ("git-clone", "buildah", "run-tests", "clair-scan", "source-build")


def bundle(task: str, digest: str = BUNDLE_DIGEST) -> str:
    return f"quay.io/konflux-ci/tekton-catalog/task-{task}:0.1@{digest}"


def trusted_tasks() -> dict[str, Any]:
    """trusted_tasks data trusting every bundle of the build."""
    return {
        f"oci://quay.io/konflux-ci/tekton-catalog/task-{t}:0.1": [
            {"ref": BUNDLE_DIGEST, "effective_on": "2025-01-01T00:00:00Z"}
        ]
        for t in TASKS
    }


def task_results() -> dict[str, dict[str, str]]:
    return {
        "git-clone": {"url": REPO, "commit": COMMIT},
        "buildah": {"IMAGE_URL": "quay.io/org/app:latest", "IMAGE_DIGEST": DIGEST},
        "run-tests": {"TEST_OUTPUT": json.dumps({"result": "SUCCESS", "successes": 12})},
        "clair-scan": {"REPORTS": json.dumps({DIGEST: REPORT_REF})},
        "source-build": {
            "SOURCE_IMAGE_URL": "quay.io/org/app:source",
            "SOURCE_IMAGE_DIGEST": "sha256:" + "33" * 32,
        },
    }


def task_params() -> dict[str, dict[str, str]]:
    return {"buildah": {"HERMETIC": "true", "DOCKERFILE": "Containerfile"}}


def taskrun(
    name: str, results: dict[str, str], params: dict[str, str], status: str, digest: str
) -> dict:
    """A TaskRun as Tekton Chains records it in SLSA v1 resolvedDependencies."""
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "TaskRun",
        "metadata": {
            "name": f"app-build-{name}",
            "labels": {"tekton.dev/pipelineTask": name, "tekton.dev/task": name},
            "annotations": {"build.appstudio.redhat.com/target_branch": "main"},
        },
        "spec": {
            "params": [{"name": k, "value": v} for k, v in params.items()],
            "taskRef": {
                "resolver": "bundles",
                "params": [
                    {"name": "bundle", "value": bundle(name, digest)},
                    {"name": "name", "value": name},
                    {"name": "kind", "value": "task"},
                ],
            },
        },
        "status": {
            "conditions": [{"type": "Succeeded", "status": status, "reason": "Done"}],
            "results": [{"name": k, "type": "string", "value": v} for k, v in results.items()],
            "steps": [{"name": "build", "imageID": "registry.access.redhat.com/ubi9@sha256:aa"}],
        },
    }


def provenance_v1(runs: list[dict]) -> dict:
    deps = [{"uri": f"git+{REPO}.git", "digest": {"sha1": COMMIT}}]
    deps += [
        {"name": "pipelineTask", "content": base64.b64encode(json.dumps(r).encode()).decode()}
        for r in runs
    ]
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "predicateType": "https://slsa.dev/provenance/v1",
        "subject": [{"name": "quay.io/org/app", "digest": {"sha256": DIGEST[7:]}}],
        "predicate": {
            "buildDefinition": {
                "buildType": "https://tekton.dev/chains/v2/slsa-tekton",
                "externalParameters": {
                    "runSpec": {
                        "params": [
                            {"name": "git-url", "value": REPO},
                            {"name": "revision", "value": COMMIT},
                        ]
                    }
                },
                "resolvedDependencies": deps,
            },
            "runDetails": {"builder": {"id": "https://tekton.dev/chains/v2"}},
        },
    }


def provenance_v02(
    results: dict[str, dict[str, str]], params: dict[str, dict[str, str]], untrusted: str
) -> dict:
    tasks = [
        {
            "name": name,
            "ref": {"name": name, "kind": "Task", "bundle": bundle(name, _digest(name, untrusted))},
            "status": "Succeeded",
            "invocation": {
                "parameters": params.get(name, {}),
                "environment": {
                    "annotations": {"build.appstudio.redhat.com/target_branch": "main"}
                },
            },
            "results": [{"name": k, "type": "string", "value": v} for k, v in res.items()],
            "steps": [
                {"name": "build", "environment": {"image": "registry.access.redhat.com/ubi9"}}
            ],
        }
        for name, res in results.items()
    ]
    return {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "quay.io/org/app", "digest": {"sha256": DIGEST[7:]}}],
        "predicate": {
            "builder": {"id": "https://tekton.dev/chains/v2"},
            "buildType": "tekton.dev/v1beta1/PipelineRun",
            "buildConfig": {"tasks": tasks},
            "materials": [{"uri": f"git+{REPO}.git", "digest": {"sha1": COMMIT}}],
        },
    }


def _digest(task: str, untrusted: str) -> str:
    return "sha256:" + "99" * 32 if task == untrusted else BUNDLE_DIGEST


def sbom(base_repo: str = "registry.access.redhat.com/ubi9/ubi") -> dict:
    return {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://cyclonedx.org/bom",
        "subject": [{"name": "quay.io/org/app", "digest": {"sha256": DIGEST[7:]}}],
        "predicate": {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "version": 1,
            "components": [
                {"type": "library", "name": "yaml", "purl": "pkg:golang/gopkg.in/yaml.v3@v3.0.1"}
            ],
            "formulation": [
                {
                    "components": [
                        {
                            "type": "container",
                            "name": base_repo,
                            "purl": f"pkg:oci/ubi@sha256:{'11' * 32}?repository_url={base_repo}",
                            "properties": [
                                {"name": "konflux:container:is_base_image", "value": "true"}
                            ],
                        }
                    ]
                }
            ],
        },
    }


def image_input(
    *,
    slsa: str = "v1",
    results: dict[str, dict[str, str]] | None = None,
    failed: str = "",
    labels: dict[str, str] | None = None,
    base_repo: str = "registry.access.redhat.com/ubi9/ubi",
    untrusted: str = "",
) -> dict[str, Any]:
    """The input `validate image` builds for one image of a Snapshot.

    `failed` names a task that failed; `untrusted` a task whose bundle has a
    digest the trusted tasks data does not list.
    """
    results = task_results() if results is None else results
    params = task_params()
    if slsa == "v1":
        runs = [
            taskrun(
                n, r, params.get(n, {}), "False" if n == failed else "True", _digest(n, untrusted)
            )
            for n, r in results.items()
        ]
        provenance = provenance_v1(runs)
    else:
        provenance = provenance_v02(results, params, untrusted)
    signatures = [{"keyid": "SHA256:test", "sig": "MEUCIQ..."}]
    return {
        "image": {
            "ref": IMAGE,
            "signatures": signatures,
            "config": {
                "Labels": labels
                if labels is not None
                else {
                    "name": "app",
                    "version": "1.0",
                    "vendor": "Org",
                    "summary": "An app",
                    "description": "The app",
                }
            },
            "parent": {
                "ref": "registry.access.redhat.com/ubi9/ubi@sha256:" + "11" * 32,
                "config": {"Labels": {"description": "UBI 9", "vendor": "Red Hat"}},
            },
            "source": {"git": {"url": REPO, "revision": COMMIT}},
        },
        "attestations": [
            {"statement": provenance, "signatures": signatures},
            {"statement": sbom(base_repo), "signatures": signatures},
        ],
        "component_name": "app",
    }
