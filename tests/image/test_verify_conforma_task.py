"""The verify-conforma Task run as a TaskRun would run it, with its defaults, against the
emulated cluster: the policy `enterprise-contract-service/default` and the key Secret
`openshift-pipelines/public-key` it names are read from there."""

from __future__ import annotations

import json

from image_support import IMAGE_SPEC

from konflux.controllers.task_runner import load_task, run_task
from konflux.testing._simulate import VERIFY_CONFORMA

SPEC = {**IMAGE_SPEC, "publicKey": "k8s://openshift-pipelines/public-key"}


def install(cluster, signer) -> None:
    cluster.policy("enterprise-contract-service", "default", SPEC)
    cluster.secret("openshift-pipelines", "public-key", {"cosign.pub": signer.public_pem.encode()})


def run(cluster, tmp_path, images: dict, **params: str):
    return run_task(
        load_task(VERIFY_CONFORMA),
        {"IMAGES": json.dumps(images), "IGNORE_REKOR": "true", **params},
        tmp_path,
        env={"KUBECONFIG": str(cluster.kubeconfig)},
    )


def test_the_task_passes_a_good_snapshot_with_its_defaults(
    emulated_cluster, publisher, signer, tmp_path
):
    install(emulated_cluster, signer)
    ref = publisher.release_ready("task/good", signer)
    outcome = run(
        emulated_cluster, tmp_path, {"components": [{"name": "app", "containerImage": str(ref)}]}
    )
    assert outcome.succeeded, [(s.name, s.exit_code, s.log[-500:]) for s in outcome.steps]
    test_output = json.loads(outcome.results["TEST_OUTPUT"])
    assert test_output["result"] == "SUCCESS"
    report = json.loads((tmp_path / "home" / "report-json.json").read_text())
    assert report["policy"]["publicKey"] == "k8s://openshift-pipelines/public-key"
    assert report["key"] == signer.public_pem
    assert (tmp_path / "home" / "text-report.txt").exists()
    assert [s.name for s in outcome.steps if s.exit_code is None] == ["initialize-tuf"]
    assert "Version" in outcome.log("version")


def test_strict_decides_whether_violations_fail_the_task(
    emulated_cluster, publisher, signer, tmp_path
):
    install(emulated_cluster, signer)
    ref = publisher.release_ready("task/bad", signer, labels={})
    images = {"components": [{"name": "app", "containerImage": str(ref)}]}
    strict = run(emulated_cluster, tmp_path / "strict", images)
    assert not strict.succeeded
    assert [s.name for s in strict.steps if s.exit_code not in (None, 0)] == ["assert"]
    assert json.loads(strict.results["TEST_OUTPUT"])["result"] == "FAILURE"
    lenient = run(emulated_cluster, tmp_path / "lenient", images, STRICT="false")
    assert lenient.succeeded
    assert json.loads(lenient.results["TEST_OUTPUT"])["result"] == "FAILURE"
