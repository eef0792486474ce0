# METADATA
# title: Release gates
# description: >-
#   Whether a Release may start, as release-service validates it: its
#   ReleasePlan exists and matches exactly one ReleasePlanAdmission that does
#   not block releases, a pipeline and an EnterpriseContractPolicy are there,
#   the Snapshot is the plan's Application's, and someone is the author. Input:
#   {release, plan, admissions, policy, snapshot, now}; a missing object is
#   null. A platform team adds rules by adding `deny` rules to this package.
package gates.release

import rego.v1

import data.gates.lib

names := lib.names

# --- ReleasePlan <-> ReleasePlanAdmission ---------------------------------------------------

# The RPAs of the plan's target namespace that could be its admission: the one the
# plan pins by label, else those whose origin is the plan's namespace and which list
# the plan's Application or ComponentGroup.
candidates(plan, admissions) := {a |
	some a in lib.arr(admissions)
	lib.namespace(a) == lib.str(lib.spec(plan), "target")
	admission_for(plan, a)
}

admission_for(plan, a) if {
	pinned := lib.label(plan, names.PINNED_RPA_LABEL)
	pinned != ""
	lib.name(a) == pinned
}

admission_for(plan, a) if {
	lib.label(plan, names.PINNED_RPA_LABEL) == ""
	lib.str(lib.spec(a), "origin") == lib.namespace(plan)
	admits(a, lib.group_name(plan))
}

# The RPA lists the name among its applications or componentGroups (MatchesReleasePlan).
admits(a, group) if group in lib.arr(lib.get(lib.spec(a), "applications"))

admits(a, group) if group in lib.arr(lib.get(lib.spec(a), "componentGroups"))

# The one admission of `plan`, or why there is none: {"admission": rpa, "reason": ...}.
match_of(plan, admissions) := {"reason": "ReleasePlan has no spec.target"} if {
	lib.str(lib.spec(plan), "target") == ""
} else := {"admission": a, "reason": "matched"} if {
	found := candidates(plan, admissions)
	count(found) == 1
	some a in found
} else := {"reason": sprintf("pinned ReleasePlanAdmission %s/%s not found", [target, pinned])} if {
	target := lib.str(lib.spec(plan), "target")
	pinned := lib.label(plan, names.PINNED_RPA_LABEL)
	pinned != ""
	count(candidates(plan, admissions)) == 0
} else := {"reason": sprintf("no ReleasePlanAdmission in %s accepts %s from %s", [target, lib.group_name(plan), lib.namespace(plan)])} if {
	target := lib.str(lib.spec(plan), "target")
	count(candidates(plan, admissions)) == 0
} else := {"reason": sprintf("several ReleasePlanAdmissions in %s match: %s", [target, concat(", ", sort([lib.name(a) | some a in candidates(plan, admissions)]))])} if {
	target := lib.str(lib.spec(plan), "target")
}

# The admission of input.plan among input.admissions (the plan and RPA controllers ask this).
match := match_of(input.plan, input.admissions)

# --- may this Release start ---------------------------------------------------------------

plan := input.plan if is_object(input.plan)

release := lib.obj(input.release)

admission := a if {
	a := match_of(plan, input.admissions).admission
	is_object(a)
}

# Automated Releases are attributed to the plan's author, manual ones to their creator.
automated if lib.label(release, names.AUTOMATED_LABEL) == "true"

automated if lib.get(lib.get(release, "status"), "automated") == true

author := a if {
	automated
	a := lib.label(plan, names.AUTHOR_LABEL)
	a != ""
} else := a if {
	not automated
	a := lib.label(release, names.AUTHOR_LABEL)
	a != ""
}

author_source := "ReleasePlan" if automated else := "Release"

managed_pipeline := p if {
	p := lib.get(lib.spec(admission), "pipeline")
	is_object(p)
	count(p) > 0
}

has_pipeline_ref(pipeline) if {
	ref := lib.get(pipeline, "pipelineRef")
	is_object(ref)
	count(ref) > 0
}

# METADATA
# title: ReleasePlan exists
# description: The ReleasePlan the Release names must exist in the Release's namespace.
# custom:
#   short_name: plan_found
#   failure_msg: ReleasePlan %s not found
deny contains result if {
	not plan
	result := {
		"code": "gates.release.plan_found",
		"msg": sprintf("ReleasePlan %s not found", [lib.str(lib.spec(release), "releasePlan")]),
	}
}

# METADATA
# title: ReleasePlanAdmission matched
# description: >-
#   Exactly one ReleasePlanAdmission of the plan's target namespace accepts the
#   plan's Application from the plan's namespace (or the one the plan pins).
# custom:
#   short_name: admission_matched
#   failure_msg: "%s"
deny contains result if {
	plan
	not admission
	result := {"code": "gates.release.admission_matched", "msg": match_of(plan, input.admissions).reason}
}

# METADATA
# title: Releases not blocked
# description: >-
#   A ReleasePlanAdmission labelled release.appstudio.openshift.io/block-releases
#   "true" accepts no Release.
# custom:
#   short_name: not_blocked
#   failure_msg: ReleasePlanAdmission %s blocks releases
deny contains result if {
	lib.label(admission, names.BLOCK_RELEASES_LABEL) == "true"
	result := {
		"code": "gates.release.not_blocked",
		"msg": sprintf("ReleasePlanAdmission %s blocks releases", [lib.name(admission)]),
	}
}

# METADATA
# title: A pipeline is defined
# description: The ReleasePlan (tenant pipeline) or the ReleasePlanAdmission (managed pipeline) names one.
# custom:
#   short_name: pipeline_defined
#   failure_msg: neither the ReleasePlan nor the ReleasePlanAdmission defines a pipeline
deny contains result if {
	admission
	not has_pipeline_ref(lib.get(lib.spec(plan), "tenantPipeline"))
	not has_pipeline_ref(lib.get(lib.spec(admission), "pipeline"))
	result := {
		"code": "gates.release.pipeline_defined",
		"msg": "neither the ReleasePlan nor the ReleasePlanAdmission defines a pipeline",
	}
}

# METADATA
# title: The admission names a policy
# description: A managed pipeline runs only under an EnterpriseContractPolicy the RPA names.
# custom:
#   short_name: policy_named
#   failure_msg: ReleasePlanAdmission %s names no spec.policy
deny contains result if {
	managed_pipeline
	lib.str(lib.spec(admission), "policy") == ""
	result := {
		"code": "gates.release.policy_named",
		"msg": sprintf("ReleasePlanAdmission %s names no spec.policy", [lib.name(admission)]),
	}
}

# METADATA
# title: The policy exists
# description: The EnterpriseContractPolicy the RPA names exists in the managed namespace.
# custom:
#   short_name: policy_found
#   failure_msg: EnterpriseContractPolicy %s not found
deny contains result if {
	managed_pipeline
	policy := lib.str(lib.spec(admission), "policy")
	policy != ""
	not is_object(input.policy)
	result := {"code": "gates.release.policy_found", "msg": sprintf("EnterpriseContractPolicy %s not found", [policy])}
}

# METADATA
# title: Snapshot exists
# description: The Snapshot the Release names exists in the Release's namespace.
# custom:
#   short_name: snapshot_found
#   failure_msg: Snapshot %s not found
deny contains result if {
	plan
	not is_object(input.snapshot)
	result := {
		"code": "gates.release.snapshot_found",
		"msg": sprintf("Snapshot %s not found", [lib.str(lib.spec(release), "snapshot")]),
	}
}

# METADATA
# title: Snapshot of the plan's Application
# description: The Snapshot belongs to the ReleasePlan's Application or ComponentGroup.
# custom:
#   short_name: snapshot_group
#   failure_msg: Snapshot %s belongs to %s, the ReleasePlan to %s
deny contains result if {
	snapshot := input.snapshot
	is_object(snapshot)
	lib.group_name(snapshot) != lib.group_name(plan)
	result := {
		"code": "gates.release.snapshot_group",
		"msg": sprintf(
			"Snapshot %s belongs to %s, the ReleasePlan to %s",
			[lib.name(snapshot), lib.group_name(snapshot), lib.group_name(plan)],
		),
	}
}

# METADATA
# title: Release has an author
# description: >-
#   A manual Release carries its creator's author label; an automated one is
#   attributed to the author of its ReleasePlan.
# custom:
#   short_name: author
#   failure_msg: "no author: the %s has no %s label"
deny contains result if {
	plan
	not author
	result := {
		"code": "gates.release.author",
		"msg": sprintf("no author: the %s has no %s label", [author_source, names.AUTHOR_LABEL]),
	}
}
