"""The signer's key as Kubernetes Secrets, in Tekton Chains' layout.

`signing-secrets` holds `cosign.key` (cosign's encrypted PEM), `cosign.password` and
`cosign.pub`, as `cosign generate-key-pair k8s://NAMESPACE/NAME` writes it (immutable);
only the signer reads it. `public-key` holds `cosign.pub` alone, for everyone who
verifies (upstream Konflux publishes the same). `konflux key generate --secret` and
`konflux dev simulate` write them with this function.
"""

from __future__ import annotations

import base64

from konflux.controllers.chains.config import PUBLIC_KEY_SECRET_NAME
from konflux.controllers.objects import Obj
from konflux.engine.sigstore import KeyPair


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def key_secrets(namespace: str, name: str, pair: KeyPair, password: bytes) -> list[Obj]:
    """The private Secret `namespace/name` and the public Secret `namespace/public-key`."""
    labels = {"app.kubernetes.io/part-of": "konflux-chains"}
    private: Obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "type": "Opaque",
        "immutable": True,
        "data": {
            "cosign.key": _b64(pair.private_pem),
            "cosign.password": _b64(password),
            "cosign.pub": _b64(pair.public_pem),
        },
    }
    public: Obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": PUBLIC_KEY_SECRET_NAME, "namespace": namespace, "labels": labels},
        "type": "Opaque",
        "data": {"cosign.pub": _b64(pair.public_pem)},
    }
    return [private, public]
