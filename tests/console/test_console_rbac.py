"""What a user sees is what the API server's RBAC lets that user read: one test per case.

The emulator answers TokenReview and SubjectAccessReview as kube-apiserver does (static
tokens, the RBAC authorizer over the Roles and bindings created here). The console
reads with its own (unrestricted) client, so anything it shows beyond a user's rights
would be a leak the tests catch.
"""

from __future__ import annotations

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
)

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
