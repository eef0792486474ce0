"""`konflux controllers`: run the kopf operators, and garbage-collect Snapshots."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING

import click

from konflux.controllers import constants as c
from konflux.controllers.integration import RetentionPolicy, snapshots_to_delete
from konflux.controllers.operators import OPERATORS, OperatorConfig
from konflux.engine.errors import KonfluxError

if TYPE_CHECKING:
    from konflux.kube.config import ClusterConfig

KUBECONFIG_HELP = (
    "Kubeconfig file; default: $KUBECONFIG, then in-cluster, then ~/.kube/config "
    "(docs/kubernetes.md)."
)


def cluster_config(kubeconfig: str | None, context: str | None) -> ClusterConfig:
    """The cluster configuration, or a click error naming what is wrong with it."""
    from konflux.kube.config import load_config
    from konflux.kube.errors import KubeError

    try:
        return load_config(kubeconfig, context)
    except KubeError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("controllers")
def controllers() -> None:
    """integration, release and build services as kopf operators driving Tekton."""


@controllers.command("run")
@click.option(
    "--only",
    default=",".join(OPERATORS),
    show_default=True,
    help="Comma-separated operators to run: integration,release,build.",
)
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    help="Watch only this namespace (repeatable); default: cluster-wide.",
)
@click.option("--kubeconfig", type=click.Path(exists=True, dir_okay=False), help=KUBECONFIG_HELP)
@click.option("--context", default=None, help="Kubeconfig context; default: current-context.")
@click.option("--standalone", is_flag=True, help="No peering (leader election) with replicas.")
@click.option("--peering-name", default="konflux-controllers", show_default=True)
@click.option(
    "--registry",
    default="localhost:5000",
    show_default=True,
    help="OCI registry for new ImageRepositories.",
)
@click.option(
    "--pac-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write proposed .tekton/ PipelineRuns under this directory.",
)
def run_command(
    only: str,
    namespaces: tuple[str, ...],
    kubeconfig: str | None,
    context: str | None,
    standalone: bool,
    peering_name: str,
    registry: str,
    pac_dir: str | None,
) -> None:
    """Run the operators until interrupted."""
    chosen = [x.strip() for x in only.split(",") if x.strip()]
    unknown = sorted(set(chosen) - set(OPERATORS))
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown operator(s) {unknown}; choose from {', '.join(OPERATORS)}",
            param_hint="--only",
        )
    from pathlib import Path

    cluster = cluster_config(kubeconfig, context)
    config = OperatorConfig(
        only=chosen, registry=registry, pac_dir=Path(pac_dir) if pac_dir else None
    )

    async def operate() -> None:
        from konflux.controllers.operators import preflight, run
        from konflux.kube.client import KubeClient

        async with KubeClient(cluster, timeout=30) as client:
            await preflight(client, chosen, namespaces)
        await run(
            cluster, config, namespaces=namespaces, standalone=standalone, peering_name=peering_name
        )

    try:
        asyncio.run(operate())
    except KonfluxError as exc:
        raise click.ClickException(str(exc)) from exc


@controllers.command("gc-snapshots")
@click.option("--namespace", "namespaces", multiple=True, help="Only these namespaces.")
@click.option("--kubeconfig", type=click.Path(exists=True, dir_okay=False), help=KUBECONFIG_HELP)
@click.option("--context", default=None, help="Kubeconfig context; default: current-context.")
@click.option("--keep-push", default=RetentionPolicy.push, show_default=True)
@click.option("--keep-pr", default=RetentionPolicy.pull_request, show_default=True)
@click.option("--keep-per-component", default=RetentionPolicy.per_component, show_default=True)
@click.option("--dry-run", is_flag=True, help="Print what would be deleted; delete nothing.")
@click.option("--server", default=None, hidden=True, help="API URL without credentials (tests).")
def gc_snapshots(
    namespaces: tuple[str, ...],
    kubeconfig: str | None,
    context: str | None,
    keep_push: int,
    keep_pr: int,
    keep_per_component: int,
    dry_run: bool,
    server: str | None,
) -> None:
    """Delete Snapshots the retention policy lets go; print them as JSON lines."""
    policy = RetentionPolicy(keep_push, keep_pr, keep_per_component)
    from konflux.kube.client import KubeClient
    from konflux.kube.config import ClusterConfig

    cluster = ClusterConfig.for_server(server) if server else cluster_config(kubeconfig, context)

    async def collect() -> list[tuple[str, str]]:
        async with KubeClient(cluster) as client:
            spaces = list(namespaces) or [None]
            snaps, rels = [], []
            for ns in spaces:
                snaps += await client.list(c.SNAPSHOT, ns)
                rels += await client.list(c.RELEASE, ns)
            doomed = snapshots_to_delete(snaps, rels, policy)
            if not dry_run:
                for ns, name in doomed:
                    await client.delete(c.SNAPSHOT, ns, name)
            return doomed

    try:
        doomed = asyncio.run(collect())
    except KonfluxError as exc:
        raise click.ClickException(str(exc)) from exc
    for ns, name in doomed:
        sys.stdout.write(json.dumps({"namespace": ns, "name": name, "deleted": not dry_run}) + "\n")


@click.group("dev")
def dev() -> None:
    """Local development flows."""


@dev.command("simulate")
@click.option(
    "--failing",
    is_flag=True,
    help="Include the component that violates the policy (tests informational); "
    "the managed pipeline's policy check then fails the Release.",
)
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def simulate_command(failing: bool, output: str) -> None:
    """Build -> Snapshot -> tests -> Release -> managed pipeline, on a local registry and an
    emulated cluster; the managed run's `konflux validate image` decides the Release."""
    from konflux.controllers.simulate import run_simulation

    try:
        result = run_simulation(failing, lambda msg: click.echo(msg, err=True))
    except (KonfluxError, TimeoutError) as exc:
        raise click.ClickException(str(exc)) from exc
    if output == "json":
        click.echo(
            json.dumps(
                {
                    "snapshot": result.snapshot,
                    "testOutput": result.test_output,
                    "release": result.release,
                    "conditions": result.conditions,
                    "released": result.released,
                },
                indent=2,
            )
        )
    else:
        click.echo(result.report)
        click.echo(f"Snapshot {result.snapshot}: test {result.test_output.get('result')}")
        if result.release:
            for ctype, cond in sorted(result.conditions.items()):
                click.echo(
                    f"Release {result.release}: {ctype}={cond['status']} "
                    f"({cond.get('reason')}) {cond.get('message', '')}".rstrip()
                )
        else:
            click.echo("No Release: the Snapshot's required tests failed.")
    if not result.released:
        sys.exit(1)
