"""`konflux policy test` (`inspect`: `cli.inspect`; `bundle`, `track-task`: `cli.bundle`)."""

from __future__ import annotations

import re

import click

from konflux.cli import options
from konflux.cli.command import Failed, Group


@click.group(cls=Group)
def policy() -> None:
    """Work with Rego policies: test, inspect, bundle them."""


@policy.command("test")
@options.POLICY_TEST
def policy_test(
    paths: tuple[str, ...],
    run_filter: str | None,
    data: tuple[str, ...],
    coverage: bool,
    threshold: float,
    fmt: str,
    verbose: bool,
) -> None:
    """Run Rego tests (`test_*` rules) with `opa test` semantics.

    PATHs are .rego files, data files or directories (default: the current directory).
    """
    from konflux.cli.progress import ProgressDisplay
    from konflux.cli.test_output import render_json, render_text
    from konflux.engine import run_tests
    from konflux.kube.names import names_document

    if run_filter:
        try:
            re.compile(run_filter)
        except re.error as exc:
            raise click.BadParameter(str(exc), param_hint="'--run'") from None
    with ProgressDisplay("tests") as progress:
        report = run_tests(
            list(paths or ["."]),
            list(data),
            run=run_filter,
            coverage=coverage or threshold > 0,
            progress=progress,
            # The names the admission rules and gates read (data.kube.names), as their
            # callers hand them in.
            documents=[names_document()],
        )
    click.echo(
        render_json(report) if fmt == "json" else render_text(report, verbose=verbose),
        nl=False,
    )
    total = len(report.results)
    if total == 0:
        raise Failed("no tests found")
    if not report.success:
        raise Failed(
            f"{report.count('FAIL')} failed, {report.count('ERROR')} errored of {total} tests"
        )
    if report.coverage is not None and report.coverage["coverage"] < threshold:
        raise Failed(f"coverage {report.coverage['coverage']}% is below the threshold {threshold}%")
