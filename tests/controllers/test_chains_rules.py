"""The signer's pure parts: Chains' type hinting, its configuration, the recorded run, the
decision what to do next, and the provenance built from the record (both SLSA versions)."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime

import pytest

from konflux.controllers import constants as c
from konflux.controllers.buildruns import Build, TaskBundle, fake_digest, finished_run
from konflux.controllers.chains import artifacts as hints
from konflux.controllers.chains import state as st
from konflux.controllers.chains.config import (
    BUILD_TYPE_SLSA,
    BUILD_TYPE_SLSA_TEKTON,
    FORMAT_SLSA_V02,
    FORMAT_SLSA_V1_ALPHA3,
    ChainsConfig,
)
from konflux.controllers.chains.provenance import ProvenanceError, statement
from konflux.controllers.chains.record import RecordError, decode_record, record_run
from konflux.controllers.errors import ConfigurationError
from konflux.engine.sigstore.payloads import schema_problems

D1, D2, D3 = fake_digest("one"), fake_digest("two"), fake_digest("three")
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def r(name: str, value: object) -> dict:
    return {"name": name, "value": value}


def bundles() -> dict[str, TaskBundle]:
    return {
        task: TaskBundle(name, f"quay.io/konflux-ci/task-{name}:0.1@{fake_digest(name)}")
        for task, name in (
            ("clone-repository", "git-clone"),
            ("build-container", "buildah"),
            ("clair-scan", "clair-scan"),
        )
    }


def build(**kw: object) -> Build:
    values: dict = dict(
        namespace="tenant",
        name="api-on-push-1",
        component="api",
        application="app",
        git_url="https://github.com/org/api",
        commit="a" * 40,
        image_url="quay.io/org/api:v1",
        image_digest=D1,
        bundles=bundles(),
        sbom_blob_url=f"quay.io/org/api@{D2}",
    )
    values.update(kw)
    return Build(**values)  # type: ignore[arg-type]


def finished(b: Build | None = None) -> tuple[dict, list[dict]]:
    return finished_run(b or build(), START, "uid-1")


# --- type hinting ----------------------------------------------------------------------------


def test_image_url_and_digest_pairs_match_by_prefix():
    results = [
        r("IMAGE_URL", "quay.io/org/a:v1"),
        r("IMAGE_DIGEST", D1),
        r("SOURCE_IMAGE_URL", "quay.io/org/a-src"),
        r("SOURCE_IMAGE_DIGEST", D2),
        r("ORPHAN_IMAGE_URL", "quay.io/org/orphan"),  # no digest: not an image
    ]
    assert [str(x) for x in hints.oci_images(results)] == [
        f"quay.io/org/a@{D1}",
        f"quay.io/org/a-src@{D2}",
    ]


def test_images_result_splits_on_commas_and_newlines_and_dedupes():
    results = [
        r("IMAGES", f"quay.io/org/a@{D1}, quay.io/org/b@{D2}\nquay.io/org/a@{D1}\n\n"),
        r("IMAGE_URL", "quay.io/org/a"),
        r("IMAGE_DIGEST", D1),
    ]
    assert [str(x) for x in hints.oci_images(results)] == [
        f"quay.io/org/a@{D1}",
        f"quay.io/org/b@{D2}",
    ]


def test_artifact_outputs_are_signed_only_as_build_artifacts():
    results = [
        r(
            "IMAGE_ARTIFACT_OUTPUTS",
            {"uri": "quay.io/org/a", "digest": D1, "isBuildArtifact": "true"},
        ),
        r("OTHER_ARTIFACT_OUTPUTS", {"uri": "quay.io/org/b", "digest": D2}),
    ]
    assert [str(x) for x in hints.oci_images(results)] == [f"quay.io/org/a@{D1}"]
    # ... but both are subjects of the provenance (Chains' SubjectDigests).
    assert [(a.uri, a.digest) for a in hints.subjects(results)] == [
        ("quay.io/org/a", D1),
        ("quay.io/org/b", D2),
    ]


def test_malformed_hints_are_skipped_not_guessed():
    results = [
        r("IMAGE_URL", "quay.io/org/a"),
        r("IMAGE_DIGEST", "sha256:short"),
        r("IMAGES", "quay.io/org/tag-only:v1, not a reference@sha256:xyz"),
        r("X_ARTIFACT_OUTPUTS", {"uri": "quay.io/org/c", "digest": "md5:abc"}),
        r("Y_ARTIFACT_OUTPUTS", "a string, not an object"),
        {"value": "no name"},
        "not even an object",
    ]
    assert hints.oci_images(results) == []
    assert hints.subjects(results) == []


def test_a_run_naming_too_many_images_is_refused():
    digests = [fake_digest(str(i)) for i in range(hints.MAX_ARTIFACTS + 1)]
    results = [r("IMAGES", ",".join(f"quay.io/org/a@{d}" for d in digests))]
    with pytest.raises(hints.TooManyArtifacts, match="at most 100"):
        hints.oci_images(results)


def test_git_source_from_params_then_results():
    specs = [{"name": "CHAINS-GIT_URL", "default": "https://default/x"}]
    params = [r("CHAINS-GIT_COMMIT", "b" * 40)]
    results = [r("CHAINS-GIT_URL", "https://github.com/org/api")]
    found = hints.git_source(specs, params, results)
    assert found is not None
    assert (found.uri, found.digest) == ("git+https://github.com/org/api.git", f"sha1:{'b' * 40}")
    assert hints.git_source([], [], [r("CHAINS-GIT_URL", "https://x")]) is None


# --- configuration -----------------------------------------------------------------------


def test_config_reads_chains_keys_and_defaults():
    assert ChainsConfig.from_configmap(None) == ChainsConfig()
    cfg = ChainsConfig.from_configmap(
        {
            "artifacts.pipelinerun.format": "slsa/v2alpha3",
            "artifacts.taskrun.format": "in-toto",
            "artifacts.pipelinerun.enable-deep-inspection": "true",
            "builddefinition.buildtype": BUILD_TYPE_SLSA,
            "artifacts.oci.storage": "",
            "transparency.enabled": "true",
        }
    )
    assert cfg.pipelinerun_format == FORMAT_SLSA_V1_ALPHA3
    assert cfg.taskrun_format == FORMAT_SLSA_V02
    assert cfg.deep_inspection and cfg.transparency and not cfg.oci_storage
    assert cfg.build_type == BUILD_TYPE_SLSA


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"artifacts.pipelinerun.fromat": "slsa/v1"}, "unknown key"),
        ({"artifacts.pipelinerun.format": "slsa/v3"}, "supported"),
        ({"artifacts.pipelinerun.storage": "tekton,oci"}, "`oci` only"),
        ({"artifacts.pipelinerun.signer": "none"}, "supported: x509"),
        ({"transparency.enabled": "yes"}, "true or false"),
        ({"transparency.url": "file:///etc/passwd"}, "not an http"),
    ],
)
def test_config_refuses_what_it_does_not_support(data: dict, message: str):
    with pytest.raises(ConfigurationError, match=message):
        ChainsConfig.from_configmap(data)


# --- the record ------------------------------------------------------------------------------


def test_record_keeps_what_tekton_recorded_and_drops_chains_annotations():
    run, trs = finished()
    run["metadata"]["annotations"][c.CHAINS_SIGNED_ANNOTATION] = "true"
    run["metadata"]["managedFields"] = [{"manager": "x"}]
    record = record_run(run, list(reversed(trs)))
    assert [t["metadata"]["name"] for t in record.taskruns] == [
        "api-on-push-1-clone-repository",
        "api-on-push-1-build-container",
        "api-on-push-1-clair-scan",
    ]
    assert c.CHAINS_SIGNED_ANNOTATION not in record.run["metadata"]["annotations"]
    assert "managedFields" not in record.run["metadata"]
    again = decode_record(record.encode())
    assert again == record and again.digest == record.digest


def test_record_refuses_a_missing_or_unfinished_taskrun():
    run, trs = finished()
    with pytest.raises(RecordError, match="api-on-push-1-clair-scan is missing"):
        record_run(run, trs[:2])
    del trs[1]["status"]["completionTime"]
    trs[1]["status"]["conditions"] = [{"type": "Succeeded", "status": "Unknown"}]
    with pytest.raises(RecordError, match="build-container has not finished"):
        record_run(run, trs)


def test_record_of_a_running_run_is_refused_and_stored_garbage_is_unreadable():
    run, trs = finished()
    run["status"]["conditions"] = [{"type": "Succeeded", "status": "Unknown"}]
    with pytest.raises(RecordError, match="not finished"):
        record_run(run, trs)
    with pytest.raises(RecordError, match="unreadable"):
        decode_record(base64.b64encode(b"not gzip").decode())


def test_record_too_large_for_a_configmap_is_refused():
    import secrets

    run, trs = finished()
    trs[0]["status"]["results"].append(r("BLOB", secrets.token_hex(600_000)))
    with pytest.raises(RecordError, match="at most"):
        record_run(run, trs).encode()


# --- what to do next -------------------------------------------------------------------------


def _state(phase: str, record: object = "x", retries: int = 0, reason: str = "") -> st.SignerState:
    return st.SignerState("pr-uid-1", phase, retries, reason, record)  # type: ignore[arg-type]


def test_decide_signs_only_succeeded_runs_and_respects_the_signers_own_state():
    run, _ = finished()
    assert st.decide(run, None) is st.Action.RECORD
    assert st.decide(run, _state(st.PHASE_RECORDED)) is st.Action.SIGN
    assert st.decide(run, _state(st.PHASE_RECORDED, None)) is st.Action.RECORD
    # Signed per our state: the annotation is restored if missing, never signed again.
    assert st.decide(run, _state(st.PHASE_SIGNED)) is st.Action.MARK
    run["metadata"]["annotations"][c.CHAINS_SIGNED_ANNOTATION] = "true"
    assert st.decide(run, _state(st.PHASE_SIGNED)) is st.Action.SKIP
    # Annotated by someone else without our state: Chains' "reconciled".
    assert st.decide(run, None) is st.Action.SKIP
    failed = copy.deepcopy(run)
    failed["status"]["conditions"][0]["status"] = "False"
    assert st.decide(failed, None) is st.Action.SKIP


def test_failed_state_annotates_failed_with_reason_and_retries():
    state = _state(st.PHASE_FAILED, retries=4, reason="registry down")
    patch = st.final_patch(state)["metadata"]["annotations"]
    assert patch == {
        c.CHAINS_SIGNED_ANNOTATION: "failed",
        c.CHAINS_RETRIES_ANNOTATION: "4",
        c.CHAINS_FAILURE_ANNOTATION: "registry down",
    }
    run, _ = finished()
    run["metadata"]["annotations"].update(patch)
    assert st.decide(run, state) is st.Action.SKIP


def test_backoff_doubles_and_is_capped():
    assert [st.backoff(n, 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert st.backoff(30, 1.0) == st.MAX_BACKOFF
    assert len(st.short_reason("x" * 5000)) == st.MAX_REASON


# --- provenance --------------------------------------------------------------------------


def _statement(fmt: str, build_type: str = BUILD_TYPE_SLSA_TEKTON, b: Build | None = None) -> dict:
    run, trs = finished(b)
    cfg = ChainsConfig.from_configmap(
        {"artifacts.pipelinerun.format": fmt, "builddefinition.buildtype": build_type}
    )
    return statement(record_run(run, trs), cfg)


def test_slsa_v02_pipelinerun_provenance_has_chains_fields():
    doc = _statement("slsa/v1")
    assert schema_problems(doc) == []
    assert doc["subject"] == [{"name": "quay.io/org/api", "digest": {"sha256": D1.split(":")[1]}}]
    pred = doc["predicate"]
    assert pred["buildType"] == "tekton.dev/v1/PipelineRun"
    assert pred["builder"] == {"id": "https://tekton.dev/chains/v2"}
    assert pred["invocation"]["parameters"] == {
        "git-url": "https://github.com/org/api",
        "revision": "a" * 40,
        "output-image": "quay.io/org/api:v1",
    }
    tasks = {t["name"]: t for t in pred["buildConfig"]["tasks"]}
    build_task = tasks["build-container"]
    assert build_task["ref"]["resolver"] == "bundles"
    assert build_task["invocation"]["configSource"] == {
        "uri": "quay.io/konflux-ci/task-buildah",
        "digest": {"sha256": fake_digest("buildah").split(":")[1]},
        "entryPoint": "buildah",
    }
    assert build_task["after"] == ["clone-repository"]
    assert build_task["status"] == "Succeeded"
    assert {x["name"]: x["value"] for x in build_task["results"]}["IMAGE_DIGEST"] == D1
    assert build_task["steps"][0]["environment"]["image"].startswith("oci://")
    assert (build_task["startedOn"], build_task["finishedOn"]) == (
        "2026-03-01T12:01:00Z",
        "2026-03-01T12:01:50Z",
    )
    uris = [m["uri"] for m in pred["materials"]]
    assert "git+https://github.com/org/api.git" in uris
    assert "quay.io/konflux-ci/task-buildah" in uris  # the resolved bundle
    assert pred["metadata"]["buildFinishedOn"] == "2026-03-01T12:03:00Z"


def test_slsa_v1_pipelinerun_provenance_has_chains_fields():
    doc = _statement("slsa/v2alpha3")
    assert schema_problems(doc) == []
    assert doc["_type"] == "https://in-toto.io/Statement/v1"
    definition = doc["predicate"]["buildDefinition"]
    assert definition["buildType"] == BUILD_TYPE_SLSA_TEKTON
    assert definition["externalParameters"]["runSpec"]["pipelineRef"] == {"name": "konflux-build"}
    tasks = [d for d in definition["resolvedDependencies"] if d.get("name") == "pipelineTask"]
    assert len(tasks) == 3
    recorded = json.loads(base64.b64decode(tasks[1]["content"]))
    assert recorded["metadata"]["labels"][c.TEKTON_PIPELINE_TASK_LABEL] == "build-container"
    assert tasks[1]["digest"] == {"sha256": fake_digest("buildah").split(":")[1]}
    inputs = [d for d in definition["resolvedDependencies"] if d.get("name") == "inputs/result"]
    assert inputs == [
        {
            "name": "inputs/result",
            "uri": "git+https://github.com/org/api.git",
            "digest": {"sha1": "a" * 40},
        }
    ]
    details = doc["predicate"]["runDetails"]
    assert details["metadata"]["invocationId"] == "uid-1"
    byproducts = {
        b["name"]: json.loads(base64.b64decode(b["content"])) for b in details["byproducts"]
    }
    assert byproducts["pipelineRunResults/IMAGE_DIGEST"] == D1


def test_slsa_v1_with_the_slsa_build_type_names_tasks_by_digest_only():
    doc = _statement("slsa/v2alpha3", BUILD_TYPE_SLSA)
    tasks = [
        d
        for d in doc["predicate"]["buildDefinition"]["resolvedDependencies"]
        if d.get("name") == "pipelineTask"
    ]
    assert tasks and all("content" not in t and t["digest"] for t in tasks)


def test_provenance_is_deterministic_for_one_record():
    assert _statement("slsa/v1") == _statement("slsa/v1")
    assert _statement("slsa/v2alpha3") == _statement("slsa/v2alpha3")


def test_a_task_with_unreadable_steps_stays_in_the_provenance():
    run, trs = finished()
    del trs[2]["status"]["taskSpec"]
    trs[2]["status"]["conditions"][0]["status"] = "False"
    doc = statement(record_run(run, trs), ChainsConfig())
    scan = {t["name"]: t for t in doc["predicate"]["buildConfig"]["tasks"]}["clair-scan"]
    assert scan["status"] == "Failed"  # the policy sees the failed task


def test_malformed_step_image_id_fails_the_provenance():
    run, trs = finished()
    trs[0]["status"]["steps"][0]["imageID"] = "no-digest-here"
    with pytest.raises(ProvenanceError, match="imageID"):
        statement(record_run(run, trs), ChainsConfig())
