"""The `konflux` command line: a thin layer over `konflux.engine`.

Options are declared once, in `konflux.cli.options`; every command calls the
same engine functions the webhook and controllers use. Machine output goes
to stdout (or the file named in `--output FMT=PATH`); progress and errors go
to stderr. Command modules import the engine inside their functions, so
`konflux --help` and `--version` load click and little else.
"""

from __future__ import annotations

import sys

import click

from konflux import __version__
from konflux.cli import interrupt, options
from konflux.cli.command import Group


@click.group(cls=Group)
@click.version_option(__version__, prog_name="konflux")
@click.option("--debug", is_flag=True, help="Log debug details (and tracebacks) to stderr.")
@options.LIMIT
def cli(debug: bool, limit_settings: tuple[str, ...]) -> None:
    """Konflux: build, test and release OCI artifacts with every gate decided by policy."""
    import os

    from konflux.cli import go_flags
    from konflux.cli.console import configure_logging
    from konflux.engine import limits

    # Persistent flags (`ec`'s, anywhere on the line) start afresh for every invocation.
    go_flags.GLOBALS = go_flags.GlobalFlags(debug=debug)
    go_flags.reset()
    configure_logging(debug)
    try:
        from_env = limits.Limits.from_env(os.environ)
    except ValueError as exc:  # names the variable: not a `--limit` problem
        raise click.UsageError(str(exc)) from None
    try:
        limits.configure(from_env.with_settings(list(limit_settings)))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--limit") from None


def _register() -> None:
    from konflux.cli.bundle import bundle, track_task
    from konflux.cli.configtest import test
    from konflux.cli.controllers import controllers, dev
    from konflux.cli.demo import demo
    from konflux.cli.dev import dev_image, dev_registry
    from konflux.cli.init import init
    from konflux.cli.inspect import fetch, inspect, inspect_policy
    from konflux.cli.policy import policy
    from konflux.cli.supplychain import attest, key, sbom, sign
    from konflux.cli.task_steps import task
    from konflux.cli.track import track_group
    from konflux.cli.validate import validate
    from konflux.cli.validate_image import validate_image
    from konflux.cli.version import version
    from konflux.cli.vsa import validate_vsa
    from konflux.cli.web_console import console
    from konflux.cli.webhook import webhook

    validate.add_command(validate_image)
    validate.add_command(validate_vsa)
    policy.add_command(inspect_policy, "inspect")  # `ec inspect policy`, under both names
    policy.add_command(bundle)
    policy.add_command(track_task)
    dev.add_command(dev_registry)
    dev.add_command(dev_image)
    for command in (
        validate,
        policy,
        key,
        sign,
        attest,
        sbom,
        demo,
        webhook,
        controllers,
        dev,
        console,
    ):
        cli.add_command(command)
    # `ec`'s other commands, under `ec`'s names
    for command in (test, inspect, fetch, init, track_group, version, task):
        cli.add_command(command)


_register()

# Commands that run their own event loop with its own signal handling on the main thread.
MAIN_THREAD_COMMANDS = {("webhook", "serve")}


def _words(args: list[str]) -> tuple[str, ...]:
    """The first two command words (the value of a root `--limit` is not one)."""
    words = [
        a
        for i, a in enumerate(args)
        if not a.startswith("-") and (i == 0 or args[i - 1] != "--limit")
    ]
    return tuple(words[:2])


def _run(args: list[str]) -> None:
    try:
        cli.main(args, prog_name="konflux")
    except Exception as exc:  # a bug, or an OS error nothing above turned into a message
        if "--debug" in args:
            raise
        click.echo(f"Error: {_unexpected(exc)}", err=True)
        sys.exit(1)


def _unexpected(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    return (
        f"unexpected {type(exc).__name__}: {exc} (this is a bug; `konflux --debug ...` shows where)"
    )


def main() -> None:
    args = sys.argv[1:]
    if _words(args) in MAIN_THREAD_COMMANDS:
        _run(args)
    else:
        interrupt.run(lambda: _run(args))


if __name__ == "__main__":
    main()
