"""What of a request the rules see: the fields the bundle names; managedFields only if named."""

from __future__ import annotations

import copy
import json

from webhook_support import (
    APPSTUDIO,
    NAMESPACE,
    Webhook,
    bundle_dir,
    component,
    engine_for,
    make_config,
    review,
)

from konflux.kube.config import load_config
from konflux.webhooks import lookups
from konflux.webhooks.bundle import load_bundle
from konflux.webhooks.endpoints import APPLICATION, COMPONENTS
from konflux.webhooks.input_shape import InputShape, shape_of, without_managed_fields
from konflux.webhooks.review import REQUEST_FIELDS, rule_input

MANAGED = [
    {
        "manager": "kubectl",
        "operation": "Update",
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:spec": {}},
    }
]


def test_shipped_bundle_reads_few_fields():
    shape = load_bundle().shape
    assert shape.fields == {"object", "oldObject", "operation", "namespace", "userInfo", "lookups"}
    assert shape.managed_fields is False


def test_scan_counts_references_only():
    assert shape_of(['x := input.object.spec\ny := input["userInfo"].username']).fields == {
        "object",
        "userInfo",
    }
    # strings, raw strings, comments and other documents' `input` fields are not references
    assert (
        shape_of(
            ['# input.kind\nx := "input.dryRun"\ny := `input.options`\nz := data.input.uid']
        ).fields
        == frozenset()
    )
    # any other use of input keeps every field
    for source in (
        "x := input",
        "x := input[k]",
        "t if { true with input as {} }",
        "import input",
        'x := input["a\\"b"]',
        "x := walk(input)",
    ):
        assert shape_of([source]).fields is None, source
    # naming managedFields anywhere, even in a string, keeps them
    assert (
        shape_of(['x := object.get(input.object.metadata, "managedFields", [])']).managed_fields
        is True
    )


def test_request_fields_trims_without_touching_the_request():
    request = {
        "uid": "u",
        "operation": "UPDATE",
        "options": {"kind": "UpdateOptions"},
        "object": {"metadata": {"name": "a", "managedFields": MANAGED}},
        "oldObject": {"metadata": {"name": "a", "managedFields": MANAGED}},
    }
    original = copy.deepcopy(request)
    doc = rule_input(
        request,
        {},
        InputShape(frozenset({"operation", "object", "oldObject"}), managed_fields=False),
    )
    assert doc == {
        "operation": "UPDATE",
        "object": {"metadata": {"name": "a"}},
        "oldObject": {"metadata": {"name": "a"}},
        "lookups": {},
    }
    assert request == original
    # the default shape is every known field, unchanged
    full = rule_input(request, {"x": {}})
    assert full["object"]["metadata"]["managedFields"] == MANAGED
    assert set(full) == (set(request) & set(REQUEST_FIELDS)) | {"lookups"}
    assert without_managed_fields("not an object") == "not an object"


def _obj_with_managed_fields():
    obj = component("web")
    obj["metadata"]["managedFields"] = MANAGED
    return obj


def test_rules_see_only_what_they_name(bg, pki, tmp_path):
    directory = bundle_dir(
        tmp_path,
        {
            "component.rego": """
        package admission.component
        import rego.v1
        warn contains json.marshal(input.object.metadata)
        warn contains "kind is gone" if not input.kind
    """
        },
    )
    hook = Webhook(bg, pki, make_config(pki), engine_for(directory, workers=1))
    try:
        status, doc = hook.post("/validate-component", review(_obj_with_managed_fields()))
        assert status == 200 and doc["response"]["allowed"] is True
        warnings = doc["response"]["warnings"]
        assert (
            json.dumps({"name": "web", "namespace": NAMESPACE}, separators=(",", ":")) in warnings
        )
        assert "kind is gone" not in warnings  # named by the bundle, so it is sent
    finally:
        hook.stop()


def test_naming_managed_fields_keeps_them(bg, pki, tmp_path):
    directory = bundle_dir(
        tmp_path,
        {
            "component.rego": """
        package admission.component
        import rego.v1
        deny contains "managed by kubectl" if {
            some entry in input.object.metadata.managedFields
            entry.manager == "kubectl"
        }
    """
        },
    )
    hook = Webhook(bg, pki, make_config(pki), engine_for(directory, workers=1))
    try:
        status, doc = hook.post("/validate-component", review(_obj_with_managed_fields()))
        assert status == 200 and doc["response"]["allowed"] is False
        assert doc["response"]["status"]["message"] == "managed by kubectl"
    finally:
        hook.stop()


def test_lookups_drop_managed_fields(bg, cluster):
    obj = {
        "apiVersion": APPSTUDIO,
        "kind": "Application",
        "metadata": {
            "name": "managed",
            "namespace": NAMESPACE,
            "uid": "uid-managed",
            "managedFields": MANAGED,
        },
        "spec": {"displayName": "m"},
    }
    cluster.create("applications", obj)
    request = {"namespace": NAMESPACE, "object": {"spec": {"application": "managed"}}}
    for managed, expected in ((False, False), (True, True)):
        reader = lookups.LookupReader(
            load_config(cluster.kubeconfig), ttl=0, managed_fields=managed
        )
        try:
            out = bg.run(lookups.gather((APPLICATION, COMPONENTS), request, reader))
        finally:
            bg.run(reader.close())
        metadata = out["application"]["object"]["metadata"]
        assert metadata["uid"] == "uid-managed"
        assert ("managedFields" in metadata) is expected
        assert out["components"]["items"]
