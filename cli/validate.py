"""`konflux validate input` and `konflux validate policy` (`validate image`: `validate_image`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from konflux.cli import options
from konflux.cli.command import Failed, Group, ReportCommand
from konflux.engine.choices import INPUT_FORMATS


@click.group(cls=Group)
def validate() -> None:
    """Validate inputs, images or policies against an EnterpriseContractPolicy."""


class ValidateInputCommand(ReportCommand):
    activity = "validating input"


@validate.command("input", cls=ValidateInputCommand)
@options.VALIDATE_INPUT
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
    color: bool,
    no_color: bool,
    show_policy_docs_link: bool,
) -> None:
    """Validate input files (JSON/YAML), or inline documents, against a policy.

    FILES are JSON or YAML files, directories (every file directly inside), or
    inline JSON/YAML. With --server, serve ec's HTTP API for the policy instead.
    """
    from konflux.cli.cluster_refs import load_policy_ref
    from konflux.cli.outputs import parse_targets, write_error_documents, write_reports
    from konflux.cli.progress import ProgressDisplay
    from konflux.engine import KonfluxError, Settings, read_inputs, validate_inputs

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
            extra_rule_data=rule_data(extra_rule_data),
            filter_type=filter_type,
            info=info,
            show_successes=show_successes,
            show_warnings=show_warnings,
            address=server_address,
            port=server_port,
        )
    if not args:
        raise click.UsageError("at least one input file must be given")
    settings = Settings(
        effective_time=effective_time_option(effective_time, allow_past_effective_time),
        extra_rule_data=rule_data(extra_rule_data),
        filter_type=filter_type,
    )
    try:
        policy = load_policy_ref(policy_ref)
        inputs = read_inputs(args)
        with ProgressDisplay("inputs") as progress:
            report = validate_inputs(
                policy,
                inputs,
                settings,
                workers=workers,
                info=info,
                show_successes=show_successes,
                show_warnings=show_warnings,
                progress=progress,
            )
    except KonfluxError as exc:
        write_error_documents(list(outputs), "validating input", exc)
        raise
    # `ec validate input` ignores per-target ?show-* options; so do we.
    report.show_policy_docs_link = show_policy_docs_link
    colour = color_choice(color, no_color)
    write_reports(targets, lambda t: render(report, t.format, t.path, colour))
    if strict and not report.success:
        raise Failed("success criteria not met")


def render(report: Any, fmt: str, path: str | None, color: bool | None = None) -> str:
    """A report in one format; coloured for a terminal stdout (or as --color/--no-color say)."""
    from konflux.cli.console import use_color
    from konflux.engine import render as render_report

    if color is None:
        color = path is None and use_color()
    return render_report(report, fmt, color=color)


def color_choice(color: bool, no_color: bool) -> bool | None:
    """`ec`'s --color / --no-color (no-color wins); None: decide by the terminal."""
    if no_color:
        return False
    return True if color else None


def effective_time_option(value: str, allow_past: bool) -> Any:
    """`--effective-time` as a time, or a usage error naming the option."""
    from konflux.engine import parse_effective_time

    try:
        return parse_effective_time(value, allow_past=allow_past)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--effective-time'") from None


def _bad_rule_data(index: int, entry: str) -> str:
    return f"incorrect syntax for --extra-rule-data {index}: {entry!r} is not KEY=VALUE"


def rule_data(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`--extra-rule-data KEY=VALUE`, repeatable or comma-separated; a .json/.yaml VALUE is read.

    Every malformed entry is reported, numbered as `ec` numbers them and named (which `ec`
    does not do); empty ones are skipped.
    """
    out: dict[str, Any] = {}
    entries = [p for group in pairs for p in group.split(",") if p]
    bad = [i for i, pair in enumerate(entries) if not pair.partition("=")[1]]
    if bad:
        raise Failed("\n".join(_bad_rule_data(i, entries[i]) for i in bad))
    for pair in entries:
        key, _, value = pair.partition("=")
        if not key:
            raise Failed(_bad_rule_data(entries.index(pair), pair))
        path = Path(value)
        out[key] = (
            path.read_text()
            if path.suffix in {".json", ".yaml", ".yml"} and path.is_file()
            else value
        )
    return out


@validate.command("policy")
@options.VALIDATE_POLICY
def validate_policy(policy_ref: str | None, policy_option: str | None) -> None:
    """Check a policy against the EnterpriseContractPolicy schema (nothing is fetched)."""
    from konflux.cli.cluster_refs import load_policy_ref

    if bool(policy_ref) == bool(policy_option):
        raise click.UsageError("give the policy once: POLICY or --policy POLICY")
    policy = load_policy_ref(policy_ref or policy_option or "")
    click.echo(
        f"{policy.origin}: valid EnterpriseContractPolicy spec ({len(policy.sources)} sources)"
    )
