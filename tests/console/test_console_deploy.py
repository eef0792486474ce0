"""deploy/console: the console's own rights are the two reviews plus read, and they suffice."""

from __future__ import annotations

from pathlib import Path

import yaml
from console_support import (
    APP,
    MANAGED,
    RELEASE_FAILED,
    TENANT,
    ServedConsole,
    fetch,
    small_world,
)

from konflux.cli.web_console import serve
from konflux.kube.resources import CLUSTER_ROLE, CLUSTER_ROLE_BINDING

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "console"
READ = {"get", "list", "watch"}


def documents(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def cluster_role() -> dict:
    (role,) = [d for d in documents("rbac.yaml") if d["kind"] == "ClusterRole"]
    return role


def deployed_rbac() -> list:
    """deploy/console's ClusterRole and ClusterRoleBinding, to create in the emulator."""
    (crb,) = [d for d in documents("rbac.yaml") if d["kind"] == "ClusterRoleBinding"]
    return [(CLUSTER_ROLE, cluster_role()), (CLUSTER_ROLE_BINDING, crb)]


def test_cluster_role_grants_reviews_and_read_only():
    creates, reads = set(), set()
    for rule in cluster_role()["rules"]:
        verbs = set(rule["verbs"])
        assert "*" not in verbs and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        for resource in rule["resources"]:
            if verbs == {"create"}:
                creates.add(resource)
            else:
                assert verbs <= READ, rule
                reads.add(resource)
    assert creates == {"tokenreviews", "subjectaccessreviews"}
    assert not reads & {"secrets", "users", "groups", "serviceaccounts"}
    assert {"releases", "snapshots", "pipelineruns", "taskruns"} <= reads


def test_kustomization_names_existing_files_and_the_deployment_parses_as_the_cli():
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    for name in kustomization["resources"]:
        assert (DEPLOY / name).is_file(), name
    (deployment,) = documents("deployment.yaml")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert args[:2] == ["console", "serve"]
    known = {opt for param in serve.params for opt in param.opts}
    flags = {a.split("=", 1)[0] for a in args[2:]}
    assert flags <= known, flags - known
    assert {"--tls-cert", "--tls-key", "--session-key-file"} <= flags
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "konflux-console"


def test_the_deployed_rights_are_enough_for_every_page(kube_pki):
    """The console reads with a ServiceAccount token; the emulator enforces deploy/console RBAC."""
    rbac = deployed_rbac()
    users = {
        "admin": ("system:masters",),
        "system:serviceaccount:konflux-console:konflux-console": (
            "system:serviceaccounts",
            "system:serviceaccounts:konflux-console",
        ),
    }
    console = "system:serviceaccount:konflux-console:konflux-console"
    with ServedConsole(
        small_world(), rbac=rbac, users=users, console_as=console, pki=kube_pki
    ) as served:
        pages = [
            "/",
            "/rules",
            f"/ns/{TENANT}",
            f"/ns/{TENANT}/applications/{APP}",
            f"/ns/{TENANT}/releases/{RELEASE_FAILED}",
            f"/ns/{MANAGED}/policies/prod-policy",
            f"/ns/{MANAGED}/pipelineruns/{RELEASE_FAILED}-managed-0",
        ]
        for path in pages:
            status, body, _ = fetch(served, path, "admin")
            assert status == 200, (path, body[-600:])
        assert "Required labels" in fetch(served, pages[4], "admin")[1]
        assert served.access.counters.reads > 0
        # The same client is refused what the role does not grant.
        from konflux.kube.errors import KubeApiError
        from konflux.kube.resources import Resource

        secrets = Resource("", "v1", "secrets", "Secret")

        async def read_secrets(cluster):
            try:
                await served.access.client.list(secrets, TENANT)
            except KubeApiError as exc:
                return exc.status
            return 200

        assert served.call(read_secrets) == 403
