"""deploy/: who may read the signer's key. Every Role, ClusterRole and binding under
deploy/ is evaluated as the API server's RBAC authorizer would (verbs, API groups,
resources, resourceNames; RoleBindings in their namespace, ClusterRoleBindings
everywhere): only the signer's ServiceAccount gets its Secret; tenants, their build
ServiceAccounts and the other controllers do not, and no tenant may write the status of
a Tekton run (the record the signer attests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from konflux.controllers.chains.config import (
    DEFAULT_NAMESPACE,
    PUBLIC_KEY_SECRET_NAME,
    SIGNING_SECRET_NAME,
)

ROOT = Path(__file__).resolve().parents[2]
TENANT = "demo-tenant"


def manifests() -> list[dict]:
    return [
        d
        for path in sorted((ROOT / "deploy").rglob("*.yaml"))
        for d in yaml.safe_load_all(path.read_text())
        if isinstance(d, dict) and d.get("kind")
    ]


@dataclass(frozen=True)
class Subject:
    kind: str  # User | ServiceAccount
    name: str
    namespace: str = ""

    @property
    def groups(self) -> set[str]:
        groups = {"system:authenticated"}
        if self.kind == "ServiceAccount":
            groups |= {"system:serviceaccounts", f"system:serviceaccounts:{self.namespace}"}
        return groups

    def named_by(self, subject: dict, binding_ns: str) -> bool:
        kind, name = subject.get("kind"), subject.get("name")
        if kind == "Group":
            return name in self.groups
        if kind != self.kind or name != self.name:
            return False
        return kind != "ServiceAccount" or subject.get("namespace", binding_ns) == self.namespace


class Authorizer:
    def __init__(self, docs: list[dict]) -> None:
        self.cluster_roles = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ClusterRole"}
        self.roles = {
            (d["metadata"]["namespace"], d["metadata"]["name"]): d
            for d in docs
            if d["kind"] == "Role"
        }
        self.bindings = [d for d in docs if d["kind"] in ("RoleBinding", "ClusterRoleBinding")]

    def _rules(self, binding: dict) -> list[dict]:
        ref = binding["roleRef"]
        if ref["kind"] == "ClusterRole":
            role = self.cluster_roles.get(ref["name"])
        else:
            role = self.roles.get((binding["metadata"]["namespace"], ref["name"]))
        assert role is not None, f"{binding['metadata']['name']} binds a missing role {ref}"
        assert "aggregationRule" not in role, "aggregated roles are not modelled here"
        return role.get("rules") or []

    def allowed(
        self, who: Subject, verb: str, group: str, resource: str, namespace: str, name: str = ""
    ) -> bool:
        for binding in self.bindings:
            scope = binding["metadata"].get("namespace")
            if binding["kind"] == "RoleBinding" and scope != namespace:
                continue
            if not any(who.named_by(s, scope or "") for s in binding.get("subjects") or []):
                continue
            for rule in self._rules(binding):
                if (
                    _match(rule.get("verbs"), verb)
                    and _match(rule.get("apiGroups"), group)
                    and _match(rule.get("resources"), resource)
                    and (not rule.get("resourceNames") or name in rule["resourceNames"])
                ):
                    return True
        return False


def _match(values: list[str] | None, value: str) -> bool:
    return bool(values) and ("*" in values or value in values)


SIGNER = Subject("ServiceAccount", "konflux-chains", DEFAULT_NAMESPACE)
TENANT_ADMIN = Subject("User", "demo-user")
BUILD_SA = Subject("ServiceAccount", "build-pipeline-api", TENANT)
TENANTS = [TENANT_ADMIN, BUILD_SA, Subject("ServiceAccount", "default", TENANT)]
OTHERS = [
    *TENANTS,
    Subject("ServiceAccount", "konflux-controllers", "konflux-system"),
    Subject("ServiceAccount", "konflux-webhook", "konflux-webhook"),
    Subject("User", "someone-else"),
]
READS = ("get", "list", "watch")


@pytest.fixture(scope="module")
def rbac() -> Authorizer:
    return Authorizer(manifests())


def test_only_the_signer_reads_the_signing_secret(rbac: Authorizer):
    assert rbac.allowed(SIGNER, "get", "", "secrets", DEFAULT_NAMESPACE, SIGNING_SECRET_NAME)
    for who in OTHERS:
        for verb in (*READS, "update", "patch", "delete"):
            assert not rbac.allowed(
                who, verb, "", "secrets", DEFAULT_NAMESPACE, SIGNING_SECRET_NAME
            ), (who, verb)


def test_every_binding_that_can_read_the_key_names_only_the_signer(rbac: Authorizer):
    for binding in rbac.bindings:
        scope = binding["metadata"].get("namespace")
        if binding["kind"] == "RoleBinding" and scope != DEFAULT_NAMESPACE:
            continue
        grants = any(
            _match(r.get("verbs"), "get")
            and _match(r.get("resources"), "secrets")
            and (not r.get("resourceNames") or SIGNING_SECRET_NAME in r["resourceNames"])
            for r in rbac._rules(binding)
        )
        if grants:
            assert binding["subjects"] == [
                {"kind": "ServiceAccount", "name": SIGNER.name, "namespace": SIGNER.namespace}
            ], binding["metadata"]["name"]


def test_the_signer_reads_no_other_secret_and_lists_none(rbac: Authorizer):
    assert not rbac.allowed(SIGNER, "list", "", "secrets", DEFAULT_NAMESPACE)
    assert not rbac.allowed(SIGNER, "get", "", "secrets", DEFAULT_NAMESPACE, "other")
    assert not rbac.allowed(SIGNER, "get", "", "secrets", TENANT, "push-secret")
    assert not rbac.allowed(SIGNER, "update", "", "secrets", DEFAULT_NAMESPACE, SIGNING_SECRET_NAME)


def test_everyone_reads_the_public_key(rbac: Authorizer):
    for who in [SIGNER, *OTHERS]:
        assert rbac.allowed(who, "get", "", "secrets", DEFAULT_NAMESPACE, PUBLIC_KEY_SECRET_NAME)


def test_the_signer_watches_and_annotates_runs_everywhere(rbac: Authorizer):
    for resource in ("pipelineruns", "taskruns"):
        for verb in ("get", "list", "watch", "patch"):
            assert rbac.allowed(SIGNER, verb, "tekton.dev", resource, TENANT)
    for verb in ("get", "create", "patch", "delete"):
        assert rbac.allowed(SIGNER, verb, "", "configmaps", DEFAULT_NAMESPACE, "pr-uid")
    assert not rbac.allowed(SIGNER, "create", "", "configmaps", TENANT)


def test_tenants_own_their_namespace_but_not_the_signers(rbac: Authorizer):
    # The premise: the tenant reads every Secret of its own namespace.
    assert rbac.allowed(TENANT_ADMIN, "get", "", "secrets", TENANT, "push-secret")
    # (The platform's own controllers hold configmaps cluster-wide for build-service; they
    # are not tenants.)
    for who in TENANTS:
        for verb in ("create", "patch", "delete"):
            assert not rbac.allowed(who, verb, "", "configmaps", DEFAULT_NAMESPACE, "pr-uid")
        assert not rbac.allowed(who, "patch", "", "configmaps", DEFAULT_NAMESPACE, "chains-config")


def test_no_tenant_writes_the_record_of_a_tekton_run(rbac: Authorizer):
    assert rbac.allowed(TENANT_ADMIN, "create", "tekton.dev", "pipelineruns", TENANT)
    for who in (TENANT_ADMIN, BUILD_SA):
        for resource in ("pipelineruns/status", "taskruns/status"):
            for verb in ("update", "patch"):
                assert not rbac.allowed(who, verb, "tekton.dev", resource, TENANT), (who, resource)


def test_the_authorizer_model_is_not_vacuous(rbac: Authorizer):
    """A binding to the signer's Role for a tenant would be caught (the model reads it)."""
    leaky = Authorizer(
        [
            *manifests(),
            {
                "kind": "RoleBinding",
                "metadata": {"name": "leak", "namespace": DEFAULT_NAMESPACE},
                "roleRef": {"kind": "Role", "name": "konflux-chains"},
                "subjects": [{"kind": "Group", "name": "system:authenticated"}],
            },
        ]
    )
    assert leaky.allowed(TENANT_ADMIN, "get", "", "secrets", DEFAULT_NAMESPACE, SIGNING_SECRET_NAME)
