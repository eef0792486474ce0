"""SLSA provenance of a recorded run, in Tekton Chains' formats.

- `slsa/v1` (alias `in-toto`): an in-toto v0.1 statement with a SLSA **v0.2** predicate
  (Chains pkg/chains/formats/slsa/v1): `buildType` `tekton.dev/v1/PipelineRun`,
  `invocation` (params with their defaults, labels, annotations, the config source),
  `buildConfig.tasks[]` (per executed pipeline task: its `ref` as the Pipeline
  declared it, its TaskRun's times, status, steps with their image digests,
  `invocation` whose `configSource` is the resolved bundle/git digest, and results),
  `metadata` and `materials` (pipeline and task sources, step and sidecar images, the
  git commit from `CHAINS-GIT_URL`/`CHAINS-GIT_COMMIT`, `ARTIFACT_INPUTS`).
- `slsa/v2alpha3`, `slsa/v2alpha4`: an in-toto v1 statement with a SLSA **v1.0**
  predicate (Chains pkg/chains/formats/slsa/v2alpha3/4): `buildDefinition`
  (`externalParameters.runSpec`, `internalParameters`, `resolvedDependencies` with one
  `pipelineTask` entry per TaskRun carrying its resolved digest, and with the
  `slsa-tekton` build type the TaskRun itself, base64) and `runDetails` (builder,
  metadata, `byproducts` = the run's results).

Everything is read from the `RunRecord`, nothing from the tenant's tasks beyond their
recorded results. One difference from Chains, on purpose: Chains silently leaves out a
TaskRun whose recorded steps do not line up with its spec; here such a task stays in
with the steps that can be read (a task must never vanish from a provenance, it could
be the one that failed). Pure.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from konflux.controllers.chains import artifacts as hints
from konflux.controllers.chains.artifacts import Artifact
from konflux.controllers.chains.config import (
    BUILD_TYPE_SLSA_TEKTON,
    FORMAT_SLSA_V02,
    FORMAT_SLSA_V1_ALPHA4,
    ChainsConfig,
)
from konflux.controllers.chains.record import PIPELINE_RUN, RunRecord
from konflux.controllers.objects import Obj

STATEMENT_V01 = "https://in-toto.io/Statement/v0.1"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_V1 = "https://slsa.dev/provenance/v1"
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class ProvenanceError(ValueError):
    """The record cannot be turned into provenance (says which object and why)."""


def statement(record: RunRecord, config: ChainsConfig) -> dict[str, Any]:
    """The provenance statement of `record` in the format configured for its kind."""
    fmt = config.pipelinerun_format if record.kind == PIPELINE_RUN else config.taskrun_format
    if fmt == FORMAT_SLSA_V02:
        return slsa_v02(record, config)
    return slsa_v1(record, config, step_results=fmt == FORMAT_SLSA_V1_ALPHA4)


def subjects(record: RunRecord, config: ChainsConfig) -> list[Artifact]:
    """The run's artifacts; with deep inspection also its TaskRuns' (Chains' SubjectDigests)."""
    found: list[Artifact] = []
    if record.kind == PIPELINE_RUN and config.deep_inspection:
        for tr in _executed(record):
            found += hints.subjects((tr.get("status") or {}).get("results") or [])
    found += hints.subjects(record.results)
    return hints.dedupe(found)


# --- shared pieces ------------------------------------------------------------------------


def _meta(obj: Mapping[str, Any]) -> Obj:
    return obj.get("metadata") or {}


def _spec(obj: Mapping[str, Any]) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Mapping[str, Any]) -> Obj:
    return obj.get("status") or {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _ref_source(obj: Mapping[str, Any]) -> Obj | None:
    source = (_status(obj).get("provenance") or {}).get("refSource")
    return source if isinstance(source, dict) and source else None


def _invocation(obj: Mapping[str, Any], params: Iterable[Any], specs: Iterable[Any]) -> Obj:
    """Chains' attest.Invocation: config source, parameters (defaults, then values),
    and the labels and annotations (without Chains' own)."""
    source = _ref_source(obj) or {}
    config_source = {
        k: v
        for k, v in {
            "uri": source.get("uri"),
            "digest": source.get("digest"),
            "entryPoint": source.get("entryPoint"),
        }.items()
        if v
    }
    parameters: dict[str, Any] = {}
    for spec in specs:
        if isinstance(spec, Mapping) and "default" in spec and spec.get("name"):
            parameters[str(spec["name"])] = spec["default"]
    for param in params:
        if isinstance(param, Mapping) and param.get("name"):
            parameters[str(param["name"])] = param.get("value")
    environment: dict[str, Any] = {}
    annotations = {
        k: v
        for k, v in (_meta(obj).get("annotations") or {}).items()
        if k != _LAST_APPLIED and not k.startswith("chains.tekton.dev/")
    }
    if annotations:
        environment["annotations"] = annotations
    if _meta(obj).get("labels"):
        environment["labels"] = _meta(obj)["labels"]
    out: Obj = {"configSource": config_source, "parameters": parameters}
    if environment:
        out["environment"] = environment
    return out


def _image_material(image_id: str, where: str) -> Artifact:
    """`oci://<repo>` @ digest from a container's imageID (Chains' fromImageID)."""
    repo, sep, digest = image_id.removeprefix("docker-pullable://").partition("@")
    parsed = hints.parse_digest(digest) if sep else None
    if not repo or parsed is None:
        raise ProvenanceError(f"{where}: imageID {image_id!r} is not <image>@<algorithm>:<hex>")
    return Artifact("oci://" + repo, parsed)


def _images(taskrun: Mapping[str, Any]) -> list[Artifact]:
    name = _meta(taskrun).get("name", "?")
    found = []
    for kind in ("steps", "sidecars"):
        for state in _list(_status(taskrun).get(kind)):
            image_id = state.get("imageID") if isinstance(state, Mapping) else None
            if image_id:
                found.append(_image_material(str(image_id), f"TaskRun {name} {kind}"))
    return found


def _source_material(obj: Mapping[str, Any]) -> Artifact | None:
    source = _ref_source(obj)
    digest = (source or {}).get("digest")
    if not source or not source.get("uri") or not isinstance(digest, Mapping) or not digest:
        return None
    algorithm, hex_ = next(iter(sorted(digest.items())))
    return Artifact(str(source["uri"]), f"{algorithm}:{hex_}")


def _executed(record: RunRecord) -> list[Obj]:
    """The TaskRuns that ran, ordered as the Pipeline lists its tasks, then `finally`."""
    pipeline = _status(record.run).get("pipelineSpec") or {}
    out = []
    for task in [*_list(pipeline.get("tasks")), *_list(pipeline.get("finally"))]:
        if isinstance(task, Mapping):
            out += [tr for tr in record.taskruns_of(str(task.get("name"))) if _finished_at(tr)]
    return out


def _finished_at(taskrun: Mapping[str, Any]) -> bool:
    return bool(_status(taskrun).get("completionTime"))


def _task_status(taskrun: Mapping[str, Any]) -> str:
    conds = _list(_status(taskrun).get("conditions"))
    status = conds[0].get("status") if conds and isinstance(conds[0], Mapping) else None
    return {"True": "Succeeded", "False": "Failed", "Unknown": "Running"}.get(str(status), "")


def _run_materials(record: RunRecord, deep: bool, step_results: bool) -> list[Artifact]:
    """Chains' material.FromPipelineParamsAndResults (+ FromTaskParamsAndResults)."""
    run = record.run
    found = hints.input_materials(record.results)
    if record.kind == PIPELINE_RUN and deep:
        for tr in _executed(record):
            found += _task_materials(tr)
            if step_results:
                found += _step_result_materials(tr)
    specs = _list(
        (_status(run).get("pipelineSpec") or _status(run).get("taskSpec") or {}).get("params")
    )
    git = hints.git_source(specs, _list(_spec(run).get("params")), record.results)
    if git is not None:
        found.append(git)
    return found


def _task_materials(taskrun: Mapping[str, Any]) -> list[Artifact]:
    specs = _list((_status(taskrun).get("taskSpec") or {}).get("params"))
    results = _list(_status(taskrun).get("results"))
    git = hints.git_source(specs, _list(_spec(taskrun).get("params")), results)
    return ([git] if git else []) + hints.input_materials(results)


def _step_result_materials(taskrun: Mapping[str, Any]) -> list[Artifact]:
    found = []
    for step in _list(_status(taskrun).get("steps")):
        results = _list(step.get("results")) if isinstance(step, Mapping) else []
        git = hints.git_source((), (), results)
        found += ([git] if git else []) + hints.input_materials(results)
    return found


def _material_list(items: Iterable[Artifact]) -> list[Obj]:
    return [{"uri": a.uri, "digest": a.digest_set} for a in hints.dedupe(items)]


def _subject_list(record: RunRecord, config: ChainsConfig) -> list[Obj]:
    return [a.descriptor() for a in subjects(record, config)]


# --- SLSA v0.2 (Chains `slsa/v1`) ------------------------------------------------------------


def _step(step: Mapping[str, Any], state: Mapping[str, Any]) -> Obj:
    script = step.get("script")
    command = _list(step.get("command"))
    image_id = str(state.get("imageID") or "").removeprefix("docker-pullable://")
    out: Obj = {"entryPoint": script or " ".join(str(x) for x in command)}
    if step.get("args"):
        out["arguments"] = step["args"]
    out["environment"] = {"image": "oci://" + image_id, "container": state.get("name", "")}
    out["annotations"] = None
    return out


def _steps(taskrun: Mapping[str, Any]) -> list[Obj]:
    spec_steps = {
        s.get("name"): s
        for s in _list((_status(taskrun).get("taskSpec") or {}).get("steps"))
        if isinstance(s, Mapping)
    }
    return [
        _step(spec_steps.get(state.get("name"), {}), state)
        for state in _list(_status(taskrun).get("steps"))
        if isinstance(state, Mapping)
    ]


def _after(task: Mapping[str, Any]) -> list[str]:
    """runAfter plus every task whose results this task's params or `when` read."""
    after = [str(x) for x in _list(task.get("runAfter"))]
    text = json.dumps([task.get("params"), task.get("when")])
    marker = "$(tasks."
    start = text.find(marker)
    while start != -1:
        name = text[start + len(marker) :].split(".", 1)[0]
        if name and name not in after:
            after.append(name)
        start = text.find(marker, start + 1)
    return after


def _build_config_tasks(record: RunRecord) -> list[Obj]:
    pipeline = _status(record.run).get("pipelineSpec") or {}
    regular = [t for t in _list(pipeline.get("tasks")) if isinstance(t, Mapping)]
    final = [t for t in _list(pipeline.get("finally")) if isinstance(t, Mapping)]
    account = (_spec(record.run).get("taskRunTemplate") or {}).get("serviceAccountName")
    tasks, last = [], ""
    for i, task in enumerate([*regular, *final]):
        for tr in record.taskruns_of(str(task.get("name"))):
            if not _finished_at(tr):
                continue
            after = _after(task)
            if not after and i >= len(regular) and last:
                after = [last]  # a `finally` task ran after the last regular task
            entry: Obj = {"name": task.get("name")}
            if after:
                entry["after"] = after
            entry["ref"] = task.get("taskRef") or {}
            entry["startedOn"] = _status(tr).get("startTime")
            entry["finishedOn"] = _status(tr).get("completionTime")
            if account:
                entry["serviceAccountName"] = account
            entry["status"] = _task_status(tr)
            entry["steps"] = _steps(tr)
            entry["invocation"] = _invocation(
                tr,
                _list(_spec(tr).get("params")),
                _list((_status(tr).get("taskSpec") or {}).get("params")),
            )
            entry["results"] = _list(_status(tr).get("results"))
            tasks.append(entry)
        if i < len(regular):
            last = str(task.get("name"))
    return tasks


def _v02_metadata(run: Mapping[str, Any]) -> Obj:
    out: Obj = {}
    if _status(run).get("startTime"):
        out["buildStartedOn"] = _status(run)["startTime"]
    if _status(run).get("completionTime"):
        out["buildFinishedOn"] = _status(run)["completionTime"]
    out["completeness"] = {"parameters": False, "environment": False, "materials": False}
    out["reproducible"] = (_meta(run).get("labels") or {}).get(
        "chains.tekton.dev/reproducible"
    ) == "true"
    return out


def slsa_v02(record: RunRecord, config: ChainsConfig) -> dict[str, Any]:
    run = record.run
    api_version = str(run.get("apiVersion") or "tekton.dev/v1")
    if record.kind == PIPELINE_RUN:
        pipeline = _status(run).get("pipelineSpec") or {}
        invocation = _invocation(
            run, _list(_spec(run).get("params")), _list(pipeline.get("params"))
        )
        build_config: Obj = {"tasks": _build_config_tasks(record)}
        materials: list[Artifact] = []
        if (source := _source_material(run)) is not None:
            materials.append(source)
        for tr in _executed(record):
            materials += _images(tr)
            if (source := _source_material(tr)) is not None:
                materials.append(source)
        materials += _run_materials(record, config.deep_inspection, False)
    else:
        task_spec = _status(run).get("taskSpec") or {}
        invocation = _invocation(
            run, _list(_spec(run).get("params")), _list(task_spec.get("params"))
        )
        build_config = {"steps": _steps(run)}
        materials = [*_images(run), *_task_materials(run)]
    return {
        "_type": STATEMENT_V01,
        "predicateType": SLSA_V02,
        "subject": _subject_list(record, config),
        "predicate": {
            "builder": {"id": config.builder_id},
            "buildType": f"{api_version}/{record.kind}",
            "invocation": invocation,
            "buildConfig": build_config,
            "metadata": _v02_metadata(run),
            "materials": _material_list(materials),
        },
    }


# --- SLSA v1.0 (Chains `slsa/v2alpha3`, `slsa/v2alpha4`) --------------------------------------


def _b64_json(value: Any) -> str:
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def _descriptor(
    name: str = "", uri: str = "", digest: Mapping[str, str] | None = None, content: str = ""
) -> Obj:
    out: Obj = {}
    if name:
        out["name"] = name
    if uri:
        out["uri"] = uri
    if digest:
        out["digest"] = dict(digest)
    if content:
        out["content"] = content
    return out


def _source_descriptor(name: str, obj: Mapping[str, Any]) -> Obj | None:
    source = _ref_source(obj)
    if not source:
        return None
    return _descriptor(name, str(source.get("uri") or ""), source.get("digest") or {})


def _dedupe_dependencies(deps: list[Obj]) -> list[Obj]:
    """Chains' RemoveDuplicateResolvedDependencies: the first of equal (uri, digest,
    content) wins, except the top-level pipeline/task configs, which are always kept."""
    seen, out = set(), []
    for dep in deps:
        key = json.dumps([dep.get("uri"), dep.get("digest"), dep.get("content")], sort_keys=True)
        if key in seen and dep.get("name") not in ("pipeline", "task"):
            continue
        seen.add(key)
        out.append(dep)
    return out


def _inputs(items: Iterable[Artifact]) -> list[Obj]:
    return [_descriptor("inputs/result", a.uri, a.digest_set) for a in items]


def _dependencies(record: RunRecord, config: ChainsConfig, step_results: bool) -> list[Obj]:
    run, deps = record.run, []
    if record.kind == PIPELINE_RUN:
        if (top := _source_descriptor("pipeline", run)) is not None:
            deps.append(top)
        for tr in _executed(record):
            if config.build_type == BUILD_TYPE_SLSA_TEKTON:
                source = _ref_source(tr) or {}
                deps.append(
                    _descriptor(
                        "pipelineTask",
                        str(source.get("uri") or ""),
                        source.get("digest") or {},
                        _b64_json(tr),
                    )
                )
            elif (entry := _source_descriptor("pipelineTask", tr)) is not None:
                deps.append(entry)
            deps += [_descriptor(uri=a.uri, digest=a.digest_set) for a in _images(tr)]
        deps += _inputs(_run_materials(record, config.deep_inspection, step_results))
    else:
        if (top := _source_descriptor("task", run)) is not None:
            deps.append(top)
        deps += [_descriptor(uri=a.uri, digest=a.digest_set) for a in _images(run)]
        if step_results:
            deps += _inputs(_step_result_materials(run))
        deps += _inputs(_task_materials(run))
    return _dedupe_dependencies(deps)


def _internal_parameters(run: Mapping[str, Any], build_type: str) -> Obj:
    out: Obj = {}
    flags = (_status(run).get("provenance") or {}).get("featureFlags")
    if flags:
        out["tekton-pipelines-feature-flags"] = flags
    if build_type == BUILD_TYPE_SLSA_TEKTON:
        out["labels"] = _meta(run).get("labels") or {}
        out["annotations"] = _meta(run).get("annotations") or {}
    return out


def _external_parameters(run: Mapping[str, Any]) -> Obj:
    out: Obj = {}
    source = _ref_source(run)
    if source:
        digest = source.get("digest") or {}
        ref = next((f"{k}:{v}" for k, v in sorted(digest.items())), "")
        out["buildConfigSource"] = {
            "ref": ref,
            "repository": source.get("uri", ""),
            "path": source.get("entryPoint", ""),
        }
    out["runSpec"] = _spec(run)
    return out


def slsa_v1(
    record: RunRecord, config: ChainsConfig, *, step_results: bool = False
) -> dict[str, Any]:
    run = record.run
    prefix = "pipelineRunResults" if record.kind == PIPELINE_RUN else "taskRunResults"
    byproducts = [
        {
            "name": f"{prefix}/{r.get('name')}",
            "content": _b64_json(r.get("value")),
            "mediaType": "application/json",
        }
        for r in record.results
        if isinstance(r, Mapping) and r.get("name")
    ]
    metadata: Obj = {"invocationId": record.uid}
    if _status(run).get("startTime"):
        metadata["startedOn"] = _status(run)["startTime"]
    if _status(run).get("completionTime"):
        metadata["finishedOn"] = _status(run)["completionTime"]
    run_details: Obj = {"builder": {"id": config.builder_id}, "metadata": metadata}
    if byproducts:
        run_details["byproducts"] = byproducts
    return {
        "_type": STATEMENT_V1,
        "subject": _subject_list(record, config),
        "predicateType": SLSA_V1,
        "predicate": {
            "buildDefinition": {
                "buildType": config.build_type,
                "externalParameters": _external_parameters(run),
                "internalParameters": _internal_parameters(run, config.build_type),
                "resolvedDependencies": _dependencies(record, config, step_results),
            },
            "runDetails": run_details,
        },
    }
