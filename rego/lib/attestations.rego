package konflux.lib

import rego.v1

slsa_v02 := "https://slsa.dev/provenance/v0.2"

slsa_v1 := "https://slsa.dev/provenance/v1"

# statements are the in-toto statements of the image's verified attestations.
statements := [att.statement |
	some att in input.attestations
	is_object(att.statement)
]

# provenances are the SLSA provenance statements (v0.2 or v1).
provenances := [s |
	some s in statements
	s.predicateType in {slsa_v02, slsa_v1}
]

# build_type(statement) is the provenance's build type in either SLSA version.
build_type(statement) := statement.predicate.buildType if statement.predicateType == slsa_v02

build_type(statement) := statement.predicate.buildDefinition.buildType if {
	statement.predicateType == slsa_v1
}

# builder_id(statement) is the provenance's builder id in either SLSA version.
builder_id(statement) := statement.predicate.builder.id if statement.predicateType == slsa_v02

builder_id(statement) := statement.predicate.runDetails.builder.id if {
	statement.predicateType == slsa_v1
}

# pipelinerun_provenances are provenances of a Tekton PipelineRun.
pipelinerun_provenances := [s |
	some s in provenances
	build_type(s) in rule_data("allowed_provenance_build_types")
]

# materials(statement) are the provenance's source materials, {uri, digest}:
# v0.2 `materials`, v1 `resolvedDependencies` without the Tekton objects
# (entries carrying base64 content are pipelines, tasks and task runs).
materials(statement) := [m |
	some m in statement.predicate.materials
	is_string(m.uri)
] if statement.predicateType == slsa_v02

materials(statement) := [m |
	some m in statement.predicate.buildDefinition.resolvedDependencies
	is_string(m.uri)
	not m.content
] if statement.predicateType == slsa_v1

# external_parameters(statement) are the SLSA v1 external parameters.
external_parameters(statement) := statement.predicate.buildDefinition.externalParameters if {
	statement.predicateType == slsa_v1
}
