"""The console's pure parts: the report reader, sessions, the rule catalogue, views, RBAC rules."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from console_support import EXAMPLES, violation_report

from konflux.console.catalogue import RuleCatalogue, refusal, rule_selected, search
from konflux.console.session import SessionSealer, bearer
from konflux.console.views import (
    admission_of,
    conditions_over_time,
    promotion,
    release_badge,
    scenario_statuses,
)
from konflux.controllers import constants as c
from konflux.engine.output.documents import report_document
from konflux.engine.output.reader import ReportFormatError, report_from_document
from konflux.engine.policy.spec import Source
from konflux.engine.rules import Rule
from konflux.testing import Attributes, UserInfo, authorize, rule_allows

# --- the report reader: the inverse of the JSON writer -----------------------------------------


def test_reader_round_trips_the_json_report():
    doc = json.loads(violation_report(with_info=True))
    report = report_from_document(doc)
    assert report.kind == "image" and not report.success
    (web,) = [t for t in report.targets if t.name == "web"]
    assert web.outcome.violations[0].code == "image.required_labels"
    assert web.outcome.violations[0].metadata["solution"] == "Set them, says --info."
    assert web.signatures == [{"keyid": "k1", "sig": "MEUC"}]
    assert report.effective_time == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert report_document(report) == doc


def test_reader_reads_input_reports_too():
    doc = {
        "success": True,
        "filepaths": [{"filepath": "in.json", "violations": [], "success": True}],
    }
    report = report_from_document(doc)
    assert report.kind == "input" and report.targets[0].name == "in.json" and report.success


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        ([], "report: expected dict"),
        ({"success": True}, "neither 'components' nor 'filepaths'"),
        ({"components": {}}, "report.components: expected list"),
        ({"components": [{"violations": [{"msg": 1}]}]}, "violations[0].msg: expected str"),
        ({"components": [{"violations": "x"}]}, "violations: expected list"),
        ({"components": [{"warnings": [{"metadata": []}]}]}, "metadata: expected dict"),
        ({"components": [], "effective-time": "yesterday"}, "not an RFC 3339 time"),
    ],
)
def test_reader_names_what_is_malformed(doc, where):
    with pytest.raises(ReportFormatError, match=where.replace("[", r"\[").replace("]", r"\]")):
        report_from_document(doc)


def test_reader_refuses_a_report_claiming_success_over_violations():
    doc = json.loads(violation_report())
    doc["success"] = True
    with pytest.raises(ReportFormatError, match="'success' is True but the results say False"):
        report_from_document(doc)


# --- sessions ------------------------------------------------------------------------------------


def test_sealed_cookie_opens_to_the_token_and_hides_it():
    sealer = SessionSealer()
    value = sealer.seal("my-secret-token")
    assert "my-secret-token" not in value
    assert sealer.open(value) == "my-secret-token"


def test_cookie_from_another_key_tampered_or_expired_is_refused():
    now = [1000.0]
    sealer = SessionSealer(max_age=60, clock=lambda: now[0])
    value = sealer.seal("t")
    assert SessionSealer().open(value) is None
    assert sealer.open(value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]) is None
    assert sealer.open("not base64 at all!") is None
    now[0] += 61
    assert sealer.open(value) is None


def test_session_key_file_accepts_hex(tmp_path):
    key = tmp_path / "key"
    key.write_text("ab" * 32 + "\n")
    sealer = SessionSealer.from_file(str(key))
    assert sealer.open(sealer.seal("x")) == "x"
    key.write_text("short")
    with pytest.raises(ValueError, match="32 bytes"):
        SessionSealer.from_file(str(key))


def test_bearer_header_parsing():
    assert bearer("Bearer abc ") == "abc" and bearer("bearer abc") == "abc"
    assert bearer("Basic abc") == "" and bearer("") == ""


# --- the rule catalogue --------------------------------------------------------------------------


def test_local_sources_are_refused_unless_allowed():
    for url in ("/etc", "file::/etc", "git::/srv/repo", "git::file:///srv/repo", "./rego"):
        assert refusal(url, allow_local=False), url
        assert not refusal(url, allow_local=True)
    for url in ("git::https://github.com/x/y//p", "oci::quay.io/x@sha256:00", "github.com/x/y"):
        assert not refusal(url, allow_local=False), url


def test_catalogue_loads_rules_with_the_engine_loader_and_caches_them():
    catalogue = RuleCatalogue(allow_local=True)
    (loaded,) = asyncio.run(catalogue.sources([str(EXAMPLES / "image")]))
    rule = loaded.rules["image.required_labels"]
    assert rule.title == "Required labels" and "LABEL" in rule.solution
    asyncio.run(catalogue.source(str(EXAMPLES / "image")))
    assert catalogue.loads == 1


def test_catalogue_reports_a_refused_or_broken_source_instead_of_rules(tmp_path):
    refused = asyncio.run(RuleCatalogue().source(str(EXAMPLES / "image")))
    assert not refused.rules and "console's own files" in refused.error
    broken = asyncio.run(RuleCatalogue(allow_local=True).source(str(tmp_path / "missing")))
    assert not broken.rules and broken.error.startswith("could not load")
    assert "no such file or directory" in broken.error


def test_search_matches_every_word_in_code_title_and_collections():
    rules = [
        Rule("a.one", "a", "one", "deny", title="Labels present", collections=("slsa3",)),
        Rule("b.two", "b", "two", "warn", title="Builder allowed", description="labels too"),
    ]
    assert [r.code for r in search(rules, "labels")] == ["a.one", "b.two"]
    assert [r.code for r in search(rules, "labels @slsa3")] == ["a.one"]
    assert [r.code for r in search(rules, "")] == ["a.one", "b.two"]


def test_rule_selection_follows_the_source_config():
    rule = Rule("image.allowed_builder", "image", "allowed_builder", "deny", collections=("demo",))
    assert rule_selected(rule, Source("s", [], include=["@demo"]))
    assert not rule_selected(rule, Source("s", [], exclude=["image.allowed_builder"]))
    assert not rule_selected(rule, Source("s", [], include=["other"]))


# --- views ---------------------------------------------------------------------------------------


def _cond(t, s, r="", m="", at=""):
    return {"type": t, "status": s, "reason": r, "message": m, "lastTransitionTime": at}


def test_release_badge_and_conditions_in_time_order():
    rel = {
        "status": {
            "conditions": [
                _cond(c.CONDITION_RELEASED, "False", "Failed", "boom", "2026-01-01T00:00:09Z"),
                _cond(c.CONDITION_VALIDATED, "True", "Succeeded", "", "2026-01-01T00:00:01Z"),
            ]
        }
    }
    assert release_badge(rel).word == "Failed" and release_badge(rel).detail == "boom"
    assert [x["type"] for x in conditions_over_time(rel)] == ["Validated", "Released"]
    assert release_badge({}).tone == "busy"
    under_way = {"status": {"conditions": [_cond(c.CONDITION_RELEASED, "False", "Progressing")]}}
    assert release_badge(under_way).word == "Progressing"


def test_promotion_says_why_a_snapshot_was_not_released():
    failed = {"status": {"conditions": [_cond(c.CONDITION_TEST_SUCCEEDED, "False", m="1 of 1")]}}
    assert promotion(failed, []).badge.detail == "required tests failed: 1 of 1"
    passed = {
        "metadata": {
            "labels": {
                c.PAC_COPY_PREFIX + "event-type": "pull_request",
                c.PAC_COPY_PREFIX + "pull-request": "7",
            }
        },
        "status": {"conditions": [_cond(c.CONDITION_TEST_SUCCEEDED, "True")]},
    }
    assert "push builds" in promotion(passed, []).badge.detail
    pushed = {**passed, "metadata": {"labels": {}}}
    assert promotion(pushed, []).badge.detail == "no ReleasePlan auto-releases this Snapshot"
    auto = {"status": {"conditions": [_cond(c.CONDITION_AUTO_RELEASED, "True")]}}
    assert promotion(auto, None).badge.word == "auto-released"


def test_test_statuses_tolerate_a_malformed_annotation():
    snap = {"metadata": {"annotations": {c.TEST_STATUS_ANNOTATION: "{not json"}}}
    assert scenario_statuses(snap) == []
    snap["metadata"]["annotations"][c.TEST_STATUS_ANNOTATION] = json.dumps([1, {"scenario": "s"}])
    assert [t.scenario for t in scenario_statuses(snap)] == ["s"]


def test_admission_reference_forms():
    plan = {"spec": {"target": "m"}, "status": {"releasePlanAdmission": {"name": "m/rpa"}}}
    assert admission_of(plan) == ("m", "rpa")
    plan["status"]["releasePlanAdmission"] = "rpa"
    assert admission_of(plan) == ("m", "rpa")
    assert admission_of({"status": {"releasePlanAdmission": 3}}) is None


# --- the emulator's RBAC, as the API server decides ---------------------------------------------


def _role(rules, ns="t", name="r", kind="Role"):
    return {"kind": kind, "metadata": {"name": name, "namespace": ns}, "rules": rules}


def _bind(subjects, ref_kind="Role", ref="r", ns="t", name="b"):
    return {
        "metadata": {"name": name, "namespace": ns},
        "roleRef": {"kind": ref_kind, "name": ref},
        "subjects": subjects,
    }


GET_RELEASES = Attributes("get", "appstudio.redhat.com", "releases", "t", "r1")


@pytest.mark.parametrize(
    ("rule", "allowed"),
    [
        (
            {"verbs": ["get"], "apiGroups": ["appstudio.redhat.com"], "resources": ["releases"]},
            True,
        ),
        ({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}, True),
        (
            {"verbs": ["list"], "apiGroups": ["appstudio.redhat.com"], "resources": ["releases"]},
            False,
        ),
        ({"verbs": ["get"], "apiGroups": [""], "resources": ["releases"]}, False),
        ({"verbs": ["get"], "apiGroups": ["*"], "resources": ["releases/status"]}, False),
        (
            {
                "verbs": ["get"],
                "apiGroups": ["*"],
                "resources": ["releases"],
                "resourceNames": ["r1"],
            },
            True,
        ),
        (
            {
                "verbs": ["get"],
                "apiGroups": ["*"],
                "resources": ["releases"],
                "resourceNames": ["r2"],
            },
            False,
        ),
    ],
)
def test_rule_matching(rule, allowed):
    assert rule_allows(rule, GET_RELEASES) is allowed


def test_resource_names_never_grant_a_list():
    rule = {
        "verbs": ["list"],
        "apiGroups": ["*"],
        "resources": ["releases"],
        "resourceNames": ["r1"],
    }
    assert not rule_allows(rule, Attributes("list", "appstudio.redhat.com", "releases", "t"))


def test_subresource_wildcards():
    attrs = Attributes("get", "", "pods", "t", "p", "log")
    assert rule_allows({"verbs": ["get"], "apiGroups": [""], "resources": ["*/log"]}, attrs)
    assert rule_allows({"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]}, attrs)
    assert not rule_allows({"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}, attrs)


def test_role_binding_grants_only_in_its_namespace_and_to_its_subjects():
    rule = {"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"]}
    roles, bindings = [_role([rule])], [_bind([{"kind": "User", "name": "alice"}])]
    alice, bob = UserInfo("alice"), UserInfo("bob")
    assert authorize(alice, GET_RELEASES, roles, [], bindings, []).allowed
    assert not authorize(bob, GET_RELEASES, roles, [], bindings, []).allowed
    elsewhere = Attributes("get", "appstudio.redhat.com", "releases", "other", "r1")
    assert not authorize(alice, elsewhere, roles, [], bindings, []).allowed
    cluster_wide = Attributes("get", "appstudio.redhat.com", "releases", "", "")
    assert not authorize(alice, cluster_wide, roles, [], bindings, []).allowed


def test_service_account_subjects_and_cluster_role_bindings():
    rule = {"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"]}
    cluster_roles = [_role([rule], ns=None, name="viewer", kind="ClusterRole")]
    crb = _bind(
        [{"kind": "ServiceAccount", "name": "console", "namespace": "sys"}],
        "ClusterRole",
        "viewer",
        ns=None,
    )
    sa = UserInfo.service_account("sys", "console")
    assert authorize(sa, GET_RELEASES, [], cluster_roles, [], [crb]).allowed
    assert not authorize(
        UserInfo.service_account("t", "console"), GET_RELEASES, [], cluster_roles, [], [crb]
    ).allowed
    # A binding to a role that does not exist grants nothing.
    missing = _bind([{"kind": "User", "name": "x"}], "ClusterRole", "gone", ns=None)
    assert not authorize(UserInfo("x"), GET_RELEASES, [], cluster_roles, [], [missing]).allowed


def test_system_masters_may_do_anything_and_groups_bind():
    assert authorize(UserInfo("root", ("system:masters",)), GET_RELEASES, [], [], [], []).allowed
    rule = {"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"]}
    group = [_bind([{"kind": "Group", "name": "devs"}])]
    assert authorize(UserInfo("a", ("devs",)), GET_RELEASES, [_role([rule])], [], group, []).allowed
    authenticated = [_bind([{"kind": "Group", "name": "system:authenticated"}])]
    assert authorize(UserInfo("a"), GET_RELEASES, [_role([rule])], [], authenticated, []).allowed


def test_release_processing_names_every_pipeline_and_earlier_attempts():
    from konflux.console.views import release_processing

    rel = {
        "metadata": {"namespace": "t"},
        "status": {
            "target": "m",
            "tenantProcessing": {"pipelineRun": "t/r-tenant"},
            "managedProcessing": {"pipelineRun": "m/r-managed-1"},
            "finalProcessing": {"pipelineRun": "t/r-final"},
            "managedPipelineAttempts": [
                {"pipelineRun": "m/r-managed-0"},
                {"pipelineRun": "m/r-managed-1"},
                "junk",
            ],
            "attribution": {"author": "a"},
        },
    }
    p = release_processing(rel)
    assert (p.tenant, p.managed, p.final) == (
        ("t", "r-tenant"),
        ("m", "r-managed-1"),
        ("t", "r-final"),
    )
    assert p.earlier_attempts == [("m", "r-managed-0")]
    assert release_processing({"status": {"managedProcessing": "junk"}}).managed is None


@pytest.mark.parametrize(
    ("record", "why"),
    [
        ("[]", "not a JSON object"),
        ('{"promoted": "yes", "denied": [], "gates": "g"}', '"promoted" is not true or false'),
        (
            '{"promoted": true, "denied": [], "gates": ""}',
            '"gates" does not name the gates\' digest',
        ),
        ('{"promoted": false, "denied": ["x"], "gates": "g"}', '"denied" is not a list of {code'),
        ('{"promoted": true, "denied": [], "gates": "g", "releasePlans": "p"}', '"releasePlans"'),
        ('{"promoted": false, "denied": [], "gates": "g"}', "not promoted, yet no denial"),
    ],
)
def test_promotion_record_of_another_shape_is_an_error(record, why):
    shown = promotion({"metadata": {"annotations": {c.PROMOTION_ANNOTATION: record}}}, [])
    assert (shown.state, shown.badge.word, shown.badge.tone) == (
        "unreadable",
        "promotion unknown",
        "bad",
    )
    assert why in shown.badge.detail
