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

test_lookup_missing if {
	lib.lookup_error("application") == "the webhook did not look up application" with input as {}
}

# Go's net/url url_test.go parseRequestURLTests (valid and invalid inputs), and the URLs of
# application-service's component webhook tests.
request_uri_valid := [
	"http://foo.com", "http://foo.com/", "http://foo.com/path", "/", "//not.a.user@not.a.host/just/a/path",
	"//not.a.user@%66%6f%6f.com/just/a/path/also", "*", "http://192.168.0.1/", "http://192.168.0.1:8080/",
	"http://[fe80::1]/", "http://[fe80::1]:8080/", "http://[fe80::1%25en0]/", "http://[fe80::1%25en0]:8080/",
	"http://[fe80::1%25%65%6e%301-._~]/", "http://link", "ssh://git@github.com/o/r", "mailto:x",
	"https://github.com/a b", "https://h/p?q=%zz",
]

request_uri_invalid := [
	"foo.html", "../dir/", " http://foo.com", "http://192.168.0.%31/", "http://192.168.0.%31:8080/",
	"http://[fe80::%31]/", "http://[fe80::%31]:8080/", "http://[fe80::%31%25en0]/", "http://[fe80::1%en0]/",
	"badurl", "git@github.com:devfile-samples/x.git", "", ":x", "https://h:abc/x", "http://a b/", "http://x/%zz",
	"http://us{er@h/", "http://h/\u0001", 7,
]

test_request_uri if {
	every u in request_uri_valid { not lib.request_uri_error(u) }
	every u in request_uri_invalid { lib.request_uri_error(u) }
	lib.request_uri_error("badurl") == "invalid URI for request"
	lib.request_uri_error("") == "empty url"
	lib.request_uri_error(":x") == "missing protocol scheme"
}

test_dns1123_label if {
	lib.dns1123_label("my-secret")
	lib.dns1123_label("1secret")
	not lib.dns1123_label("My_Secret")
	not lib.dns1123_label(long)
}

test_padded if {
	lib.padded(" x")
	lib.padded("x\t")
	not lib.padded("this is a test string")
}
