"""What Tekton records for a finished build: the emulator's stand-in for Tekton Pipelines.

`konflux dev simulate`, the tests and the benchmarks have no Tekton controller, so they
write the objects it would write for a Konflux-style build PipelineRun (`git-clone` →
`buildah` → `clair-scan`, each from a task bundle resolved by digest): the child
TaskRuns with their specs, resolved `taskSpec`, step image IDs, results and
`provenance.refSource`, then the PipelineRun's `pipelineSpec`, `childReferences` and
type-hinted results (`IMAGE_URL`, `IMAGE_DIGEST`, `CHAINS-GIT_URL`,
`CHAINS-GIT_COMMIT`, `SBOM_BLOB_URL`). `play_build` writes them in Tekton's order:
the run is created running, its TaskRuns finish, then the run finishes.

Pure builders plus one async writer over `KubeClient`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from konflux.controllers import constants as c
from konflux.controllers.objects import Obj
from konflux.kube.client import KubeClient

TEKTON_V1 = f"{c.TEKTON}/v1"
STEP_IMAGE_REGISTRY = "registry.access.redhat.com/konflux"


def fake_digest(*parts: str) -> str:
    """A stable sha256 digest standing for content the emulator does not have (step images)."""
    return "sha256:" + hashlib.sha256("/".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class TaskBundle:
    """A Tekton task bundle pinned by digest: `<repo>:<tag>@sha256:...`."""

    task: str  # the Task's name inside the bundle
    ref: str

    @property
    def repository(self) -> str:
        return self.ref.split("@", 1)[0].rsplit(":", 1)[0]

    @property
    def digest(self) -> str:
        return self.ref.split("@", 1)[1]

    def task_ref(self) -> Obj:
        return {
            "resolver": "bundles",
            "params": [
                {"name": "name", "value": self.task},
                {"name": "bundle", "value": self.ref},
                {"name": "kind", "value": "task"},
            ],
        }


@dataclass(frozen=True)
class Build:
    """One build of a component, and what it produced."""

    namespace: str
    name: str
    component: str
    application: str
    git_url: str
    commit: str
    image_url: str  # repository:tag as pushed
    image_digest: str
    bundles: dict[str, TaskBundle]  # pipeline task name -> bundle
    sbom_blob_url: str = ""
    event: str = "push"
    uid: str = ""
    extra_results: list[Obj] = field(default_factory=list)


def _step(task: str, name: str, script: str) -> tuple[Obj, Obj]:
    image = f"{STEP_IMAGE_REGISTRY}/{task}"
    spec = {"name": name, "image": f"{image}:latest", "script": script}
    state = {
        "name": name,
        "container": f"step-{name}",
        "imageID": f"docker-pullable://{image}@{fake_digest(task, name)}",
        "terminated": {"exitCode": 0, "reason": "Completed"},
    }
    return spec, state


def _time(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tasks(b: Build) -> list[dict[str, Any]]:
    """The pipeline's tasks: params (as the Pipeline passes them), results, steps."""
    image_ref = f"{b.image_url}@{b.image_digest}"
    return [
        {
            "name": "clone-repository",
            "params": {"url": b.git_url, "revision": b.commit},
            "results": {"url": b.git_url, "commit": b.commit},
            "steps": [_step("git-clone", "clone", 'git clone "$PARAM_URL" && git checkout')],
            "runAfter": [],
        },
        {
            "name": "build-container",
            "params": {
                "IMAGE": b.image_url,
                "DOCKERFILE": "Dockerfile",
                "CONTEXT": ".",
                "HERMETIC": "true",
                "COMMIT_SHA": "$(tasks.clone-repository.results.commit)",
            },
            "results": {
                "IMAGE_URL": b.image_url,
                "IMAGE_DIGEST": b.image_digest,
                "IMAGE_REF": image_ref,
                **({"SBOM_BLOB_URL": b.sbom_blob_url} if b.sbom_blob_url else {}),
            },
            "steps": [
                _step("buildah", "build", 'buildah build -f "$DOCKERFILE" -t "$IMAGE" .'),
                _step("buildah", "push", "buildah push --digestfile /tekton/results/IMAGE_DIGEST"),
                _step("buildah", "sbom", "syft scan dir:. -o cyclonedx-json && cosign attach sbom"),
            ],
            "runAfter": ["clone-repository"],
            # Konflux's buildah Task carries this label, and Tekton copies a Task's labels
            # to its TaskRuns: upstream's required-task lists are chosen by it.
            "labels": {"build.appstudio.redhat.com/build_type": "docker"},
        },
        {
            "name": "clair-scan",
            "params": {"image-digest": b.image_digest, "image-url": b.image_url},
            "results": {
                "TEST_OUTPUT": json.dumps(
                    {
                        "result": "SUCCESS",
                        "timestamp": "0",
                        "successes": 1,
                        "failures": 0,
                        "warnings": 0,
                    }
                )
            },
            "steps": [_step("clair-scan", "scan", 'clair-action report --image-ref "$IMAGE"')],
            "runAfter": ["build-container"],
        },
    ]


def _named(values: dict[str, Any]) -> list[Obj]:
    return [{"name": k, "value": v} for k, v in values.items()]


def _typed(values: dict[str, Any]) -> list[Obj]:
    return [{"name": k, "type": "string", "value": v} for k, v in values.items()]


def taskruns(b: Build, start: datetime, owner_uid: str = "") -> list[Obj]:
    """The finished TaskRuns of the build, as Tekton records them (owned by the run with
    `owner_uid`, when given)."""
    out = []
    t = start
    for task in _tasks(b):
        bundle = b.bundles[task["name"]]
        steps = task["steps"]
        params = {k: v for k, v in task["params"].items()}
        out.append(
            {
                "apiVersion": TEKTON_V1,
                "kind": c.TASK_RUN.kind,
                "metadata": {
                    "name": f"{b.name}-{task['name']}",
                    "namespace": b.namespace,
                    "labels": {
                        "app.kubernetes.io/managed-by": "tekton-pipelines",
                        c.TEKTON_PIPELINE_RUN_LABEL: b.name,
                        c.TEKTON_PIPELINE_TASK_LABEL: task["name"],
                        "tekton.dev/pipeline": b.name,
                        "tekton.dev/task": bundle.task,
                        c.COMPONENT_LABEL: b.component,
                        c.APPLICATION_LABEL: b.application,
                        **task.get("labels", {}),
                    },
                    "annotations": {"pipeline.tekton.dev/release": "v1.0.0"},
                    **(
                        {
                            "ownerReferences": [
                                {
                                    "apiVersion": TEKTON_V1,
                                    "kind": c.PIPELINE_RUN.kind,
                                    "name": b.name,
                                    "uid": owner_uid,
                                    "controller": True,
                                    "blockOwnerDeletion": True,
                                }
                            ]
                        }
                        if owner_uid
                        else {}
                    ),
                },
                "spec": {
                    "params": _named(params),
                    "serviceAccountName": f"{c.BUILD_SERVICE_ACCOUNT_PREFIX}{b.component}",
                    "taskRef": bundle.task_ref(),
                    "timeout": "1h0m0s",
                },
                "status": {
                    "conditions": [
                        {
                            "type": c.SUCCEEDED_CONDITION,
                            "status": "True",
                            "reason": "Succeeded",
                            "lastTransitionTime": _time(t + timedelta(seconds=50)),
                        }
                    ],
                    "podName": f"{b.name}-{task['name']}-pod",
                    "startTime": _time(t),
                    "completionTime": _time(t + timedelta(seconds=50)),
                    "results": _typed(task["results"]),
                    "steps": [state for _, state in steps],
                    "taskSpec": {
                        "params": [{"name": k, "type": "string"} for k in params],
                        "results": [{"name": k, "type": "string"} for k in task["results"]],
                        "steps": [spec for spec, _ in steps],
                    },
                    "provenance": {
                        "refSource": {
                            "uri": bundle.repository,
                            "digest": {"sha256": bundle.digest.split(":", 1)[1]},
                            "entryPoint": bundle.task,
                        },
                        "featureFlags": {
                            "enableStepActions": True,
                            "resultExtractionMethod": "termination-message",
                        },
                    },
                },
            }
        )
        t += timedelta(minutes=1)
    return out


def pipeline_spec(b: Build) -> Obj:
    tasks = []
    for task in _tasks(b):
        tasks.append(
            {
                "name": task["name"],
                "taskRef": b.bundles[task["name"]].task_ref(),
                "params": _named(task["params"]),
                **({"runAfter": task["runAfter"]} if task["runAfter"] else {}),
            }
        )
    return {
        "params": [
            {"name": "git-url", "type": "string"},
            {"name": "revision", "type": "string", "default": "main"},
            {"name": "output-image", "type": "string"},
        ],
        "tasks": tasks,
        "results": [
            {"name": "IMAGE_URL", "value": "$(tasks.build-container.results.IMAGE_URL)"},
            {"name": "IMAGE_DIGEST", "value": "$(tasks.build-container.results.IMAGE_DIGEST)"},
            {"name": "CHAINS-GIT_URL", "value": "$(tasks.clone-repository.results.url)"},
            {"name": "CHAINS-GIT_COMMIT", "value": "$(tasks.clone-repository.results.commit)"},
        ],
    }


def pipelinerun(b: Build) -> Obj:
    """The build PipelineRun as created (running, no status yet)."""
    return {
        "apiVersion": TEKTON_V1,
        "kind": c.PIPELINE_RUN.kind,
        "metadata": {
            "name": b.name,
            "namespace": b.namespace,
            "labels": {
                c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_BUILD,
                c.COMPONENT_LABEL: b.component,
                c.APPLICATION_LABEL: b.application,
                c.PAC_EVENT_TYPE_LABEL: b.event,
                "tekton.dev/pipeline": b.name,
            },
            "annotations": {"build.appstudio.redhat.com/commit_sha": b.commit},
        },
        "spec": {
            "params": _named(
                {"git-url": b.git_url, "revision": b.commit, "output-image": b.image_url}
            ),
            "pipelineRef": {"name": "konflux-build"},
            "taskRunTemplate": {
                "serviceAccountName": f"{c.BUILD_SERVICE_ACCOUNT_PREFIX}{b.component}"
            },
            "timeouts": {"pipeline": "1h0m0s"},
        },
    }


def finished_status(b: Build, start: datetime) -> Obj:
    """The PipelineRun's status once every TaskRun succeeded."""
    runs = taskruns(b, start)
    results = {
        "IMAGE_URL": b.image_url,
        "IMAGE_DIGEST": b.image_digest,
        "CHAINS-GIT_URL": b.git_url,
        "CHAINS-GIT_COMMIT": b.commit,
    }
    return {
        "conditions": [
            {
                "type": c.SUCCEEDED_CONDITION,
                "status": "True",
                "reason": "Succeeded",
                "message": f"Tasks Completed: {len(runs)} (Failed: 0, Cancelled 0), Skipped: 0",
            }
        ],
        "startTime": _time(start),
        "completionTime": _time(start + timedelta(minutes=len(runs))),
        "pipelineSpec": pipeline_spec(b),
        "results": [*_named(results), *b.extra_results],
        "childReferences": [
            {
                "apiVersion": TEKTON_V1,
                "kind": c.TASK_RUN.kind,
                "name": tr["metadata"]["name"],
                "pipelineTaskName": tr["metadata"]["labels"][c.TEKTON_PIPELINE_TASK_LABEL],
            }
            for tr in runs
        ],
        "provenance": {"featureFlags": {"enableStepActions": True}},
    }


def finished_run(b: Build, start: datetime, uid: str = "") -> tuple[Obj, list[Obj]]:
    """The build as Tekton leaves it: the finished PipelineRun (with `uid`) and its
    TaskRuns."""
    run = pipelinerun(b)
    if uid:
        run["metadata"]["uid"] = uid
    run["status"] = finished_status(b, start)
    return run, taskruns(b, start, uid)


async def play_build(client: KubeClient, b: Build, start: datetime | None = None) -> None:
    """Create the run, finish its TaskRuns, then finish the run (Tekton's order)."""
    start = start or datetime.now(UTC).replace(microsecond=0)
    created = await client.create(c.PIPELINE_RUN, pipelinerun(b))
    uid = str(((created or {}).get("metadata") or {}).get("uid", ""))
    for tr in taskruns(b, start, uid):
        await client.create(c.TASK_RUN, tr)
    await client.patch(
        c.PIPELINE_RUN, b.namespace, b.name, {"status": finished_status(b, start)}, status=True
    )
