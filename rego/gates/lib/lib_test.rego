package gates.lib_test

import rego.v1

import data.gates.lib

test_reads_of_malformed_objects_are_empty if {
	lib.obj("x") == {}
	lib.arr({}) == []
	lib.spec(null) == {}
	lib.labels({"metadata": "x"}) == {}
	lib.labels({"metadata": {"labels": ["a"]}}) == {}
	lib.annotation({"metadata": {"annotations": {"a": 1}}}, "a") == ""
	lib.label({"metadata": {"labels": {"a": "b"}}}, "a") == "b"
	lib.str({"a": 1}, "a") == ""
	lib.name({"metadata": {"name": "n", "namespace": "ns"}}) == "n"
	lib.namespace({"metadata": {"name": "n", "namespace": "ns"}}) == "ns"
}

test_group_is_application_or_component_group if {
	lib.group({"spec": {"application": "app"}}) == ["application", "app"]
	lib.group({"spec": {"componentGroup": "cg"}}) == ["componentGroup", "cg"]
	lib.group_name({"spec": {}}) == ""
}

snapshot(labels, annotations) := {"metadata": {"labels": labels, "annotations": annotations}}

test_push_or_pull_request_as_integration_service if {
	lib.is_push(snapshot({}, {}))
	lib.is_push(snapshot({"pac.test.appstudio.openshift.io/event-type": "push"}, {}))
	lib.is_push(snapshot({"pac.test.appstudio.openshift.io/event-type": "Push", "pac.test.appstudio.openshift.io/pull-request": "1"}, {}))
	# a comment on a push commit names no pull request
	lib.is_push(snapshot({"pac.test.appstudio.openshift.io/event-type": "retest-all-comment"}, {}))
	not lib.is_push(snapshot({"pac.test.appstudio.openshift.io/event-type": "pull_request", "pac.test.appstudio.openshift.io/pull-request": "1"}, {}))
	not lib.is_push(snapshot({"test.appstudio.openshift.io/type": "group"}, {}))
	not lib.is_push(snapshot({}, {"pac.test.appstudio.openshift.io/source-branch": "refs/heads/gh-readonly-queue/main/pr-1"}))
}

test_names_come_from_data if {
	lib.names.AUTHOR_LABEL == "release.appstudio.openshift.io/author"
}
