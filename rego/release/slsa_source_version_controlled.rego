# METADATA
# title: SLSA source version controlled
# description: The provenance records the source the image was built from as git repositories pinned to commits.
package release.slsa_source_version_controlled

import rego.v1

import data.konflux.lib

# METADATA
# title: Source material found
# description: Every PipelineRun provenance lists at least one source material with a URI and a digest.
# custom:
#   short_name: source_material_found
#   failure_msg: A PipelineRun provenance lists no source material
#   solution: Clone the source with a task whose url and commit results Tekton Chains records as materials.
#   collections: [slsa3, konflux]
deny contains result if {
	some statement in lib.pipelinerun_provenances
	count([m | some m in lib.materials(statement); is_object(m.digest)]) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Source material is a git repository
# description: Every source material (a material with a sha1 digest) has a `git+` URI.
# custom:
#   short_name: material_is_git
#   failure_msg: Source material %q is not a git repository
#   solution: Build from a git repository; other version control systems and archives are not accepted.
#   collections: [slsa3, konflux]
deny contains result if {
	some material in _source_materials
	not startswith(material.uri, "git+")
	result := lib.result_with_term(rego.metadata.chain(), [material.uri], material.uri)
}

# METADATA
# title: Source material pinned to a commit
# description: Every source material's sha1 digest is a full 40-character git commit id.
# custom:
#   short_name: material_commit_pinned
#   failure_msg: Source material %q has %q, which is not a git commit id
#   solution: Record the full commit id the source was checked out at.
#   collections: [slsa3, konflux]
deny contains result if {
	some material in _source_materials
	not regex.match(`^[a-f0-9]{40}$`, material.digest.sha1)
	result := lib.result_with_term(rego.metadata.chain(), [material.uri, material.digest.sha1], material.uri)
}

_source_materials contains material if {
	some statement in lib.pipelinerun_provenances
	some material in lib.materials(statement)
	material.digest.sha1
}
