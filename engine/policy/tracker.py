"""`track bundle`: `ec`'s trusted-task tracking data (`trusted_tasks:` with `ref`/`expires_on`).

The format `ec track bundle` writes and Conforma's policies read as
`data.trusted_tasks`: each key (`oci://REPO:TAG` for a Tekton bundle holding a
Task, `git+URL//PATH` for a task file in git) lists records newest first;
the newest has no `expires_on`, older ones get `now (rounded to the day) +
in_effect_days` the first time they stop being newest. `--prune` drops
expired records; consecutive records with the same ref collapse into one.
Bundles are resolved to their digest through the one registry client, git
revisions with `git`. The output can be pushed as a data bundle (one layer
titled `data/data/trusted_tekton_tasks.yml`) that `ec` and conftest pull.
(`konflux policy track-task` keeps the older `rule_data.trusted_tasks` form.)
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from konflux.engine.errors import KonfluxError

TASK_KIND = "dev.tekton.image.kind"
DATA_FILE_TITLE = "data/data/trusted_tekton_tasks.yml"
OCI = "oci://"


class TrackerError(KonfluxError):
    """Tracking data could not be read, resolved or written."""


@dataclass
class Record:
    ref: str
    expires_on: datetime | None = None


def _parse_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise TrackerError(f"expires_on {value!r} is not an RFC 3339 time") from None


def read_tracking(text: str) -> dict[str, list[Record]]:
    """The records of tracking data (several YAML documents merge, as a pulled bundle's)."""
    tasks: dict[str, list[Record]] = {}
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise TrackerError(f"the tracking data is not valid YAML: {exc}") from None
    for doc in docs:
        if not isinstance(doc, dict):
            raise TrackerError("the tracking data must be a mapping with trusted_tasks")
        for key, records in (doc.get("trusted_tasks") or {}).items():
            if not isinstance(records, list):
                raise TrackerError(f"trusted_tasks[{key!r}] must be a list of records")
            tasks.setdefault(str(key), []).extend(
                Record(str(r.get("ref", "")), _parse_time(r.get("expires_on")))
                for r in records
                if isinstance(r, dict)
            )
    return tasks


def _scalar(value: str) -> str:
    dumped = yaml.safe_dump(value, default_flow_style=True, width=1 << 30).strip()
    return dumped.removesuffix("\n...").removesuffix("...").strip()


def render_tracking(tasks: dict[str, list[Record]]) -> str:
    """YAML as `ec` writes it: a document marker, sorted keys, quoted RFC 3339 times."""
    if not tasks:
        return "---\n{}\n"
    lines = ["---", "trusted_tasks:"]
    for key in sorted(tasks):
        lines.append(f"  {_scalar(key)}:")
        for r in tasks[key]:
            if r.expires_on is not None:
                when = r.expires_on.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                lines.append(f'    - expires_on: "{when}"')
                lines.append(f"      ref: {_scalar(r.ref)}")
            else:
                lines.append(f"    - ref: {_scalar(r.ref)}")
    return "\n".join(lines) + "\n"


def _collapse(records: list[Record], prune: bool, now: datetime) -> list[Record]:
    unique: list[Record] = []
    last = None
    for r in reversed(records):
        if r.ref == last:
            continue
        last = r.ref
        unique.insert(0, r)
    if not prune:
        return unique
    return [r for r in unique if r.expires_on is None or now < r.expires_on]


def _expire(records: list[Record], in_effect_days: int, now: datetime) -> None:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rounded = midnight + timedelta(days=1) if now - midnight >= timedelta(hours=12) else midnight
    for i, r in enumerate(records):
        if i == 0:
            r.expires_on = None
        elif r.expires_on is None:
            r.expires_on = rounded + timedelta(days=in_effect_days)


def _bundle_has_task(registry: Any, ref: Any) -> bool:
    manifest = registry.image_manifest(str(ref))
    return any(
        (layer.get("annotations") or {}).get(TASK_KIND) == "task"
        for layer in manifest.get("layers") or []
    )


def _git_url(url: str) -> tuple[str, str, str | None]:
    scheme = url.find("//")
    path_sep = url.rfind("//")
    if path_sep <= scheme:
        raise TrackerError(
            f'expected "{url}" to contain the `//` to separate the repository from the path, '
            "e.g. git+https://github.com/org/repository//task/0.1/task.yaml@f0cacc1a"
        )
    repository, rest = url[:path_sep], url[path_sep + 2 :]
    path, sep, rev = rest.partition("@")
    return repository, path, rev if sep else None


def latest_commit(repository: str, path: str) -> str:
    """The newest commit touching `path` in `repository` (a `git+URL`)."""
    with tempfile.TemporaryDirectory(prefix="konflux-track-") as tmp:
        url = repository.removeprefix("git+")
        try:
            subprocess.run(
                ["git", "clone", "--quiet", "--bare", "--filter=blob:none", url, tmp + "/r"],
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            )
            out = subprocess.run(
                ["git", "-C", tmp + "/r", "log", "-1", "--format=%H", "--", path],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout.strip()
        except subprocess.CalledProcessError as exc:
            raise TrackerError(f"{repository}: git failed: {exc.stderr.strip()}") from None
        except (subprocess.TimeoutExpired, FileNotFoundError) as exc:
            raise TrackerError(f"{repository}: git failed: {exc}") from None
    if not out:
        raise TrackerError(f'unable to find any commits for path: "{path}"')
    return out


def track(
    urls: list[str],
    existing: str = "",
    *,
    prune: bool = True,
    freshen: bool = False,
    in_effect_days: int = 60,
    registry: Any = None,
    now: datetime | None = None,
) -> str:
    """Add the bundles and git tasks in `urls` to the tracking data `existing`."""
    now = now or datetime.now(UTC)
    tasks = read_tracking(existing) if existing else {}
    images = [u for u in urls if not u.startswith("git+")]
    gits = [u for u in urls if u.startswith("git+")]
    if freshen:
        images += sorted({k.removeprefix(OCI) for k in tasks if k.startswith(OCI)})
        gits += [k for k in tasks if k.startswith("git+")]
    added: dict[str, list[Record]] = {}
    if images:
        from konflux.engine.oci import RegistryError, SyncRegistry, parse_reference

        own = registry is None
        registry = registry or SyncRegistry()
        try:
            for url in images:
                ref = parse_reference(url.removeprefix(OCI))
                pinned = registry.resolve(ref) if not ref.digest else ref
                if _bundle_has_task(registry, pinned):
                    key = f"{OCI}{ref.context}" + (f":{ref.tag}" if ref.tag else "")
                    added.setdefault(key, []).insert(0, Record(str(pinned.digest)))
        except (RegistryError, ValueError) as exc:
            raise TrackerError(str(exc)) from None
        finally:
            if own:
                registry.close()
    for url in gits:
        repository, path, rev = _git_url(url)
        if rev is None:
            if not freshen:
                raise TrackerError(
                    f'expected "{url}" to contain the revision information following the `@`, '
                    "e.g. git+https://github.com/org/repository//task/0.1/task.yaml@f0cacc1a, "
                    "to fetch the latest revision from a remote URL provide the --freshen "
                    "parameter"
                )
            rev = latest_commit(repository, path)
        added.setdefault(f"{repository}//{path}", []).insert(0, Record(rev))
    for key, records in added.items():
        tasks[key] = records + tasks.get(key, [])
    for key in list(tasks):
        tasks[key] = _collapse(tasks[key], prune, now)
        _expire(tasks[key], in_effect_days, now)
    return render_tracking(tasks)


async def pull_tracking(client: Any, ref: Any) -> str:
    """The tracking data of a data bundle: its OPA data layers joined as YAML documents."""
    from konflux.engine.policy.bundle import DATA_LAYER

    manifest = await client.get_manifest(ref)
    parts = []
    for layer in manifest.json.get("layers") or []:
        if layer.get("mediaType") == DATA_LAYER:
            parts.append((await client.get_blob(manifest.reference, layer["digest"])).decode())
    return "\n---\n".join(parts)


async def push_tracking(client: Any, ref: Any, text: str) -> Any:
    """Push tracking data as a data bundle (`data/data/trusted_tekton_tasks.yml`)."""
    from konflux.engine.policy.bundle import push_bundle

    with tempfile.TemporaryDirectory(prefix="konflux-track-") as tmp:
        target = Path(tmp) / DATA_FILE_TITLE
        target.parent.mkdir(parents=True)
        target.write_text(text, encoding="utf-8")
        return await push_bundle(client, tmp, ref, ref.tag or "latest")
