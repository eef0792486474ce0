"""`konflux test`: `ec test` (conftest's `test`) with its flags, outputs and exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from konflux.cli import options
from konflux.cli.command import Command

OUTPUTS = ("stdout", "json", "tap", "table", "junit", "github", "azuredevops", "sarif", "appstudio")


def _split(values: tuple[str, ...]) -> list[str]:
    """cobra string-slice flags: repeatable and comma-separated."""
    return [v for value in values for v in value.split(",") if v]


def _write(text: str, path: str) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


@click.command("test", cls=Command)
@options.TEST
def test(
    paths: tuple[str, ...],
    policies: tuple[str, ...],
    data: tuple[str, ...],
    namespaces: tuple[str, ...],
    all_namespaces: bool,
    combine: bool,
    output: str,
    fail_on_warn: bool,
    no_fail: bool,
    no_color: bool,
    suppress_exceptions: bool,
    quiet: bool,
    parser: str,
    ignore: str,
    junit_hide_message: bool,
    rego_version: str,
) -> None:
    """Test configuration files against Rego policies, as `ec test` / `conftest test`."""
    from konflux.cli.command import Failed
    from konflux.cli.console import stderr
    from konflux.engine.configtest import ConftestError, ConftestOptions, run_conftest
    from konflux.engine.output import checks

    fmt, _, path = output.partition("=")
    if fmt not in OUTPUTS:
        fmt = "stdout"  # conftest falls back to its standard output for unknown formats
    if fmt == "sarif":
        raise click.BadParameter("sarif output is not supported by konflux test", param_hint="-o")
    if rego_version.lower() != "v1":
        raise click.BadParameter(
            f"invalid Rego version: {rego_version} (only v1 is supported)",
            param_hint="--rego-version",
        )
    if not paths:
        raise Failed("missing required arguments")
    options = ConftestOptions(
        policy=_split(policies) or ["policy"],
        data=_split(data),
        namespaces=_split(namespaces) or ["main"],
        all_namespaces=all_namespaces,
        combine=combine,
        parser=parser,
        ignore=ignore,
    )
    try:
        results = run_conftest(list(paths), options)
    except ConftestError as exc:
        if fmt != "appstudio":
            raise Failed(f"running test: {exc}") from None
        # ec: the TEST_OUTPUT document still goes out; --no-fail also forgives the error.
        _write(checks.appstudio_error("running test", exc), path)
        if no_fail:
            stderr().print(
                f"Error: running test: {exc}", markup=False, highlight=False, soft_wrap=True
            )
            return
        raise Failed(f"running test: {exc}") from None
    failed = any(r.failures for r in results)
    warned = any(r.warnings for r in results)
    code = (2 if failed else 1 if warned else 0) if fail_on_warn else (1 if failed else 0)
    if not quiet or code:
        if fmt == "appstudio":
            text = checks.appstudio(results, options.namespaces)
        elif fmt == "stdout":
            # conftest colours unless told not to, terminal or not; NO_COLOR is honoured too.
            color = not no_color and not os.environ.get("NO_COLOR")
            text = checks.standard(results, color, suppress_exceptions)
        elif fmt == "junit":
            text = checks.junit(results, junit_hide_message)
        else:
            text = checks.FORMATS[fmt](results)
        _write(text, path)
        if no_fail:
            return
    if code:
        sys.exit(code)
