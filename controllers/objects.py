"""Pure helpers over Kubernetes objects as plain dicts, and the actions reconcilers return.

Reconcile functions never talk to the API: they take current objects and return an
`Actions` value (objects to create, merge patches to apply). The I/O edge
(`konflux.controllers.operators.apply`, over `konflux.kube.client`) applies it. Keeping
this boundary is what lets every rule be unit-tested without a cluster and every create
be keyed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from konflux.controllers import constants as c
from konflux.kube.resources import Resource

Obj = dict[str, Any]


@dataclass(frozen=True)
class Create:
    """Create `body` unless an object with the same key exists (409 is not an error)."""

    resource: Resource
    body: Obj


@dataclass(frozen=True)
class Patch:
    """A JSON merge patch of one object; `status=True` targets the status subresource."""

    resource: Resource
    namespace: str | None
    name: str
    patch: Obj
    status: bool = False


@dataclass
class Actions:
    """What one reconcile wants done, in order."""

    creates: list[Create] = field(default_factory=list)
    patches: list[Patch] = field(default_factory=list)
    deletes: list[tuple[Resource, str | None, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.creates or self.patches or self.deletes)

    def extend(self, other: Actions) -> None:
        self.creates.extend(other.creates)
        self.patches.extend(other.patches)
        self.deletes.extend(other.deletes)


def meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def name_of(obj: Obj) -> str:
    return str(meta(obj).get("name", ""))


def namespace_of(obj: Obj) -> str:
    return str(meta(obj).get("namespace", ""))


def labels_of(obj: Obj) -> dict[str, str]:
    return dict(meta(obj).get("labels") or {})


def annotations_of(obj: Obj) -> dict[str, str]:
    return dict(meta(obj).get("annotations") or {})


def conditions_of(obj: Obj) -> list[Obj]:
    return list((obj.get("status") or {}).get("conditions") or [])


def condition(obj: Obj, ctype: str) -> Obj | None:
    for cond in conditions_of(obj):
        if cond.get("type") == ctype:
            return cond
    return None


def now_rfc3339(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_condition(
    conditions: list[Obj],
    ctype: str,
    status: bool | str,
    reason: str,
    message: str = "",
    now: datetime | None = None,
) -> list[Obj]:
    """Conditions with `ctype` set; the transition time moves only when the status changes."""
    status_s = status if isinstance(status, str) else ("True" if status else "False")
    result: list[Obj] = []
    found = False
    for cond in conditions:
        if cond.get("type") != ctype:
            result.append(cond)
            continue
        found = True
        changed = cond.get("status") != status_s
        result.append(
            {
                "type": ctype,
                "status": status_s,
                "reason": reason,
                "message": message,
                "lastTransitionTime": now_rfc3339(now)
                if changed
                else cond.get("lastTransitionTime", now_rfc3339(now)),
            }
        )
    if not found:
        result.append(
            {
                "type": ctype,
                "status": status_s,
                "reason": reason,
                "message": message,
                "lastTransitionTime": now_rfc3339(now),
            }
        )
    return result


def same_conditions(a: list[Obj], b: list[Obj]) -> bool:
    """Equal ignoring transition times (so an unchanged status patches nothing)."""

    def strip(conds: list[Obj]) -> list[Obj]:
        return sorted(
            ({k: v for k, v in x.items() if k != "lastTransitionTime"} for x in conds),
            key=lambda x: str(x.get("type")),
        )

    return strip(a) == strip(b)


def owner_reference(resource: Resource, obj: Obj, controller: bool = True) -> Obj:
    return {
        "apiVersion": resource.api_version,
        "kind": resource.kind,
        "name": name_of(obj),
        "uid": meta(obj).get("uid", ""),
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def dns_name(*parts: str, limit: int = 63) -> str:
    """`parts` joined by '-', shortened with a stable hash suffix when longer than `limit`."""
    name = "-".join(p for p in parts if p).lower()
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


# --- Tekton PipelineRuns ---------------------------------------------------------------------


def run_outcome(run: Obj) -> str:
    """'Succeeded', 'Failed' or 'Running' from a PipelineRun's `Succeeded` condition."""
    cond = condition(run, c.SUCCEEDED_CONDITION)
    if cond is None or cond.get("status") == "Unknown":
        return "Running"
    return "Succeeded" if cond.get("status") == "True" else "Failed"


def run_results(run: Obj) -> dict[str, Any]:
    """PipelineRun results by name (`status.results`, Tekton v1)."""
    return {
        str(r.get("name")): r.get("value")
        for r in (run.get("status") or {}).get("results") or []
        if r.get("name")
    }


def task_results(taskruns: list[Obj], name: str) -> list[Any]:
    """Every value of result `name` over a PipelineRun's TaskRuns (Tekton labels them
    `tekton.dev/pipelineRun`; v1 PipelineRuns do not carry task results themselves)."""
    return [
        r.get("value")
        for tr in taskruns
        for r in (tr.get("status") or {}).get("results") or []
        if r.get("name") == name
    ]


def parse_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
