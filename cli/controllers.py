"""`konflux controllers`: run the kopf operators, and garbage-collect Snapshots."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from konflux.cli import options
from konflux.cli.command import Group
from konflux.controllers.constants import OPERATORS
from konflux.engine.errors import KonfluxError

if TYPE_CHECKING:
    from konflux.controllers.gates import Gates
    from konflux.kube.config import ClusterConfig


def cluster_config(kubeconfig: str | None, context: str | None) -> ClusterConfig:
    """The cluster configuration, or a click error naming what is wrong with it."""
    from konflux.kube.config import load_config
    from konflux.kube.errors import KubeError

    try:
        return load_config(kubeconfig, context)
    except KubeError as exc:
        raise click.ClickException(str(exc)) from exc


def load_gates(source: str | None, key: str | None) -> Gates:
    """The gates bundle (`--gates`, `--gates-key`), or a click error saying why not."""
    from konflux.cli.validate_image import public_key_pem
    from konflux.controllers.gates import Gates

    try:
        pem = public_key_pem(key) if key else None
        return Gates.load(source, key=pem)
    except KonfluxError as exc:
        raise click.ClickException(f"the controllers cannot start: {exc}") from exc


@click.group("controllers", cls=Group)
def controllers() -> None:
    """integration, release and build services as kopf operators driving Tekton, and the
    Chains-style signer (`--only chains`)."""


@controllers.command("run")
@options.CONTROLLERS_RUN
def run_command(
    only: str,
    namespaces: tuple[str, ...],
    kubeconfig: str | None,
    context: str | None,
    standalone: bool,
    peering_name: str,
    registry: str,
    pac_dir: str | None,
    chains_namespace: str,
    insecure: tuple[str, ...],
    gates: str | None,
    gates_key: str | None,
) -> None:
    """Run the operators until interrupted (Ctrl-C or SIGTERM stop them gracefully).

    The gates bundle is loaded first: one that cannot be read, verified or compiled stops
    the controllers before they start (fail closed)."""
    import asyncio

    from konflux.cli import interrupt
    from konflux.controllers.chains.config import ChainsOptions
    from konflux.controllers.operators import OperatorConfig

    chosen = [x.strip() for x in only.split(",") if x.strip()]
    unknown = sorted(set(chosen) - set(OPERATORS))
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown operator(s) {unknown}; choose from {', '.join(OPERATORS)}",
            param_hint="--only",
        )
    from pathlib import Path

    loaded = load_gates(gates, gates_key)
    click.echo(f"gates: {loaded.pinned} ({loaded.digest})", err=True)
    cluster = cluster_config(kubeconfig, context)
    config = OperatorConfig(
        gates=loaded,
        only=chosen,
        registry=registry,
        pac_dir=Path(pac_dir) if pac_dir else None,
        chains=ChainsOptions(namespace=chains_namespace, insecure_registries=insecure),
    )

    async def operate() -> None:
        from konflux.controllers.operators import preflight, run
        from konflux.kube.client import KubeClient

        async with KubeClient(cluster, timeout=30) as client:
            await preflight(client, chosen, namespaces)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        # Signals reach the main thread (`konflux.cli.interrupt`), which asks kopf to stop.
        with interrupt.graceful(lambda: loop.call_soon_threadsafe(stop.set)):
            await run(
                cluster,
                config,
                namespaces=namespaces,
                standalone=standalone,
                peering_name=peering_name,
                stop_flag=stop,
            )

    try:
        asyncio.run(operate())
    except KonfluxError as exc:
        raise click.ClickException(str(exc)) from exc


@controllers.command("gc-snapshots")
@options.GC_SNAPSHOTS
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
    import asyncio

    from konflux.controllers import constants as c
    from konflux.controllers.integration import RetentionPolicy, snapshots_to_delete

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


@click.group("dev", cls=Group)
def dev() -> None:
    """Local development flows."""


def _refuse_a_port_in_use(port: int) -> None:
    import errno
    import socket

    if port == 0:
        return
    with socket.socket() as probe:
        # as the console's server binds: a port left in TIME_WAIT is free, a listener is not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            reason = "the address is already in use" if exc.errno == errno.EADDRINUSE else exc
            raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {reason}") from None


@dev.command("simulate")
@options.DEV_SIMULATE
def simulate_command(
    failing: bool, forged: bool, output: str, with_console: bool, console_port: int
) -> None:
    """Build -> signer -> Snapshot -> tests -> Release -> managed pipeline, on a local
    registry and an emulated cluster; the managed run's `konflux validate image` decides
    the Release, trusting only the signer's key."""
    from konflux.testing import run_simulation

    if failing and forged:
        raise click.UsageError("--failing and --forged are separate scenarios: choose one")
    scenario = "forged" if forged else "failing" if failing else "default"
    hook = None
    if with_console:
        _refuse_a_port_in_use(console_port)  # before the run, not minutes into it
        from konflux.cli.web_console import until_interrupted
        from konflux.testing import simulation_console

        log = lambda msg: click.echo(msg, err=True)  # noqa: E731
        hook = simulation_console(console_port, log, until_interrupted)
    try:
        result = run_simulation(scenario, lambda msg: click.echo(msg, err=True), hook)
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
                    "signedBuilds": result.signed,
                    "production": result.production,
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
        pushed = ", ".join(result.production) or "nothing"
        click.echo(f"Production repository: {pushed} pushed")
    if not result.released:
        sys.exit(1)
