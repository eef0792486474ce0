"""A Konflux release build in a real registry, for the end-to-end policy tests and the bench.

`ReleaseWorld` holds what a Konflux installation shares between builds:
Tekton task bundles pushed to the registry and trusted with `konflux policy
track-task`, a base image, a cosign key pair (`Signer`; the public key also
as `cosign.pub` in the work directory), and the `konflux` policy
(deploy/policies/konflux.yaml) pointed at them.
`Build` describes one PipelineRun the way Tekton Chains records it (SLSA v1
provenance: git-clone, buildah, run-tests, clair-scan and source-build
TaskRuns with their bundle refs, params and results) together with the
image's labels, its CycloneDX SBOM and its Clair vulnerability report. Tests
change one field of a `Build`; `ReleaseWorld.publish` pushes the image, the
report blob and a source image, then signs and attests it
(`publish_component`, the one publisher). The trusted-tasks data is written
with `konflux policy track-task` (through click's CliRunner), as an operator does.

Used by the end-to-end policy tests (tests/release_e2e) and bench/policy_collections.py.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from konflux.cli.bundle import track_task
from konflux.engine import Settings, load_policy
from konflux.engine.errors import KonfluxError
from konflux.engine.image.snapshot import Component, Snapshot
from konflux.engine.image.validator import ImageCheckSettings, SnapshotValidator
from konflux.engine.oci import ImageReference, SyncRegistry, build_image, parse_reference
from konflux.engine.policy.spec import Policy
from konflux.engine.report import Report, TargetReport
from konflux.engine.sigstore import check_options
from konflux.engine.sigstore.payloads import CYCLONEDX, SLSA_PROVENANCE_V1
from konflux.testing._publish import Publisher, Signer

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "deploy" / "policies"
TASKS = ("git-clone", "buildah", "run-tests", "clair-scan", "source-build")
SOURCE_URL = "https://github.com/konflux-e2e/app"
COMMIT = "a3f1c2d4e5b60718293a4b5c6d7e8f9012345678"
BUILDER_ID = "https://tekton.dev/chains/v2"
BASE_LABELS = {
    "name": "ubi9",
    "vendor": "Red Hat",
    "summary": "Universal Base Image 9",
    "description": "The Universal Base Image is designed for containerized applications.",
}
LABELS = {
    "name": "konflux-e2e/app",
    "version": "1.4.2",
    "vendor": "Konflux",
    "summary": "The end-to-end test application",
    "description": "A small service built, scanned and released by Konflux.",
}
BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"


class ReleaseWorldError(KonfluxError):
    """A step of setting up the release world failed (a konflux command exited non-zero)."""


# -- one build -------------------------------------------------------------------------------


@dataclass
class Vulnerability:
    """One entry of a Clair report (`normalized_severity`; `fixed_in_version` empty = no fix)."""

    name: str
    severity: str
    fixed_in_version: str = ""
    issued: str = "2026-01-10T00:00:00Z"

    def as_clair(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "normalized_severity": self.severity.capitalize(),
            "issued": self.issued,
            "fixed_in_version": self.fixed_in_version,
            "package": {"name": "openssl", "version": "3.0.7-1"},
        }


@dataclass
class Build:
    """One PipelineRun and what it produced; every field is something a test may change.

    `bundles` maps a task to the bundle reference its TaskRun used (default:
    the trusted bundle); `omit` drops TaskRuns; `statuses` sets a TaskRun's
    Succeeded condition; `results`/`params` are merged over the defaults.
    """

    labels: dict[str, str] = field(default_factory=lambda: dict(LABELS))
    bundles: dict[str, str] = field(default_factory=dict)
    omit: frozenset[str] = frozenset()
    statuses: dict[str, str] = field(default_factory=dict)
    results: dict[str, dict[str, str]] = field(default_factory=dict)
    params: dict[str, dict[str, str]] = field(default_factory=dict)
    test_output: dict[str, Any] = field(
        default_factory=lambda: {
            "result": "SUCCESS",
            "timestamp": "2026-03-01T10:04:00Z",
            "successes": 42,
            "failures": 0,
            "warnings": 0,
        }
    )
    vulnerabilities: list[Vulnerability] = field(
        default_factory=lambda: [Vulnerability("CVE-2025-1111", "low", "3.0.7-2")]
    )
    materials: list[dict[str, Any]] | None = None  # None: the git source at COMMIT
    pipeline_params: dict[str, str] = field(default_factory=dict)
    builder_id: str = BUILDER_ID
    target_branch: str = "main"
    base_image: str = ""  # the SBOM's base image; "" = the world's base image
    sbom_components: list[dict[str, Any]] = field(default_factory=list)
    built_digest: str = ""  # IMAGE_DIGEST reported by buildah; "" = the pushed image's
    report_ref: str = ""  # overrides the pushed report's reference in REPORTS
    source: dict[str, Any] | None = None  # the Snapshot component's source; None = the git one


@dataclass(frozen=True)
class Published:
    """A published build: the image pinned by digest and the Snapshot component for it."""

    ref: ImageReference
    component: Component


def _taskrun(
    name: str,
    bundle: str,
    params: Mapping[str, str],
    results: Mapping[str, str],
    status: str,
    branch: str,
) -> dict[str, Any]:
    """A TaskRun as Tekton Chains embeds it (base64) in SLSA v1 resolvedDependencies."""
    reason = "Succeeded" if status == "True" else "Failed"
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "TaskRun",
        "metadata": {
            "name": f"app-on-push-x7k2p-{name}",
            "labels": {
                "tekton.dev/pipelineTask": name,
                "tekton.dev/task": name,
                "tekton.dev/pipelineRun": "app-on-push-x7k2p",
                "appstudio.openshift.io/component": "app",
            },
            "annotations": {"build.appstudio.redhat.com/target_branch": branch},
        },
        "spec": {
            "params": [{"name": k, "value": v} for k, v in params.items()],
            "serviceAccountName": "build-pipeline-app",
            "taskRef": {
                "resolver": "bundles",
                "params": [
                    {"name": "name", "value": name},
                    {"name": "bundle", "value": bundle},
                    {"name": "kind", "value": "task"},
                ],
            },
        },
        "status": {
            "conditions": [{"type": "Succeeded", "status": status, "reason": reason}],
            "startTime": "2026-03-01T10:00:00Z",
            "completionTime": "2026-03-01T10:05:00Z",
            "podName": f"app-on-push-x7k2p-{name}-pod",
            "results": [{"name": k, "type": "string", "value": v} for k, v in results.items()],
            "steps": [
                {
                    "name": "run",
                    "container": "step-run",
                    "imageID": "registry.access.redhat.com/ubi9/ubi-minimal@sha256:" + "c3" * 32,
                    "terminated": {"exitCode": 0 if status == "True" else 1, "reason": reason},
                }
            ],
        },
    }


def provenance(build: Build, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The SLSA v1 predicate Chains writes for the PipelineRun (what `konflux attest` wraps)."""
    materials = (
        build.materials
        if build.materials is not None
        else [{"uri": f"git+{SOURCE_URL}.git", "digest": {"sha1": COMMIT}}]
    )
    # Chains also records the step images, pinned by digest: materials that are not sources.
    step_images = [
        {
            "uri": "oci://registry.access.redhat.com/ubi9/ubi-minimal",
            "digest": {"sha256": "c3" * 32},
        }
    ]
    deps = (
        list(materials)
        + step_images
        + [
            {
                "name": "pipelineTask",
                "uri": "oci://" + run["spec"]["taskRef"]["params"][1]["value"],
                "content": base64.b64encode(json.dumps(run).encode()).decode(),
            }
            for run in runs
        ]
    )
    params = {
        "git-url": SOURCE_URL,
        "revision": COMMIT,
        "output-image": "",
        "hermetic": "true",
        **build.pipeline_params,
    }
    return {
        "buildDefinition": {
            "buildType": "https://tekton.dev/chains/v2/slsa-tekton",
            "externalParameters": {
                "runSpec": {
                    "pipelineRef": {"name": "docker-build"},
                    "params": [{"name": k, "value": v} for k, v in params.items()],
                }
            },
            "internalParameters": {"tekton-pipelines-feature-flags": {"EnableAPIFields": "beta"}},
            "resolvedDependencies": deps,
        },
        "runDetails": {
            "builder": {"id": build.builder_id},
            "metadata": {
                "invocationID": "6d1f3f0e-0f0e-4c1b-9c53-0e7a1f2b3c4d",
                "startedOn": "2026-03-01T10:00:00Z",
                "finishedOn": "2026-03-01T10:06:00Z",
            },
        },
    }


def sbom(build: Build, base_image: str) -> dict[str, Any]:
    """A CycloneDX 1.5 SBOM naming the base image in `formulation`, as Konflux builds add it."""
    repository, _, digest = base_image.partition("@")
    name = repository.rsplit("/", 1)[-1]
    purl = f"pkg:oci/{name}@{digest or 'sha256:' + '0' * 64}?repository_url={repository}"
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "container", "name": "konflux-e2e/app"}},
        "components": [
            {
                "type": "library",
                "name": "gopkg.in/yaml.v3",
                "version": "v3.0.1",
                "purl": "pkg:golang/gopkg.in/yaml.v3@v3.0.1",
            },
            {
                "type": "library",
                "name": "openssl-libs",
                "version": "3.0.7-2.el9",
                "purl": "pkg:rpm/redhat/openssl-libs@3.0.7-2.el9?arch=x86_64",
            },
            *build.sbom_components,
        ],
        "formulation": [
            {
                "components": [
                    {
                        "type": "container",
                        "name": repository,
                        "purl": purl,
                        "properties": [
                            {"name": "konflux:container:is_base_image", "value": "true"}
                        ],
                    }
                ]
            }
        ],
    }


# -- the installation shared by builds -------------------------------------------------------


def _invoke(command: Any, args: list[str]) -> str:
    result = CliRunner().invoke(command, args)
    if result.exit_code != 0:
        raise ReleaseWorldError(
            f"konflux {command.name} {' '.join(args)} exited {result.exit_code}: "
            f"{result.stderr or result.output}{result.exception or ''}"
        )
    return result.stdout.strip()


def konflux_policy_resource(
    name: str, trusted_data: Path, host: str, rule_data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """deploy/policies/NAME.yaml with absolute source paths, the installation's trusted-tasks
    data as another data source, and the installation's base-image registry allowed."""
    resource = yaml.safe_load((POLICIES / f"{name}.yaml").read_text())
    for source in resource["spec"]["sources"]:
        source["policy"] = [str(ROOT / p) for p in source["policy"]]
        source["data"] = [str(ROOT / p) for p in source["data"]] + [str(trusted_data)]
        source["ruleData"] = {
            # The operator allows its own mirror of base images besides the defaults.
            "allowed_registry_prefixes": [
                "registry.access.redhat.com/",
                "registry.redhat.io/",
                f"{host}/base/",
            ],
            "disallowed_packages": [
                {"purl": "pkg:golang/github.com/example/leaky-logger", "max": "v1.4.2"}
            ],
            **(rule_data or {}),
        }
    return resource


@dataclass
class ReleaseWorld:
    """Task bundles, their trusted-tasks data, a base image, a signing key, the policy."""

    sync: SyncRegistry
    host: str
    workdir: Path
    bundles: dict[str, str] = field(default_factory=dict)  # task -> repo:tag@digest (trusted)
    untrusted_bundle: str = ""
    base_image: str = ""  # repo@digest
    signer: Signer = field(default_factory=Signer.generate)
    trusted_data: Path = Path()
    counter: int = 0

    # setup --------------------------------------------------------------------

    @property
    def public_pem(self) -> str:
        return self.signer.public_pem

    def setup(self) -> ReleaseWorld:
        # The public key as `konflux key generate` leaves it, for `--public-key FILE`.
        (self.workdir / "cosign.pub").write_text(self.signer.public_pem)
        self.trusted_data = self.workdir / "trusted"
        self.trusted_data.mkdir(exist_ok=True)
        data_file = self.trusted_data / "trusted_tasks.yml"
        data_file.write_text(
            "# Trusted by the e2e installation.\nrule_data:\n  trusted_tasks: {}\n"
        )
        for task in TASKS:
            ref = self.push_bundle(f"konflux-ci/tekton-catalog/task-{task}", task)
            self.track(ref)
            self.bundles[task] = f"{ref.context}:{ref.tag}@{ref.digest}"
        # The same task from somebody else's repository: never tracked.
        rogue = self.push_bundle("someone/tasks/task-buildah", "buildah")
        self.untrusted_bundle = f"{rogue.context}:{rogue.tag}@{rogue.digest}"
        base = self._push(
            parse_reference(f"{self.host}/base/ubi9/ubi:9.5"),
            build_image({"etc/os-release": b'NAME="UBI"\n'}, labels=BASE_LABELS),
        )
        self.base_image = f"{base.context}@{base.digest}"
        return self

    def _push(self, ref: ImageReference, image: Any) -> ImageReference:
        return self.sync.run(image.push(self.sync.client, ref))

    def track(self, bundle: ImageReference) -> str:
        """`konflux policy track-task` the bundle's tag into the trusted-tasks data."""
        data_file = self.trusted_data / "trusted_tasks.yml"
        return _invoke(track_task, [f"{bundle.context}:{bundle.tag}", "--data", str(data_file)])

    def push_bundle(self, repository: str, task: str) -> ImageReference:
        """A Tekton bundle: one layer holding the Task, annotated as `tkn bundle push` does."""
        definition = yaml.safe_dump(
            {
                "apiVersion": "tekton.dev/v1",
                "kind": "Task",
                "metadata": {"name": task},
                "spec": {"steps": [{"name": "run", "image": "registry.access.redhat.com/ubi9"}]},
            }
        ).encode()
        image = build_image(
            {task: definition},
            annotations={
                "dev.tekton.image.apiVersion": "v1",
                "dev.tekton.image.kind": "task",
                "dev.tekton.image.name": task,
                "nonce": secrets.token_hex(8),
            },
        )
        return self._push(parse_reference(f"{self.host}/{repository}:0.1"), image)

    # publishing a build ---------------------------------------------------------

    def publish(self, build: Build, name: str = "") -> Published:
        """Push, scan, sign and attest one build; its Snapshot component."""
        self.counter += 1
        repo = f"{self.host}/konflux-e2e/{name or 'app'}"
        image_ref = self._push(
            parse_reference(f"{repo}:build-{self.counter}"),
            build_image(
                {"usr/bin/app": secrets.token_bytes(128)},
                labels=build.labels,
                annotations={
                    BASE_NAME: self.base_image.split("@")[0],
                    BASE_DIGEST: self.base_image.split("@")[1],
                },
            ),
        )
        digest = str(image_ref.digest)
        report = {"vulnerabilities": {v.name: v.as_clair() for v in build.vulnerabilities}}
        blob = self.sync.run(
            self.sync.client.push_blob(
                image_ref,
                json.dumps(report).encode(),
                media_type="application/vnd.redhat.clair-report+json",
            )
        )
        report_ref = build.report_ref or f"{image_ref.context}@{blob.digest}"
        source_image = self._push(
            parse_reference(f"{repo}:{digest.replace(':', '-')}.src"),
            build_image({"sources/app.tar.gz": secrets.token_bytes(64)}),
        )
        results = {
            "git-clone": {"url": SOURCE_URL, "commit": COMMIT},
            "buildah": {
                "IMAGE_URL": f"{image_ref.context}:{image_ref.tag}",
                "IMAGE_DIGEST": build.built_digest or digest,
            },
            "run-tests": {"TEST_OUTPUT": json.dumps(build.test_output)},
            "clair-scan": {
                "REPORTS": json.dumps({digest: report_ref}),
                "TEST_OUTPUT": json.dumps({"result": "SUCCESS", "successes": 1}),
            },
            "source-build": {
                "SOURCE_IMAGE_URL": f"{source_image.context}:{source_image.tag}",
                "SOURCE_IMAGE_DIGEST": str(source_image.digest),
            },
        }
        params = {
            "git-clone": {"url": SOURCE_URL, "revision": COMMIT},
            "buildah": {
                "IMAGE": f"{image_ref.context}:{image_ref.tag}",
                "DOCKERFILE": "Containerfile",
                "HERMETIC": "true",
                "CONTEXT": ".",
            },
            "run-tests": {"image-digest": digest},
            "clair-scan": {"image-digest": digest, "image-url": image_ref.context},
            "source-build": {"BINARY_IMAGE": f"{image_ref.context}@{digest}"},
        }
        runs = [
            _taskrun(
                task,
                build.bundles.get(task, self.bundles[task]),
                {**params[task], **build.params.get(task, {})},
                {**results[task], **build.results.get(task, {})},
                build.statuses.get(task, "True"),
                build.target_branch,
            )
            for task in TASKS
            if task not in build.omit
        ]
        pinned = f"{image_ref.context}@{digest}"
        publisher = Publisher(self.sync)
        publisher.sign(image_ref, self.signer)
        publisher.attest(image_ref, self.signer, SLSA_PROVENANCE_V1, provenance(build, runs))
        base = build.base_image or self.base_image
        publisher.attest(image_ref, self.signer, CYCLONEDX, sbom(build, base))
        source = (
            build.source
            if build.source is not None
            else {"git": {"url": SOURCE_URL, "revision": COMMIT}}
        )
        return Published(image_ref, Component(name or "app", pinned, source))

    # validating -----------------------------------------------------------------

    def policy_file(self, name: str = "konflux", **rule_data: Any) -> Path:
        """The policy as a file, for `konflux validate image --policy`."""
        path = self.workdir / f"{name}-policy.yaml"
        resource = konflux_policy_resource(name, self.trusted_data, self.host, rule_data)
        path.write_text(yaml.safe_dump(resource))
        return path

    def policy(self, name: str = "konflux", **rule_data: Any) -> Policy:
        return load_policy(str(self.policy_file(name, **rule_data)))

    def validate(
        self, *components: Component, policy: Policy | None = None, when: datetime | None = None
    ) -> Report:
        """`validate image` of the components, through a fresh client (nothing cached from
        publishing: the report blob and configs are really read back from the registry)."""
        checks = ImageCheckSettings(
            trust=check_options(public_key=self.public_pem, ignore_rekor=True),
            key_pem=self.public_pem,
        )
        settings = Settings(effective_time=when or datetime.now(UTC))
        with SyncRegistry(insecure=[self.host]) as sync:
            validator = SnapshotValidator(policy or self.policy(), settings, sync, checks)
            return validator.validate(Snapshot("konflux-e2e", "", list(components)))


def target(report: Report, component: Component) -> TargetReport:
    return next(t for t in report.targets if t.name == component.name)


def codes(report: Report, kind: str = "violations") -> set[str]:
    return {r.code for t in report.targets for r in getattr(t.outcome, kind)}


def in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
