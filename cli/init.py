"""`konflux init policies`: a minimal policy to start from (`ec init policies`)."""

from __future__ import annotations

from pathlib import Path

import click

from konflux.cli import options
from konflux.cli.command import Group

# One annotated rule that never denies: `konflux test` and `validate input` report it as
# a success, so a new policy directory is runnable the moment it exists.
SAMPLE_POLICY = """\
# A starting point: one rule that never fails.
package main

# METADATA
# title: Allow rule
# description: This rule will never fail
# custom:
#   short_name: acceptor
#   failure_msg: Always succeeds
#   solution: Easy
#   collections:
#   - A
deny contains result if {
\tfalse
\tresult := "Never denies"
}
"""


@click.group("init", cls=Group)
def init() -> None:
    """Create starting points (`ec init`)."""


@init.command("policies")
@options.INIT_POLICIES
def init_policies(dest_dir: str) -> None:
    """Write a minimal policy (one never-failing rule) to DEST-DIR/sample.rego or stdout."""
    if not dest_dir:
        click.echo(SAMPLE_POLICY, nl=False)
        return
    directory = Path(dest_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "sample.rego").write_text(SAMPLE_POLICY, encoding="utf-8")
    except OSError as exc:
        from konflux.cli.command import Failed

        raise Failed(f"cannot write {directory / 'sample.rego'}: {exc.strerror}") from None
