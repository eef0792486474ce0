# METADATA
# title: Provenance materials
# description: The source a git-clone task fetched (its url and commit results) is recorded as a material of the provenance.
package release.provenance_materials

import rego.v1

import data.konflux.lib

# METADATA
# title: Git clone task found
# description: A PipelineRun provenance contains a task with url and commit results.
# custom:
#   short_name: git_clone_task_found
#   failure_msg: No task with url and commit results (a git clone) was found in the pipeline
#   solution: Fetch the source with a git-clone task that reports url and commit results.
#   collections: [slsa3, konflux]
#   depends_on: [release.attestation_type.pipelinerun_attestation_found]
deny contains result if {
	count(lib.git_clone_tasks) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Git clone source matches materials
# description: For every git-clone task, its url and commit appear as a git material of the same provenance.
# custom:
#   short_name: git_clone_source_matches_provenance
#   failure_msg: Task %q cloned %s at %s, which is not a material of the provenance
#   solution: Make sure Tekton Chains records the cloned repository as a material (the url and commit results are type-hinted for Chains).
#   collections: [slsa3, konflux]
#   depends_on: [release.provenance_materials.git_clone_task_found]
deny contains result if {
	some statement in lib.pipelinerun_provenances
	recorded := {[trim_suffix(trim_prefix(m.uri, "git+"), ".git"), m.digest.sha1] | some m in lib.materials(statement)}
	some task in lib.tasks(statement)
	task in lib.git_clone_tasks
	cloned := [trim_suffix(task.results.url, ".git"), task.results.commit]
	not cloned in recorded
	result := lib.result_with_term(rego.metadata.chain(), [task.name, cloned[0], cloned[1]], task.name)
}
