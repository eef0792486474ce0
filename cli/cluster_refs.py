"""Cluster references on the command line, read as `ec` and cosign read them.

- `--policy NAME` or `NAMESPACE/NAME`: the EnterpriseContractPolicy resource's `spec`
  (a bare name is in the kubeconfig context's namespace, or the pod's in a cluster);
- `--public-key k8s://[NAMESPACE/]NAME` (also `--policy-key`, `--vsa-public-key`): the
  Secret's `cosign.pub`; a private key (`--vsa-signing-key`) reads `cosign.key` and
  `cosign.password`, and `k8s://NAMESPACE/NAME/FIELD` names another field;
- `--snapshot [NAMESPACE/]NAME` (and `--images NAME`): the Snapshot resource's `spec`.

Everything goes through `konflux.kube` (the controllers' client: kubeconfig in every
form, in-cluster), and errors name the resource and, for a 403, the permission missing.
A value that is an existing file, inline JSON/YAML or a URL is never a cluster reference.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.engine.errors import KonfluxError
from konflux.kube.resources import POLICY, SECRET, SNAPSHOT, Resource

# A Kubernetes name (DNS-1123 label), optionally `namespace/`-qualified.
_NAME = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
RESOURCE_REF = re.compile(rf"^(?:({_NAME})/)?({_NAME})$")
K8S_PREFIX = "k8s://"


class ClusterRefError(KonfluxError):
    """A cluster reference could not be read."""


def is_resource_ref(value: str | None) -> bool:
    """`name` or `namespace/name`, and not a file that exists (ec reads files first)."""
    if not value or not RESOURCE_REF.match(value) or len(value) > 253:
        return False
    return not Path(value).exists()


def is_secret_ref(value: str | None) -> bool:
    return bool(value) and str(value).startswith(K8S_PREFIX)


@dataclass
class ClusterRefs:
    """Reads cluster references with one client, made on first use."""

    kubeconfig: str | None = None
    context: str | None = None

    def __post_init__(self) -> None:
        self._config: Any = None

    def config(self) -> Any:
        if self._config is None:
            from konflux.kube.config import load_config

            self._config = load_config(self.kubeconfig, self.context)
        return self._config

    def _get(self, resource: Resource, namespace: str, name: str) -> dict[str, Any]:
        import asyncio  # here: a run without cluster references does not load it

        from konflux.kube.client import KubeClient

        async def read() -> Any:
            async with KubeClient(self.config(), timeout=30.0) as client:
                return await client.get(resource, namespace, name)

        obj = asyncio.run(read())
        if obj is None:
            raise ClusterRefError(
                f'{resource.kind} "{name}" not found in namespace "{namespace}" '
                f"(API server {self.config().server}, {self.config().origin})"
            )
        return obj

    def _split(self, ref: str) -> tuple[str, str]:
        m = RESOURCE_REF.match(ref)
        if not m:
            raise ClusterRefError(f"{ref!r} is not a resource name ([NAMESPACE/]NAME)")
        return m.group(1) or self.config().namespace, m.group(3)

    def policy_spec(self, ref: str) -> dict[str, Any]:
        """The `spec` of the EnterpriseContractPolicy `[namespace/]name`."""
        namespace, name = self._split(ref)
        spec = self._get(POLICY, namespace, name).get("spec")
        if not isinstance(spec, dict):
            raise ClusterRefError(f'EnterpriseContractPolicy "{namespace}/{name}" has no spec')
        return spec

    def snapshot_spec(self, ref: str) -> dict[str, Any]:
        """The `spec` of the Snapshot `[namespace/]name`."""
        namespace, name = self._split(ref)
        spec = self._get(SNAPSHOT, namespace, name).get("spec")
        if not isinstance(spec, dict):
            raise ClusterRefError(f'Snapshot "{namespace}/{name}" has no spec')
        return spec

    def secret_field(self, ref: str, default_field: str) -> bytes:
        """A field of the Secret in `k8s://[namespace/]name[/field]` (cosign's key refs)."""
        body = ref.removeprefix(K8S_PREFIX)
        parts = body.split("/")
        if len(parts) == 1:
            namespace, name, field = self.config().namespace, parts[0], default_field
        elif len(parts) == 2:
            (namespace, name), field = parts, default_field
        elif len(parts) == 3:
            namespace, name, field = parts
        else:
            raise ClusterRefError(
                f"{ref}: expected k8s://[NAMESPACE/]NAME or k8s://NAMESPACE/NAME/FIELD"
            )
        secret = self._get(SECRET, namespace, name)
        data = secret.get("data") or {}
        if field in data:
            try:
                return base64.b64decode(data[field], validate=True)
            except ValueError:
                raise ClusterRefError(f"{ref}: field {field!r} is not base64") from None
        string_data = secret.get("stringData") or {}
        if field in string_data:
            return str(string_data[field]).encode()
        raise ClusterRefError(
            f'Secret "{namespace}/{name}" has no {field!r} field (fields: '
            f"{', '.join(sorted(data)) or 'none'})"
        )

    def public_key(self, ref: str) -> str:
        """cosign: `k8s://ns/name` is the Secret's `cosign.pub`."""
        return self.secret_field(ref, "cosign.pub").decode()

    def private_key(self, ref: str) -> tuple[bytes, bytes | None]:
        """cosign: `cosign.key` and, when the Secret has one, `cosign.password`."""
        key = self.secret_field(ref, "cosign.key")
        try:
            password = self.secret_field(
                K8S_PREFIX + "/".join(ref.removeprefix(K8S_PREFIX).split("/")[:2]),
                "cosign.password",
            )
        except ClusterRefError:
            password = None
        return key, password


# -- what the commands call ---------------------------------------------------------------------

_CONFIGURED: list[ClusterRefs] = []


def configure(kubeconfig: str | None = None, context: str | None = None) -> None:
    """Use this kubeconfig (global `--kubeconfig`) for every cluster reference."""
    _CONFIGURED[:] = [ClusterRefs(kubeconfig, context)]


def _refs() -> ClusterRefs:
    # Without --kubeconfig the environment decides, read afresh (KUBECONFIG may change).
    return _CONFIGURED[0] if _CONFIGURED else ClusterRefs()


def load_policy_ref(ref: str) -> Any:
    """A policy given as `ec` accepts it: a cluster resource, or whatever `load_policy` reads."""
    from konflux.engine.policy.spec import load_policy, policy_from_document

    if is_resource_ref(ref.strip()):
        spec = _refs().policy_spec(ref.strip())
        return policy_from_document(
            spec, f"EnterpriseContractPolicy {ref.strip()}", check_schema=False
        )
    return load_policy(ref)


def public_key_text(value: str) -> str:
    """PEM text of a public key: `k8s://` Secret, file, or inline PEM."""
    if is_secret_ref(value):
        return _refs().public_key(value)
    from konflux.engine.sigstore.keys import read_key_material

    return read_key_material(value)[0].decode()


def private_key(value: str) -> Any:
    """A signing key: `k8s://` Secret (`cosign.key` + `cosign.password`) or a file."""
    from konflux.engine.sigstore import load_private_key

    if is_secret_ref(value):
        key, password = _refs().private_key(value)
        return load_private_key(key, password)
    return load_private_key(value)


def snapshot_text(value: str) -> str:
    """`--snapshot`: a Snapshot resource's spec as JSON, else the value itself (inline)."""
    import json

    if is_resource_ref(value.strip()):
        return json.dumps(_refs().snapshot_spec(value.strip()))
    return value
