"""The `konflux` command line: a thin layer over `konflux.engine`.

Flags and defaults are declared once here; every command calls the same
engine functions the webhook and controllers use. Machine output goes to
stdout (or the file named in `--output FMT=PATH`); progress and errors go to
stderr.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from konflux import __version__
from konflux.cli.cluster_refs import load_policy_ref
from konflux.engine import (
    KonfluxError,
    Settings,
    parse_effective_time,
    read_inputs,
    render,
    run_tests,
    validate_inputs,
)
from konflux.engine.evaluation import FILTER_TYPES
from konflux.engine.output.formats import INPUT_FORMATS, OutputTarget, error_document

stderr = Console(stderr=True)


class Failed(click.ClickException):
    """An error already explained to the user: exit 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        stderr.print(f"[bold red]Error:[/] {self.message}", highlight=False, soft_wrap=True)


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KonfluxError as exc:
            raise Failed(escape(str(exc))) from None

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def parse_targets(
    specs: tuple[str, ...], formats: tuple[str, ...], default: str = "text"
) -> list[OutputTarget]:
    try:
        return [OutputTarget.parse(s, formats, default) for s in specs] or [OutputTarget(default)]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--output") from None


def emit_reports(report: Any, targets: list[OutputTarget], *, per_target_options: bool) -> None:
    """Write every requested format; colour only for a terminal on stdout."""
    color = _use_color()
    for t in targets:
        shown = t.apply(report) if per_target_options else report
        _emit(render(shown, t.format, color=color and t.path is None), t.path)


def emit_error(targets: list[OutputTarget], prefix: str, exc: Exception) -> None:
    """The TEST_OUTPUT error document for appstudio targets, so a pipeline task still reports."""
    for t in targets:
        if t.format in ("appstudio", "hacbs"):
            doc = error_document(prefix, exc, datetime.now(UTC))
            _emit(json.dumps(doc, separators=(",", ":")) + "\n", t.path)


def _emit(text: str, path: str | None) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _use_color() -> bool:
    if any(os.environ.get(v) for v in ("NO_COLOR", "EC_NO_COLOR")):
        return False
    return sys.stdout.isatty()


@click.group()
@click.version_option(__version__, prog_name="konflux")
@click.option("--debug", is_flag=True, help="Log debug details to stderr.")
def cli(debug: bool) -> None:
    """Konflux: build, test and release OCI artifacts with every gate decided by policy."""
    from konflux.cli import logs

    logs.configure(logging.DEBUG if debug else logging.WARNING)


@cli.group()
def validate() -> None:
    """Validate inputs or policies."""


@validate.command("input")
@click.argument("files", nargs=-1)
@click.option("--file", "-f", "extra_files", multiple=True, hidden=True)
@click.option(
    "--policy",
    "-p",
    "policy_ref",
    required=True,
    help="Policy: file, inline JSON/YAML or git URL.",
)
@click.option(
    "--output",
    "-o",
    "outputs",
    multiple=True,
    metavar="FORMAT[=PATH]",
    help=f"Report format, repeatable: {', '.join(INPUT_FORMATS)}. Default text.",
)
@click.option(
    "--strict/--no-strict",
    default=True,
    show_default=True,
    help="Exit 1 when any input has a violation.",
)
@click.option(
    "--effective-time",
    default="now",
    show_default=True,
    help="now, RFC3339 or YYYY-MM-DD.",
)
@click.option(
    "--allow-past-effective-time", is_flag=True, help="Accept an effective time in the past."
)
@click.option("--info", is_flag=True, help="Include all rule metadata in the report.")
@click.option("--show-successes", is_flag=True)
@click.option("--show-warnings/--no-show-warnings", default=True, show_default=True)
@click.option("--workers", default=5, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--extra-rule-data",
    multiple=True,
    metavar="KEY=VALUE",
    help="Merged into every source's ruleData.",
)
@click.option(
    "--filter-type",
    type=click.Choice(FILTER_TYPES),
    default=FILTER_TYPES[0],
    show_default=True,
    help="ec-policy also filters rules by ruleData pipeline_intention.",
)
@click.option("--server", "server_mode", is_flag=True, help="Serve ec's HTTP API instead.")
@click.option("--server-address", default="127.0.0.1", show_default=True, help="Bind address.")
@click.option("--server-port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@_guard
def validate_input(
    files: tuple[str, ...],
    extra_files: tuple[str, ...],
    policy_ref: str,
    outputs: tuple[str, ...],
    strict: bool,
    effective_time: str,
    allow_past_effective_time: bool,
    info: bool,
    show_successes: bool,
    show_warnings: bool,
    workers: int,
    extra_rule_data: tuple[str, ...],
    filter_type: str,
    server_mode: bool,
    server_address: str,
    server_port: int,
) -> None:
    """Validate input files (JSON/YAML) against a policy."""
    targets = parse_targets(outputs, INPUT_FORMATS)
    args = list(files) + [f for group in extra_files for f in group.split(",")]
    if server_mode:
        if args:
            raise click.UsageError("--server does not take input files")
        from konflux.cli.input_server import run_input_server

        return run_input_server(
            policy_ref,
            effective_time=effective_time,
            allow_past=allow_past_effective_time,
            extra_rule_data=_rule_data(extra_rule_data),
            filter_type=filter_type,
            info=info,
            show_successes=show_successes,
            show_warnings=show_warnings,
            address=server_address,
            port=server_port,
        )
    if not args:
        raise click.UsageError("at least one input file must be given")
    try:
        when = parse_effective_time(effective_time, allow_past=allow_past_effective_time)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--effective-time") from None
    settings = Settings(
        effective_time=when,
        extra_rule_data=_rule_data(extra_rule_data),
        filter_type=filter_type,
    )
    try:
        policy = load_policy_ref(policy_ref)
        inputs = read_inputs(args)
        with Progress(console=stderr, transient=True, disable=not stderr.is_terminal) as bar:
            task = bar.add_task("Evaluating", total=len(inputs))
            report = validate_inputs(
                policy,
                inputs,
                settings,
                workers=workers,
                info=info,
                show_successes=show_successes,
                show_warnings=show_warnings,
                progress=lambda: bar.advance(task),
            )
    except KonfluxError as exc:
        emit_error(targets, "validating input", exc)
        raise
    # `ec validate input` ignores per-target ?show-* options; so do we.
    emit_reports(report, targets, per_target_options=False)
    if strict and not report.success:
        raise Failed("success criteria not met")


def _rule_data(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, pair in enumerate(p for group in pairs for p in group.split(",")):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"incorrect syntax for --extra-rule-data {i}: use key=value")
        path = Path(value)
        out[key] = (
            path.read_text()
            if path.suffix in {".json", ".yaml", ".yml"} and path.is_file()
            else value
        )
    return out


@validate.command("policy")
@click.argument("policy_ref")
@_guard
def validate_policy(policy_ref: str) -> None:
    """Check a policy against the EnterpriseContractPolicy schema."""
    policy = load_policy_ref(policy_ref)
    click.echo(
        f"{policy.origin}: valid EnterpriseContractPolicy spec ({len(policy.sources)} sources)"
    )


@cli.group()
def policy() -> None:
    """Work with Rego policies: test and inspect them."""


@policy.command("test")
@click.argument("paths", nargs=-1)
@click.option(
    "--run",
    "-r",
    "run_filter",
    help="Only tests whose data.<pkg>.<name> matches REGEX.",
)
@click.option("--data", "-d", multiple=True, help="Data file or directory, merged at the root.")
@click.option("--coverage", is_flag=True, help="Report line coverage per file.")
@click.option("--threshold", type=float, default=0.0, help="Fail if coverage is below PCT.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--verbose", "-v", is_flag=True, help="List every test, not only failures.")
@_guard
def policy_test(
    paths: tuple[str, ...],
    run_filter: str | None,
    data: tuple[str, ...],
    coverage: bool,
    threshold: float,
    fmt: str,
    verbose: bool,
) -> None:
    """Run Rego tests (`test_*` rules) with `opa test` semantics."""
    if run_filter:
        try:
            re.compile(run_filter)
        except re.error as exc:
            raise click.BadParameter(str(exc), param_hint="--run") from None
    with Progress(console=stderr, transient=True, disable=not stderr.is_terminal) as bar:
        task = bar.add_task("Testing", total=None)
        report = run_tests(
            list(paths or ["."]),
            list(data),
            run=run_filter,
            coverage=coverage or threshold > 0,
            progress=lambda n: bar.advance(task, n),
        )
    from konflux.cli.test_output import render_json, render_text

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


def _register() -> None:
    from konflux.cli.bundle import bundle, track_task
    from konflux.cli.configtest import test
    from konflux.cli.controllers import controllers, dev
    from konflux.cli.demo import demo
    from konflux.cli.init import init
    from konflux.cli.inspect import fetch, inspect, inspect_policy
    from konflux.cli.supplychain import attest, key, sbom, sign
    from konflux.cli.task_steps import task
    from konflux.cli.track import track_group
    from konflux.cli.validate_image import validate_image
    from konflux.cli.version import version
    from konflux.cli.vsa import validate_vsa
    from konflux.cli.webhook import webhook

    validate.add_command(validate_image)
    validate.add_command(validate_vsa)
    policy.add_command(bundle)
    policy.add_command(track_task)
    policy.add_command(inspect_policy, "inspect")
    for command in (key, sign, attest, sbom, demo, webhook, controllers, dev):
        cli.add_command(command)
    for command in (test, inspect, fetch, init, track_group, task, version):
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="konflux")


if __name__ == "__main__":
    main()
