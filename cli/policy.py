"""`konflux policy test` and `konflux policy inspect` (`bundle`, `track-task`: `cli.bundle`)."""

from __future__ import annotations

import re
from typing import Any

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


@policy.command("inspect")
@options.POLICY_INSPECT
def policy_inspect(
    sources: tuple[str, ...],
    policy_ref: str | None,
    fmt: str,
    rule_filter: str | None,
    package_filter: str | None,
    collection_filter: str | None,
) -> None:
    """List the rules of policy sources with their metadata, and what is wrong with them.

    Warnings (to stderr) name rules without a usable custom.short_name and result
    codes that name another package; a syntax error fails the command.
    """
    from konflux.cli.console import stderr
    from konflux.cli.inspect_output import render_inspection
    from konflux.engine import load_policy
    from konflux.engine.policy.files import load_paths
    from konflux.engine.policy.lint import lint
    from konflux.engine.policy.sources import fetch
    from konflux.engine.rules import rules_of

    if bool(sources) == bool(policy_ref):
        raise click.UsageError("give either --source (repeatable) or --policy")
    urls = list(sources) or [u for s in load_policy(policy_ref or "").sources for u in s.policy]
    by_source = {}
    errors = []
    for url in urls:
        files = load_paths([fetch(url)])
        modules = [m for m in files.modules if not m.path.endswith("_test.rego")]
        for finding in lint(modules):
            if finding.error:
                errors.append(str(finding))
            else:
                stderr().print(
                    f"[yellow]Warning:[/] {_escape(str(finding))}", highlight=False, soft_wrap=True
                )
        rules = rules_of(modules).values()
        by_source[url] = [
            r
            for r in sorted(rules, key=lambda r: r.code)
            if _rule_matches(r, rule_filter, package_filter, collection_filter)
        ]
    if errors:
        raise Failed("\n".join(errors))
    click.echo(render_inspection(by_source, fmt), nl=False)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _rule_matches(rule: Any, rule_f: str | None, pkg_f: str | None, coll_f: str | None) -> bool:
    if not (rule_f or pkg_f or coll_f):
        return True
    return bool(
        (rule_f and rule_f in {rule.code, f"{rule.package}.{rule.short_name}", rule.short_name})
        or (pkg_f and pkg_f == rule.package)
        or (coll_f and coll_f in rule.collections)
    )
