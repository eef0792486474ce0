package admission.lib_test

import rego.v1

import data.admission.lib

long := concat("", [c | some _ in numbers.range(1, 70); c := "x"])

test_sanitize_label if {
	lib.sanitize_label("alice") == "alice"
	lib.sanitize_label("a:b:c") == "a_b_c"
	lib.sanitize_label("a@b@c") == "a.b@c"
	lib.sanitize_label(long) == substring(long, 0, 63)
	lib.sanitize_label(concat("", [substring(long, 0, 62), "-x"])) == substring(long, 0, 62)
	lib.sanitize_label("bob--") == "bob"
}

test_dns1035 if {
	lib.dns1035("a")
	lib.dns1035("a-1")
	not lib.dns1035("-a")
	not lib.dns1035(1)
}

test_http_url if {
	lib.http_url("https://github.com/o/r")
	lib.http_url("http://h:8080/x?y#z")
	not lib.http_url("https:///x")
	not lib.http_url("github.com/o/r")
	not lib.https_url("http://h/x")
}

test_lookup_missing if {
	lib.lookup_error("application") == "the webhook did not look up application" with input as {}
}
