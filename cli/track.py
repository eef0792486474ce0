"""`konflux track bundle` (alias `track tekton-task`): `ec track bundle` with its flags."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from konflux.cli import options
from konflux.cli.command import Command, Group
from konflux.engine.errors import KonfluxError


def _split(values: tuple[str, ...]) -> list[str]:
    return [v for value in values for v in value.split(",") if v]


def _registry_io(ref_text: str, text: str | None = None) -> str:
    """Pull (text None) or push tracking data at `oci:REF`."""
    from konflux.engine.oci import SyncRegistry, parse_reference
    from konflux.engine.policy.tracker import pull_tracking, push_tracking

    ref = parse_reference(ref_text)
    with SyncRegistry() as registry:
        if text is None:
            return registry.run(pull_tracking(registry.client, ref))
        registry.run(push_tracking(registry.client, ref, text))
        return text


def _write(target: str, text: str) -> None:
    if target.startswith("oci:"):
        _registry_io(target.removeprefix("oci:"), text)
    else:
        Path(target).write_text(text, encoding="utf-8")


@click.command("bundle", cls=Command)
@options.TRACK_BUNDLE
def track_bundle(
    bundles: tuple[str, ...],
    gits: tuple[str, ...],
    input_: str,
    output: str,
    replace: bool,
    prune: bool,
    freshen: bool,
    in_effect_days: int,
) -> None:
    """Record which Tekton task bundles (and git tasks) are trusted, as `ec track bundle`."""
    from konflux.cli.command import Failed
    from konflux.engine.policy.tracker import track

    if not (bundles or gits or input_):
        raise click.UsageError(
            "at least one of the flags in the group [bundle git input] is required"
        )
    try:
        existing = ""
        if input_.startswith("oci:"):
            existing = _registry_io(input_.removeprefix("oci:"))
        elif input_:
            existing = Path(input_).read_text(encoding="utf-8")
        text = track(
            [*_split(bundles), *_split(gits)],
            existing,
            prune=prune,
            freshen=freshen,
            in_effect_days=in_effect_days,
        )
        if output:
            _write(output, text)
        else:
            sys.stdout.write(text)
        if replace and input_:
            _write(input_, text)
    except OSError as exc:
        raise Failed(f"{exc.filename}: {exc.strerror}") from None
    except (KonfluxError, ValueError) as exc:
        raise Failed(str(exc)) from None


@click.group("track", cls=Group)
def track_group() -> None:
    """Keep trusted-task data current (`ec track`)."""


track_group.add_command(track_bundle)
track_group.add_command(track_bundle, "tekton-task")
