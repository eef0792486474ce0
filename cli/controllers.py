"""`konflux controllers`: run the kopf operators, and garbage-collect Snapshots."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from konflux.cli import options
from konflux.cli.command import Group
from konflux.controllers.constants import OPERATORS
from konflux.engine.errors import KonfluxError


def connection(kubeconfig: str | None) -> Any:
    """In-cluster service account, else the kubeconfig (`--kubeconfig` or $KUBECONFIG)."""
    import kopf

    from konflux.controllers.errors import ControllerError

    if kubeconfig:
        os.environ["KUBECONFIG"] = kubeconfig
    settings = kopf.OperatorSettings()
    info = None if kubeconfig else kopf.login_with_service_account(settings=settings)
    try:
        info = info or kopf.login_with_kubeconfig(settings=settings)
    except OSError as exc:
        raise ControllerError(
            f"cannot read the kubeconfig {exc.filename or os.environ.get('KUBECONFIG')}: "
            f"{exc.strerror or exc}"
        ) from exc
    if info is None:
        raise ControllerError(
            "no Kubernetes credentials: not in a cluster and no kubeconfig "
            "(pass --kubeconfig or set KUBECONFIG)"
        )
    return info


@click.group("controllers", cls=Group)
def controllers() -> None:
    """integration, release and build services as kopf operators driving Tekton."""


@controllers.command("run")
@options.CONTROLLERS_RUN
def run_command(
    only: str,
    namespaces: tuple[str, ...],
    kubeconfig: str | None,
    standalone: bool,
    peering_name: str,
    registry: str,
    pac_dir: str | None,
) -> None:
    """Run the operators until interrupted (Ctrl-C or SIGTERM stop them gracefully)."""
    import asyncio

    from konflux.cli import interrupt
    from konflux.controllers.errors import ControllerError
    from konflux.controllers.operators import OperatorConfig, run

    chosen = [x.strip() for x in only.split(",") if x.strip()]
    unknown = sorted(set(chosen) - set(OPERATORS))
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown operator(s) {unknown}; choose from {', '.join(OPERATORS)}",
            param_hint="--only",
        )
    from pathlib import Path

    try:
        info = connection(kubeconfig)
    except ControllerError as exc:
        raise click.ClickException(str(exc)) from exc
    config = OperatorConfig(
        only=chosen, registry=registry, pac_dir=Path(pac_dir) if pac_dir else None
    )

    async def operate() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        # Signals reach the main thread (`konflux.cli.interrupt`), which asks kopf to stop.
        with interrupt.graceful(lambda: loop.call_soon_threadsafe(stop.set)):
            await run(
                info,
                config,
                namespaces=namespaces,
                standalone=standalone,
                peering_name=peering_name,
                stop_flag=stop,
            )

    asyncio.run(operate())


@controllers.command("gc-snapshots")
@options.GC_SNAPSHOTS
def gc_snapshots(
    namespaces: tuple[str, ...],
    kubeconfig: str | None,
    keep_push: int,
    keep_pr: int,
    keep_per_component: int,
    dry_run: bool,
    server: str | None,
) -> None:
    """Delete Snapshots the retention policy lets go; print them as JSON lines."""
    import asyncio

    import kopf

    from konflux.controllers import constants as c
    from konflux.controllers.errors import ControllerError
    from konflux.controllers.integration import RetentionPolicy, snapshots_to_delete
    from konflux.controllers.kube import KubeClient

    policy = RetentionPolicy(keep_push, keep_pr, keep_per_component)
    try:
        info = kopf.ConnectionInfo(server=server) if server else connection(kubeconfig)
    except ControllerError as exc:
        raise click.ClickException(str(exc)) from exc

    async def collect() -> list[tuple[str, str]]:
        client = KubeClient(info)
        try:
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
        finally:
            await client.close()

    for ns, name in asyncio.run(collect()):
        sys.stdout.write(json.dumps({"namespace": ns, "name": name, "deleted": not dry_run}) + "\n")


@click.group("dev", cls=Group)
def dev() -> None:
    """Local development flows."""


@dev.command("simulate")
@options.DEV_SIMULATE
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
