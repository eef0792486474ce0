"""Where upstream's Conforma policy (github:conforma/policy) reads a build task's labels,
our provenance has them, in both SLSA versions.

Upstream's `tasks` package picks the required-task list by the build task's
`build.appstudio.redhat.com/build_type` label (`lib/tekton/pipeline.rego`
`pipeline_label_selectors`), read through `lib/tekton/task.rego`: `task_labels` is
`invocation.environment.labels` of a `buildConfig.tasks[]` entry in SLSA v0.2, and
`metadata.labels` of the TaskRun decoded from a `pipelineTask` entry of
`buildDefinition.resolvedDependencies` in SLSA v1.0. The rule below mirrors those reads
(bench/upstream_policy_chains.py runs upstream's own packages over signed builds).
"""

from __future__ import annotations

import pytest

from konflux.controllers.buildruns import finished_run
from konflux.controllers.chains.config import (
    FORMAT_SLSA_V02,
    FORMAT_SLSA_V1_ALPHA3,
    FORMAT_SLSA_V1_ALPHA4,
    ChainsConfig,
)
from konflux.controllers.chains.provenance import statement
from konflux.controllers.chains.record import record_run
from tests.controllers.test_chains_rules import START, build

BUILD_TYPE = "build.appstudio.redhat.com/build_type"

UPSTREAM_READ = {
    "labels.rego": """
        package upstream_read

        import rego.v1

        # upstream lib/tekton/task.rego: _maybe_tasks, for each predicate type
        tasks contains task if {
        \tinput.predicateType == "https://slsa.dev/provenance/v0.2"
        \tsome task in input.predicate.buildConfig.tasks
        }

        tasks contains task if {
        \tinput.predicateType == "https://slsa.dev/provenance/v1"
        \tsome dep in input.predicate.buildDefinition.resolvedDependencies
        \tdep.name == "pipelineTask"
        \tdep.content
        \ttask := json.unmarshal(base64.decode(dep.content))
        }

        # upstream task_labels: the TaskRun's (v1.0), else the invocation's (v0.2)
        task_labels(task) := task.metadata.labels if {
        \ttask.metadata.labels
        } else := task.invocation.environment.labels

        build_types contains value if {
        \tsome task in tasks
        \tvalue := task_labels(task)["build.appstudio.redhat.com/build_type"]
        }

        # METADATA
        # custom:
        #   short_name: build_type_found
        deny contains {"code": "upstream_read.build_type_found", "msg": "no build_type"} if {
        \tcount(build_types) == 0
        }

        # METADATA
        # custom:
        #   short_name: build_type
        deny contains {"code": "upstream_read.build_type", "msg": sprintf("%v", [build_types])} if {
        \tbuild_types != {"docker"}
        }
    """
}


def _statement(fmt: str, *, strip_label: bool = False) -> dict:
    run, taskruns = finished_run(build(), START, "uid-1")
    if strip_label:
        for tr in taskruns:
            tr["metadata"]["labels"].pop(BUILD_TYPE, None)
    return statement(
        record_run(run, taskruns),
        ChainsConfig.from_configmap({"artifacts.pipelinerun.format": fmt}),
    )


@pytest.mark.parametrize("fmt", [FORMAT_SLSA_V02, FORMAT_SLSA_V1_ALPHA3, FORMAT_SLSA_V1_ALPHA4])
def test_the_build_tasks_type_label_is_where_upstream_reads_it(run_policy, fmt):
    outcome = run_policy(_statement(fmt), UPSTREAM_READ)
    assert [r.code for r in outcome.violations] == []
    assert {r.code for r in outcome.successes} >= {
        "upstream_read.build_type_found",
        "upstream_read.build_type",
    }


@pytest.mark.parametrize("fmt", [FORMAT_SLSA_V02, FORMAT_SLSA_V1_ALPHA3])
def test_without_the_label_on_the_taskrun_upstream_finds_none(run_policy, fmt):
    # The label comes from what Tekton recorded on the TaskRun, nothing else.
    outcome = run_policy(_statement(fmt, strip_label=True), UPSTREAM_READ)
    assert "upstream_read.build_type_found" in [r.code for r in outcome.violations]
