"""`konflux task reduce-snapshot|pin-policy-bundle`: the helper steps of `verify-conforma`.

Upstream's task runs two shell scripts from `ec`'s image (hack/reduce-snapshot.sh and
hack/pin-konflux-policy-bundle.sh, with kubectl and jq); these commands do the same
with the same environment variables, through the one Kubernetes client.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from konflux.cli.command import Command, Group
from konflux.engine.errors import KonfluxError

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
ECP_REF = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(/[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$")
RELEASE_POLICY = "oci::quay.io/conforma/release-policy:konflux"
TYPE_LABEL = "test.appstudio.openshift.io/type"
COMPONENT_LABEL = "appstudio.openshift.io/component"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _fail(message: str) -> click.ClickException:
    from konflux.cli.command import Failed

    return Failed(message)


def _resource_for(kind: str) -> Any:
    """kubectl's names (and short names) for the kinds a build or test run is."""
    from konflux.kube import resources as r

    kinds = {
        ("pr", "pipelinerun", "pipelineruns"): r.PIPELINE_RUN,
        ("tr", "taskrun", "taskruns"): r.TASK_RUN,
        ("snapshot", "snapshots"): r.SNAPSHOT,
        ("release", "releases"): r.RELEASE,
    }
    for names, resource in kinds.items():
        if kind.lower() in names:
            return resource
    raise KonfluxError(f"unsupported resource kind {kind!r} (use pr/NAME or taskrun/NAME)")


def _labels(custom_resource: str, namespace: str) -> dict[str, str]:
    import asyncio

    from konflux.cli.cluster_refs import ClusterRefs
    from konflux.kube.client import KubeClient

    kind, _, name = custom_resource.partition("/")
    resource = _resource_for(kind)
    refs = ClusterRefs()
    ns = namespace or refs.config().namespace

    async def read() -> Any:
        async with KubeClient(refs.config(), timeout=30.0) as client:
            return await client.get(resource, ns, name)

    obj = asyncio.run(read())
    if obj is None:
        raise KonfluxError(f'{resource.kind} "{name}" not found in namespace "{ns}"')
    return dict((obj.get("metadata") or {}).get("labels") or {})


def reduced(spec: dict[str, Any], component: str) -> dict[str, Any]:
    """The spec with only `component` (exactly one must be left)."""
    kept = [c for c in spec.get("components") or [] if c.get("name") == component]
    if len(kept) != 1:
        raise KonfluxError(
            f"Reduced Snapshot has {len(kept)} components. It should contain 1\n"
            f"       Verify that the Snapshot contains the built component: {component}"
        )
    return {**spec, "components": kept}


@click.command("reduce-snapshot", cls=Command)
def reduce_snapshot() -> None:
    """Write $SNAPSHOT (file, Snapshot name or inline JSON) to $SNAPSHOT_PATH, reduced to the
    built component when $SINGLE_COMPONENT is true and $CUSTOM_RESOURCE says which."""
    snapshot, target = _env("SNAPSHOT"), _env("SNAPSHOT_PATH")
    if not target:
        raise _fail("SNAPSHOT_PATH is not set")
    try:
        if Path(snapshot).is_file():
            text = Path(snapshot).read_text(encoding="utf-8")
        elif len(snapshot) <= 63 and DNS_LABEL.match(snapshot):
            from konflux.cli.cluster_refs import ClusterRefs

            text = json.dumps(ClusterRefs().snapshot_spec(snapshot))
        else:
            text = snapshot
        try:
            spec = json.loads(text)
        except ValueError:
            raise _fail("JSON is invalid") from None
        single = _env("SINGLE_COMPONENT")
        click.echo(f"Single Component mode? {single}")
        if single == "true":
            labels = _labels(_env("CUSTOM_RESOURCE"), _env("CUSTOM_RESOURCE_NAMESPACE"))
            kind, component = labels.get(TYPE_LABEL, ""), labels.get(COMPONENT_LABEL, "")
            click.echo(f"SNAPSHOT_CREATION_TYPE: {kind}")
            click.echo(f"SNAPSHOT_CREATION_COMPONENT: {component}")
            if kind == "component" and component:
                spec = reduced(spec, component)
    except KonfluxError as exc:
        raise _fail(str(exc)) from None
    out = json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(out, encoding="utf-8")
    sys.stdout.write(out)


@click.command("pin-policy-bundle", cls=Command)
def pin_policy_bundle() -> None:
    """Pin the policy's oci::quay.io/conforma/release-policy:konflux source to
    $POLICY_BUNDLE_DIGEST, writing $HOME/policy-with-pinned-bundle.yaml."""
    digest, ref = _env("POLICY_BUNDLE_DIGEST"), _env("POLICY_CONFIGURATION")
    if not digest:
        click.echo("POLICY_BUNDLE_DIGEST is empty, skipping policy bundle digest override.")
        return
    digest = digest if digest.startswith("sha256:") else f"sha256:{digest}"
    click.echo(f"Applying policy bundle digest override: {digest}")
    try:
        if ref.startswith("{"):
            text = ref
        elif Path(ref).is_file():
            text = Path(ref).read_text(encoding="utf-8")
        elif ECP_REF.match(ref):
            from konflux.cli.cluster_refs import ClusterRefs

            text = json.dumps(ClusterRefs().policy_spec(ref))
        else:
            click.echo(f"Unsupported POLICY_CONFIGURATION format: {ref}")
            click.echo("Policy bundle digest pinning is not supported for this format, skipping.")
            return
    except KonfluxError as exc:
        raise _fail(f"Failed to get EnterpriseContractPolicy: {ref}: {exc}") from None
    if RELEASE_POLICY not in text:
        click.echo(f"'{RELEASE_POLICY}' not found in policy configuration, nothing to do.")
        return
    if f"{RELEASE_POLICY}@sha256:" in text:
        click.echo(f"'{RELEASE_POLICY}' already has a pinned digest, skipping override.")
        return
    replacement = f"oci::quay.io/conforma/release-policy@{digest}"
    text = text.replace(RELEASE_POLICY, replacement)
    click.echo(f"Replaced: {RELEASE_POLICY}\n    with: {replacement}")
    path = Path(_env("HOME", ".")) / "policy-with-pinned-bundle.yaml"
    path.write_text(text, encoding="utf-8")
    click.echo(f"Modified policy written to: {path}")


@click.group("task", cls=Group)
def task() -> None:
    """Helper steps of the verify-conforma Tekton task."""


task.add_command(reduce_snapshot)
task.add_command(pin_policy_bundle)
