package release.buildah_build_task_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.buildah_build_task as buildah

_with_params(params) := f.v1_input_with([json.patch(f.taskrun("buildah", f.build_results), [{"op": "replace", "path": "/spec/params", "value": [{"name": k, "value": v} | some k, v in params]}])])

test_safe_params if {
	count(buildah.deny) == 0 with input as _with_params({"DOCKERFILE": "Containerfile", "PLATFORM": "linux/amd64", "PRIVILEGED_NESTED": "false"})
		with data.rule_data as {"disallowed_platform_patterns": ["^linux/s390x$"]}
}

test_remote_dockerfile if {
	f.codes(buildah.deny) == {"release.buildah_build_task.buildah_uses_local_dockerfile"} with input as _with_params({"DOCKERFILE": "https://x/Containerfile"})
}

test_capabilities if {
	f.codes(buildah.deny) == {"release.buildah_build_task.add_capabilities_param"} with input as _with_params({"ADD_CAPABILITIES": "SYS_ADMIN"})
}

test_platform if {
	f.codes(buildah.deny) == {"release.buildah_build_task.platform_param"} with input as _with_params({"PLATFORM": "linux/s390x"})
		with data.rule_data as {"disallowed_platform_patterns": ["^linux/s390x$"]}
}

test_privileged_nested if {
	f.codes(buildah.deny) == {"release.buildah_build_task.privileged_nested_param"} with input as _with_params({"PRIVILEGED_NESTED": "true"})
}

test_rule_data_format if {
	f.codes(buildah.deny) == {"release.buildah_build_task.rule_data_provided"} with input as _with_params({})
		with data.rule_data as {"disallowed_platform_patterns": ["("]}
	f.codes(buildah.deny) == {"release.buildah_build_task.rule_data_provided"} with input as _with_params({})
		with data.rule_data as {"disallowed_platform_patterns": "x"}
}
