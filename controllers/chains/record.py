"""The run as Tekton recorded it when it finished: what provenance is built from.

A `RunRecord` is a PipelineRun with its child TaskRuns (found by
`status.childReferences`, as Chains finds them), or a lone TaskRun, copied at the
signer's first observation of the finished run and kept in the signer's own namespace
(`state`). Provenance is built from that copy only, never from the live objects again:
a tenant who edits its PipelineRun's results after it finished (or removes the
`signed` annotation to get it signed again) changes nothing the signer attests.

Pure: objects in, a record and its stored bytes out.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from konflux.controllers import constants as c
from konflux.controllers.objects import Obj, condition

PIPELINE_RUN, TASK_RUN = c.PIPELINE_RUN.kind, c.TASK_RUN.kind
# A ConfigMap holds at most 1 MiB; leave room for its metadata.
MAX_STORED_BYTES = 900_000
_KEPT_METADATA = ("name", "namespace", "uid", "labels", "annotations", "creationTimestamp")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class RecordError(ValueError):
    """The run cannot be recorded (incomplete, malformed or too large); says why."""


def succeeded(run: Mapping[str, Any]) -> bool:
    cond = condition(dict(run), c.SUCCEEDED_CONDITION)
    return cond is not None and cond.get("status") == "True"


def finished(run: Mapping[str, Any]) -> bool:
    cond = condition(dict(run), c.SUCCEEDED_CONDITION)
    return cond is not None and cond.get("status") in ("True", "False")


def taskrun_complete(taskrun: Mapping[str, Any]) -> bool:
    status = taskrun.get("status") or {}
    return bool(status.get("completionTime")) or finished(taskrun)


def child_taskruns(run: Mapping[str, Any]) -> list[str]:
    """Names of a PipelineRun's TaskRuns, in the order Tekton lists them."""
    refs = (run.get("status") or {}).get("childReferences") or []
    return [
        str(r["name"])
        for r in refs
        if isinstance(r, Mapping) and r.get("kind", TASK_RUN) == TASK_RUN and r.get("name")
    ]


def _kept(obj: Mapping[str, Any]) -> Obj:
    meta = obj.get("metadata") or {}
    kept_meta = {k: meta[k] for k in _KEPT_METADATA if k in meta}
    # The signer's own annotations are output, not input (Chains drops them too).
    annotations = {
        k: v
        for k, v in (meta.get("annotations") or {}).items()
        if not k.startswith(c.CHAINS_PREFIX) and k != _LAST_APPLIED
    }
    kept_meta["annotations"] = annotations
    return {
        "apiVersion": obj.get("apiVersion", f"{c.TEKTON}/v1"),
        "kind": obj.get("kind", ""),
        "metadata": kept_meta,
        "spec": obj.get("spec") or {},
        "status": obj.get("status") or {},
    }


@dataclass(frozen=True)
class RunRecord:
    """A finished run and (for a PipelineRun) its TaskRuns, as recorded."""

    run: Obj
    taskruns: tuple[Obj, ...] = field(default=())

    @property
    def kind(self) -> str:
        return str(self.run.get("kind"))

    @property
    def uid(self) -> str:
        return str((self.run.get("metadata") or {}).get("uid", ""))

    @property
    def status(self) -> Obj:
        return self.run.get("status") or {}

    @property
    def results(self) -> list[Any]:
        return list(self.status.get("results") or [])

    def taskruns_of(self, pipeline_task: str) -> list[Obj]:
        return [
            tr
            for tr in self.taskruns
            if ((tr.get("metadata") or {}).get("labels") or {}).get(c.TEKTON_PIPELINE_TASK_LABEL)
            == pipeline_task
        ]

    def to_json(self) -> bytes:
        doc = {"run": self.run, "taskRuns": list(self.taskruns)}
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.to_json()).hexdigest()

    def encode(self) -> str:
        """gzip + base64, for a ConfigMap's `binaryData`."""
        data = base64.b64encode(gzip.compress(self.to_json(), mtime=0)).decode()
        if len(data) > MAX_STORED_BYTES:
            raise RecordError(
                f"the run's record is {len(data)} bytes compressed (at most {MAX_STORED_BYTES})"
            )
        return data


def record_run(run: Mapping[str, Any], taskruns: Iterable[Mapping[str, Any]] = ()) -> RunRecord:
    """The record of a finished run; `taskruns` are the PipelineRun's children by name."""
    if not finished(run):
        raise RecordError("the run has not finished")
    if run.get("kind") == PIPELINE_RUN:
        by_name = {str((t.get("metadata") or {}).get("name")): t for t in taskruns}
        ordered = []
        for name in child_taskruns(run):
            if name not in by_name:
                raise RecordError(f"its TaskRun {name} is missing")
            if not taskrun_complete(by_name[name]):
                raise RecordError(f"its TaskRun {name} has not finished")
            ordered.append(_kept(by_name[name]))
        return RunRecord(_kept(run), tuple(ordered))
    if run.get("kind") == TASK_RUN:
        return RunRecord(_kept(run))
    raise RecordError(f"not a Tekton run: kind {run.get('kind')!r}")


def decode_record(text: str) -> RunRecord:
    """The record `RunRecord.encode` stored; RecordError when it is not one."""
    try:
        doc = json.loads(gzip.decompress(base64.b64decode(text, validate=True)))
        run, taskruns = doc["run"], doc["taskRuns"]
    except (ValueError, KeyError, TypeError, OSError, EOFError) as exc:
        raise RecordError(f"the stored record is unreadable: {exc}") from exc
    if not isinstance(run, dict) or not isinstance(taskruns, list):
        raise RecordError("the stored record is not a run record")
    return RunRecord(run, tuple(t for t in taskruns if isinstance(t, dict)))
