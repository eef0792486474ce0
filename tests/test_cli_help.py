"""`--help` for every option, never a word split across lines; startup loads only click."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from konflux.cli.main import cli


def commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


ALL = list(commands())


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_option_has_help(path, command):
    undocumented = [
        p.opts[0]
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden and not (p.help or "").strip()
    ]
    assert undocumented == []
    assert (command.help or "").strip(), "the command itself needs a description"


@pytest.mark.parametrize("width", [60, 80, 100])
@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_never_breaks_a_word(path, command, width):
    ctx = command.context_class(command, info_name=" ".join(path), terminal_width=width)
    text = command.get_help(ctx)
    lines = text.splitlines()
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        for word in (param.help or "").split():
            assert any(word in line for line in lines), f"{word!r} is split in:\n{text}"
        record = param.get_help_record(ctx)
        extra = record[1][record[1].find("[") :] if record and "[" in record[1] else ""
        if extra:  # "[default: ...]" stays on one line
            assert any(extra.split("]")[0] in line for line in lines), text


def test_startup_imports_only_what_help_needs():
    heavy = ["jsonschema", "aiohttp", "opa_bindings", "kopf", "cryptography", "rich", "yaml"]
    heavy += ["asyncio", "konflux.engine.evaluation"]
    code = (
        "import sys, json; import konflux.cli.main; "
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert json.loads(done.stdout) == []


def test_gc_snapshots_defaults_are_the_retention_policys():
    from konflux.controllers.integration import RetentionPolicy

    gc = cli.commands["controllers"].commands["gc-snapshots"]
    defaults = {p.name: p.default for p in gc.params}
    policy = RetentionPolicy()
    assert (defaults["keep_push"], defaults["keep_pr"], defaults["keep_per_component"]) == (
        policy.push,
        policy.pull_request,
        policy.per_component,
    )


def test_retry_defaults_are_the_registry_clients():
    from konflux.engine.oci import RetryPolicy

    image = cli.commands["validate"].commands["image"]
    defaults = {p.name: p.default for p in image.params}
    policy = RetryPolicy()
    assert [defaults[f"retry_{n}"] for n in ("max_retry", "duration", "factor", "jitter")] + [
        defaults["retry_max_wait"]
    ] == [policy.max_retry, policy.duration, policy.factor, policy.jitter, policy.max_wait]
