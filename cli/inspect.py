"""`konflux inspect policy|policy-data` and `konflux fetch policy`, as `ec` has them.

`inspect policy` is also `konflux policy inspect`. Sources are fetched with the
one source fetcher and named pinned (`git::host/path?ref=<commit>`,
`oci::repo@sha256:...`), as `ec` names what it downloaded.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from konflux.cli import options
from konflux.cli.command import Command, Group
from konflux.engine.errors import KonfluxError

if TYPE_CHECKING:  # the engine is imported when a command runs (startup stays light)
    from konflux.engine.policy.inspect import AnnotationRef

INSPECT_FORMATS = ("json", "text", "names", "short-names", "markdown")
DATA_FORMATS = ("json", "yaml")
DATA_SUFFIXES = (".json", ".yaml", ".yml")


def _fail(message: str) -> click.ClickException:
    from konflux.cli.command import Failed

    return Failed(message)


def unique_dir(url: str) -> str:
    """`ec`'s per-source directory name: the first 9 hex digits of SHA-224 of the URL."""
    return hashlib.sha224(url.encode()).hexdigest()[:9]


def _download(url: str, dest: Path, kind: str, show: bool = False) -> tuple[Path, str]:
    """Fetch a source into `dest/<kind>/<unique>` (ec's layout); (directory, pinned URL)."""
    from konflux.engine.policy.sources import fetch_pinned

    target = dest / kind / unique_dir(url)
    if show:
        click.echo(f"Downloading {url} to {target}")
    with tempfile.TemporaryDirectory(prefix="konflux-fetch-") as work:
        fetched = fetch_pinned(url, Path(work))
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if fetched.path.is_dir():
            shutil.copytree(fetched.path, target, symlinks=True)
        else:
            target.mkdir()
            shutil.copy2(fetched.path, target / fetched.path.name)
    return target, fetched.pinned


def _markdown(ref: AnnotationRef) -> str:
    if ref.annotation is None or ref.annotation.scope != "rule":
        return ""
    info = ref.info()
    custom = ref.annotation.custom
    lines = [f"### `{info['code']}` ({info['kind']})", "", f"**{info['title']}**", ""]
    lines += [info["description"], ""]
    if custom.get("failure_msg"):
        lines.append(f"- Failure message: `{custom['failure_msg']}`")
    if custom.get("solution"):
        lines.append(f"- Solution: {custom['solution']}")
    if info["collections"]:
        lines.append(f"- Collections: {', '.join(info['collections'])}")
    if custom.get("effective_on"):
        lines.append(f"- Effective on: {custom['effective_on']}")
    return "\n".join(lines) + "\n\n"


def _matches(ref: AnnotationRef, rule: str | None, package: str | None, coll: str | None) -> bool:
    if not (rule or package or coll):
        return True
    info = ref.info()
    return bool(
        (
            rule
            and rule
            in {info["code"], f"{info['package']}.{info['short_name']}", info["short_name"]}
        )
        or (package and package == info["package"])
        or (coll and coll in info["collections"])
    )


def render_inspection(
    by_source: dict[str, list[AnnotationRef]], fmt: str, local: dict[str, str] | None = None
) -> str:
    from konflux.engine.policy.inspect import text_entry

    if fmt == "json":
        # ec: a Go map encoded by encoding/json (sorted keys), one line.
        doc = {src: [r.to_json() for r in refs] for src, refs in sorted(by_source.items())}
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"
    out = []
    for src, refs in sorted(by_source.items()):
        if fmt == "text":
            out.append(f"# Source: {src}\n\n")
        elif fmt == "markdown":
            out.append(f"## Source: {src}\n\n")
        root = (local or {}).get(src)
        if fmt == "markdown":
            out += [_markdown(r) for r in refs]
        else:
            out += [text_entry(r, fmt, local_root=root) for r in refs]
    return "".join(out)


def _policy_urls(policy_ref: str) -> list[str]:
    from konflux.cli.cluster_refs import load_policy_ref

    return [u for s in load_policy_ref(policy_ref).sources for u in s.policy]


@click.command("policy", cls=Command)
@options.INSPECT_POLICY
def inspect_policy(
    sources: tuple[str, ...],
    policy_ref: str | None,
    dest: str | None,
    fmt: str,
    rule_filter: str | None,
    package_filter: str | None,
    collection_filter: str | None,
) -> None:
    """Read policy sources and list the rules in them, as `ec inspect policy`.

    Warnings (to stderr) name rules that would silently misbehave: no usable
    custom.short_name, a result code naming another package; a syntax error fails the
    command.
    """
    from konflux.engine.policy.inspect import (
        NO_REGO_FILES,
        inspect_dir,
        no_rego_files_message,
    )
    from konflux.engine.policy.sources import fetch_pinned

    if sources and policy_ref:
        raise click.UsageError(
            "if any flags in the group [policy source] are set none of the others can be; "
            "[policy source] were all set"
        )
    if not (sources or policy_ref):
        raise click.UsageError("give either --source (repeatable) or --policy")
    if fmt not in INSPECT_FORMATS:
        raise _fail(
            f"invalid value for --output '{fmt}'. accepted values: {', '.join(INSPECT_FORMATS)}"
        )
    urls = _policy_urls(policy_ref) if policy_ref else list(sources)
    by_source = {}
    local: dict[str, str] = {}  # pinned url -> directory, for sources on this machine
    with tempfile.TemporaryDirectory(prefix="konflux-inspect-") as work:
        for url in urls:
            if dest:
                directory, pinned = _download(url, Path(dest), "policy")
            else:
                fetched = fetch_pinned(url, Path(work))
                directory, pinned = fetched.path, fetched.pinned
            _lint(directory)
            try:
                refs = inspect_dir(directory)
            except KonfluxError as exc:
                if str(exc) == NO_REGO_FILES:
                    raise _fail(no_rego_files_message(url)) from None
                raise
            by_source[pinned] = [
                r for r in refs if _matches(r, rule_filter, package_filter, collection_filter)
            ]
            if pinned.startswith("file::"):
                local[pinned] = str(directory)
    sys.stdout.write(render_inspection(by_source, fmt, local))


def _lint(directory: Path) -> None:
    """The authoring checks of `engine.policy.lint`: warnings to stderr, errors fail."""
    from rich.markup import escape

    from konflux.cli.console import stderr
    from konflux.engine.policy.files import load_paths
    from konflux.engine.policy.lint import lint

    modules = [m for m in load_paths([directory]).modules if not m.path.endswith("_test.rego")]
    errors = []
    for finding in lint(modules):
        if finding.error:
            errors.append(str(finding))
        else:
            stderr().print(
                f"[yellow]Warning:[/] {escape(str(finding))}", highlight=False, soft_wrap=True
            )
    if errors:
        raise _fail("\n".join(errors))


def merged_data(directories: list[Path]) -> dict[str, Any]:
    """Every JSON/YAML document's top-level keys, merged; a repeated key is `ec`'s merge error."""
    import yaml

    data: dict[str, Any] = {}
    for directory in directories:
        files = [directory] if directory.is_file() else sorted(directory.rglob("*"))
        for path in files:
            if not path.is_file() or path.suffix.lower() not in DATA_SUFFIXES:
                continue
            try:
                doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise _fail(f"{path.name}: {exc}") from None
            if not isinstance(doc, dict):
                raise _fail(f"{path.name}: a data document must be a mapping")
            for key, value in doc.items():
                if key in data:
                    raise _fail(f"Merge error. The '{key}' key was found more than once!")
                data[key] = value
    return data


@click.command("policy-data", cls=Command)
@options.INSPECT_POLICY_DATA
def inspect_policy_data(sources: tuple[str, ...], dest: str | None, fmt: str) -> None:
    """Read data sources and show the merged data (`ec inspect policy-data`)."""
    import yaml

    if fmt not in DATA_FORMATS:
        raise _fail(
            f"invalid value for --output '{fmt}'. accepted values: {', '.join(DATA_FORMATS)}"
        )
    with tempfile.TemporaryDirectory(prefix="konflux-inspect-") as work:
        root = Path(dest) if dest else Path(work)
        data = merged_data([_download(url, root, "policy")[0] for url in sources])
    if fmt == "yaml":
        click.echo(yaml.safe_dump(data, sort_keys=True, allow_unicode=True))
    else:
        click.echo(json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False))


@click.group("inspect", cls=Group)
def inspect() -> None:
    """Show what policy and data sources hold (`ec inspect`)."""


inspect.add_command(inspect_policy)
inspect.add_command(inspect_policy_data)


@click.command("policy", cls=Command)
@options.FETCH_POLICY
def fetch_policy(
    sources: tuple[str, ...], data_sources: tuple[str, ...], dest: str, work_dir: bool
) -> None:
    """Download policy and data sources into DEST/policy/<id> and DEST/data/<id>."""
    root = Path(tempfile.mkdtemp(prefix="ec-work-")) if work_dir else Path(dest)
    try:
        for url in sources:
            _download(url, root, "policy", show=True)
        for url in data_sources:
            _download(url, root, "data", show=True)
    except OSError as exc:  # the destination: a file in the way, no permission, a full disk
        where = exc.filename or root
        raise _fail(f"cannot write to {where}: {exc.strerror or exc}") from None


@click.group("fetch", cls=Group)
def fetch() -> None:
    """Download policy sources (`ec fetch`)."""


fetch.add_command(fetch_policy)
