"""What a user sees is what the API server's RBAC lets that user read: one test per case.

The emulator answers TokenReview and SubjectAccessReview as kube-apiserver does (static
tokens, the RBAC authorizer over the Roles and bindings created here). The console
reads with its own (unrestricted) client, so anything it shows beyond a user's rights
would be a leak the tests catch.
"""

from __future__ import annotations

import json
import random
from urllib.parse import unquote

import pytest
from console_support import (
    APP,
    MANAGED,
    MANAGED_RUN,
    READ_EVERYTHING,
    RELEASE_FAILED,
    RELEASE_OK,
    SNAP_FAILED,
    TENANT,
    ServedConsole,
    binding,
    fetch,
    role,
    small_world,
    user,
    violation_report,
)

from konflux.controllers import constants as c

APP_PAGE = f"/ns/{TENANT}/applications/{APP}"
RELEASE_PAGE = f"/ns/{TENANT}/releases/{RELEASE_FAILED}"

NO_RELEASES = [
    {
        "apiGroups": ["appstudio.redhat.com"],
        "resources": ["applications", "components", "snapshots", "releaseplans"],
        "verbs": ["get", "list"],
    }
]


def _world(rules_by_ns: dict[str, list[dict]], who: str = "alice") -> ServedConsole:
    rbac = []
    for ns, rules in rules_by_ns.items():
        rbac.append(role(ns, f"{who}-reader", rules))
        rbac.append(binding(ns, f"{who}-reader", "Role", f"{who}-reader", [user(who)]))
    return ServedConsole(small_world(), rbac=rbac, users={who: (), "admin": ("system:masters",)})


@pytest.fixture(scope="module")
def full_tenant_rights():
    with _world({TENANT: READ_EVERYTHING, MANAGED: READ_EVERYTHING}) as served:
        yield served


def test_allowed_user_sees_applications_snapshots_releases_and_the_report(full_tenant_rights):
    status, start, _ = fetch(full_tenant_rights, "/", "alice")
    assert status == 200 and APP in start and TENANT in start and MANAGED in start
    status, page, _ = fetch(full_tenant_rights, APP_PAGE, "alice")
    assert status == 200
    for name in (RELEASE_OK, RELEASE_FAILED, SNAP_FAILED, "web", "to-prod"):
        assert name in page
    status, page, _ = fetch(full_tenant_rights, RELEASE_PAGE, "alice")
    assert status == 200
    assert "Required labels" in page  # the rule's title, from the policy source
    assert MANAGED_RUN in page


def test_denied_user_sees_no_namespace_and_no_page():
    with _world({}) as served:
        status, start, _ = fetch(served, "/", "alice")
        assert status == 200
        assert TENANT not in start and MANAGED not in start and APP not in start
        for path in (
            APP_PAGE,
            RELEASE_PAGE,
            f"/ns/{TENANT}",
            f"/ns/{MANAGED}/policies/prod-policy",
        ):
            status, page, _ = fetch(served, path, "alice")
            assert status == 403, path
            # Names in the URL are echoed in the message; nothing the objects hold is shown.
            for secret in (MANAGED_RUN, SNAP_FAILED, "Required labels", "Production policy"):
                assert secret not in page, (path, secret)
        # The same pages exist: an admin sees them.
        assert fetch(served, RELEASE_PAGE, "admin")[0] == 200


def test_partially_allowed_user_sees_the_application_but_no_releases():
    with _world({TENANT: NO_RELEASES}) as served:
        status, page, _ = fetch(served, APP_PAGE, "alice")
        assert status == 200
        assert SNAP_FAILED in page and "web" in page
        assert "You may not list Releases in namespace team-a" in page
        assert RELEASE_FAILED not in page and RELEASE_OK not in page
        # Nor through the Snapshot page, nor directly.
        status, page, _ = fetch(served, f"/ns/{TENANT}/snapshots/{SNAP_FAILED}", "alice")
        assert status == 200 and RELEASE_FAILED not in page
        status, page, _ = fetch(served, RELEASE_PAGE, "alice")
        assert status == 403 and "may not get releases" in page


def test_list_without_get_on_releases_shows_no_releases():
    rules = [
        *NO_RELEASES,
        {"apiGroups": ["appstudio.redhat.com"], "resources": ["releases"], "verbs": ["list"]},
    ]
    with _world({TENANT: rules}) as served:
        status, page, _ = fetch(served, APP_PAGE, "alice")
        assert status == 200
        assert RELEASE_FAILED not in page and "You may not list Releases" in page


def test_resource_names_allow_one_release_and_no_listing():
    rules = [
        *NO_RELEASES,
        {
            "apiGroups": ["appstudio.redhat.com"],
            "resources": ["releases"],
            "resourceNames": [RELEASE_OK],
            "verbs": ["get"],
        },
    ]
    with _world({TENANT: rules}) as served:
        assert fetch(served, f"/ns/{TENANT}/releases/{RELEASE_OK}", "alice")[0] == 200
        assert fetch(served, RELEASE_PAGE, "alice")[0] == 403
        assert RELEASE_OK not in fetch(served, APP_PAGE, "alice")[1]


def test_tenant_user_without_managed_rights_sees_the_release_but_not_the_managed_report():
    with _world({TENANT: READ_EVERYTHING}) as served:
        status, page, _ = fetch(served, RELEASE_PAGE, "alice")
        assert status == 200 and RELEASE_FAILED in page
        assert f"you may not get PipelineRuns in namespace {MANAGED}" in page
        assert "Required labels" not in page and "vendor" not in page


def test_rights_in_another_namespace_do_not_carry_over():
    with _world({MANAGED: READ_EVERYTHING}) as served:
        start = fetch(served, "/", "alice")[1]
        assert MANAGED in start and APP not in start
        assert fetch(served, APP_PAGE, "alice")[0] == 403


def test_cluster_role_through_a_role_binding_applies_in_that_namespace_only():
    from console_support import cluster_role

    rbac = [
        cluster_role("konflux-viewer", READ_EVERYTHING),
        binding(TENANT, "alice-views", "ClusterRole", "konflux-viewer", [user("alice")]),
    ]
    with ServedConsole(small_world(), rbac=rbac, users={"alice": ()}) as served:
        assert fetch(served, APP_PAGE, "alice")[0] == 200
        assert fetch(served, f"/ns/{MANAGED}/policies/prod-policy", "alice")[0] == 403


def test_group_binding_grants_to_members_only():
    rbac = [
        role(TENANT, "team", READ_EVERYTHING),
        binding(TENANT, "team", "Role", "team", [{"kind": "Group", "name": "team-a-devs"}]),
    ]
    users = {"member": ("team-a-devs",), "outsider": ("other",)}
    with ServedConsole(small_world(), rbac=rbac, users=users) as served:
        assert fetch(served, APP_PAGE, "member")[0] == 200
        assert fetch(served, APP_PAGE, "outsider")[0] == 403


def test_unknown_token_is_sent_to_login_and_never_shown_a_page(full_tenant_rights):
    status, _, headers = fetch(full_tenant_rights, APP_PAGE, "not-a-token")
    assert status == 302 and headers["Location"].startswith("/login?next=")
    assert (
        "token+was+not+accepted" in headers["Location"] or "not%20accepted" in headers["Location"]
    )
    status, body, _ = fetch(
        full_tenant_rights, APP_PAGE, "not-a-token", headers={"Accept": "application/json"}
    )
    assert status == 401 and RELEASE_FAILED not in body
    status, _, headers = fetch(full_tenant_rights, APP_PAGE)
    assert status == 302 and unquote(headers["Location"]) == f"/login?next={APP_PAGE}"


KINDS = {
    "applications": TENANT,
    "components": TENANT,
    "snapshots": TENANT,
    "releases": TENANT,
    "releaseplans": TENANT,
    "releaseplanadmissions": MANAGED,
    "enterprisecontractpolicies": MANAGED,
    "pipelineruns": MANAGED,
    "taskruns": MANAGED,
}


def marked_world() -> list[dict]:
    """small_world with a marker only each kind's own object holds, in a field a page shows."""
    world = small_world(violation_report(message="MARK-taskruns"))
    for entry in world:
        obj, plural = entry["object"], entry["plural"]
        mark = f"MARK-{plural}"
        if plural == "applications" and obj["metadata"]["name"] == APP:
            obj["spec"]["displayName"] = mark
        elif plural == "components":
            obj["spec"]["source"]["git"]["url"] = f"https://git.example/{mark}"
        elif plural == "snapshots":
            notes = json.loads(obj["metadata"]["annotations"][c.TEST_STATUS_ANNOTATION])
            notes[0]["details"] = mark
            obj["metadata"]["annotations"][c.TEST_STATUS_ANNOTATION] = json.dumps(notes)
        elif plural == "releases":
            obj["status"]["conditions"][-1]["message"] = mark
        elif plural == "releaseplans":
            obj["metadata"].setdefault("labels", {})[c.AUTO_RELEASE_LABEL] = mark
        elif plural == "releaseplanadmissions":
            obj["spec"]["origin"] = mark
        elif plural == "enterprisecontractpolicies":
            obj["spec"]["description"] = mark
        elif plural == "pipelineruns":
            obj["status"]["conditions"][0]["message"] = mark
    return world


def test_no_page_ever_shows_an_object_the_user_may_not_get():
    """Random rights per user; every page of the world is visited; a kind's marker may only
    appear for a user who may `get` that kind (in its namespace)."""
    rng = random.Random(16)
    grants: dict[str, dict[str, set[str]]] = {}
    rbac = []
    for i in range(12):
        who = f"user{i}"
        grants[who] = {
            k: set(rng.choice([(), ("get",), ("list",), ("get", "list")])) for k in KINDS
        }
        for ns in (TENANT, MANAGED):
            rules = [
                {
                    "apiGroups": ["appstudio.redhat.com", "tekton.dev"],
                    "resources": [k],
                    "verbs": sorted(v),
                }
                for k, v in grants[who].items()
                if v and KINDS[k] == ns
            ]
            if rules:
                rbac.append(role(ns, who, rules))
                rbac.append(binding(ns, who, "Role", who, [user(who)]))
    pages = [
        "/",
        "/rules",
        f"/ns/{TENANT}",
        f"/ns/{MANAGED}",
        APP_PAGE,
        f"/ns/{TENANT}/snapshots/{SNAP_FAILED}",
        RELEASE_PAGE,
        f"/ns/{TENANT}/releases/{RELEASE_OK}",
        f"/ns/{MANAGED}/pipelineruns/{MANAGED_RUN}",
        f"/ns/{MANAGED}/policies/prod-policy",
    ]
    users = {who: () for who in grants} | {"admin": ("system:masters",)}
    with ServedConsole(marked_world(), rbac=rbac, users=users) as served:
        admin_pages = "".join(fetch(served, p, "admin")[1] for p in pages)
        for kind in KINDS:  # every marker is on some page, so its absence means something
            assert f"MARK-{kind}" in admin_pages, kind
        seen_any = 0
        for who, granted in grants.items():
            shown = "".join(fetch(served, p, who)[1] for p in pages)
            for kind in KINDS:
                if f"MARK-{kind}" in shown:
                    seen_any += 1
                    assert "get" in granted[kind], (who, kind, granted)
        assert seen_any > 0
