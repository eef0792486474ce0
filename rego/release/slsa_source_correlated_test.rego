package release.slsa_source_correlated_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.slsa_source_correlated as correlated

_with_source(doc, url, revision) := json.patch(doc, [{"op": "add", "path": "/image/source", "value": {"git": {"url": url, "revision": revision}}}])

test_expected_source_attested if {
	doc := _with_source(f.v1_input, "https://github.com/org/app/", f.commit)
	count(correlated.deny) == 0 with input as doc
	count(correlated.warn) == 0 with input as doc
	count(correlated.deny) == 0 with input as _with_source(f.v02_input, f.repo_url, f.commit)
}

test_no_expected_source if {
	f.codes(correlated.warn) == {"release.slsa_source_correlated.source_code_reference_provided"} with input as f.v1_input
}

test_other_revision if {
	some r in correlated.deny with input as _with_source(f.v1_input, f.repo_url, "0000000000000000000000000000000000000000")
	r.code == "release.slsa_source_correlated.expected_source_code_reference"
	r.term == "git+https://github.com/org/app@0000000000000000000000000000000000000000"
}

test_nothing_attested if {
	doc := json.patch(_with_source(f.v02_input, f.repo_url, f.commit), [{"op": "replace", "path": "/attestations/0/statement/predicate/materials", "value": []}])
	f.codes(correlated.deny) == {"release.slsa_source_correlated.attested_source_code_reference"} with input as doc
}

test_rule_data_format if {
	"release.slsa_source_correlated.rule_data_provided" in f.codes(correlated.deny) with input as f.v1_input
		with data.rule_data__configuration__ as {"supported_vcs": [], "supported_digests": ["sha1"]}
}
