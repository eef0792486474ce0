"""Finding and reading the cluster configuration: any kubeconfig kubectl accepts, or in-cluster.

Every component that talks to the API server (controllers, gc-snapshots, webhook
lookups, the CLI) calls `load_config` (or `find_config` where no cluster is
acceptable) and so finds its configuration the same way, in controller-runtime's
order:

1. `--kubeconfig FILE` (must exist);
2. `$KUBECONFIG` (one or more files, merged as kubectl merges them);
3. in-cluster: `KUBERNETES_SERVICE_HOST`/`_PORT` and the service-account token;
4. `~/.kube/config`.

`--context` picks a kubeconfig context instead of `current-context` (and skips
in-cluster, which has no contexts).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from konflux.kube.credentials import UserAuth, decode_data, read_file
from konflux.kube.errors import KubeConfigError
from konflux.kube.kubeconfig import Entry, Kubeconfig, read_kubeconfig, split_kubeconfig_env
from konflux.kube.tls import TLSConfig

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
EXEC_EXTENSION = "client.authentication.k8s.io/exec"  # cluster extension handed to exec plugins
NO_CONFIG = (
    "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, run in a cluster, "
    "or create ~/.kube/config"
)


@dataclass(frozen=True)
class ClusterConfig:
    """Where the API server is, how to trust it, and who we are to it."""

    server: str  # scheme://host[:port][/prefix], no trailing slash
    origin: str = ""  # where this came from, for messages: kubeconfig file and context, or the pod
    namespace: str = "default"  # the context's namespace (in-cluster: the pod's)
    tls: TLSConfig = field(default_factory=TLSConfig)
    user: UserAuth = field(default_factory=UserAuth)
    proxy_url: str | None = None

    @property
    def secure(self) -> bool:
        return self.server.startswith("https://")

    @classmethod
    def for_server(cls, server: str) -> ClusterConfig:
        """An API server URL without credentials (the emulator, tests)."""
        return cls(server=_server(server, "--server"), origin=f"server {server}")


def load_config(
    kubeconfig: str | Path | None = None,
    context: str | None = None,
    *,
    environ: dict[str, str] | None = None,
) -> ClusterConfig:
    """The configuration found as the module docstring says; `KubeConfigError` when none."""
    config = find_config(kubeconfig, context, environ=environ)
    if config is None:
        raise KubeConfigError(NO_CONFIG)
    return config


def find_config(
    kubeconfig: str | Path | None = None,
    context: str | None = None,
    *,
    environ: dict[str, str] | None = None,
) -> ClusterConfig | None:
    """`load_config`, or None when there is no configuration at all (a broken one raises)."""
    env = os.environ if environ is None else environ
    if kubeconfig:
        return from_kubeconfig(read_kubeconfig([Path(kubeconfig)], explicit=True), context)
    if env.get("KUBECONFIG"):
        return from_kubeconfig(read_kubeconfig(split_kubeconfig_env(env["KUBECONFIG"])), context)
    if not context and (pod := in_cluster(environ=env)) is not None:
        return pod
    home = Path(env.get("HOME") or Path.home()) / ".kube" / "config"
    if home.exists():
        return from_kubeconfig(read_kubeconfig([home], explicit=True), context)
    if context:
        raise KubeConfigError(f'--context "{context}" given, but no kubeconfig found')
    return None


def from_kubeconfig(doc: Kubeconfig, context: str | None = None) -> ClusterConfig:
    """The cluster and user of `context` (default: current-context) in a merged kubeconfig."""
    name = context or doc.current_context
    if not name:
        raise KubeConfigError(f"{doc.label} has no current-context (pass --context)")
    ctx = doc.contexts.get(name)
    if ctx is None:
        raise KubeConfigError(f'{doc.label}: no context named "{name}"')
    cluster = _referenced(doc.clusters, ctx, "cluster", doc)
    if cluster is None:
        raise KubeConfigError(f"{ctx.where('context')} names no cluster")
    user_entry = _referenced(doc.users, ctx, "user", doc)
    server = _server(cluster.body.get("server"), cluster.where("cluster"))
    tls = _tls(cluster)
    namespace = ctx.body.get("namespace") or "default"
    exec_cluster = _exec_cluster(cluster, server, tls)
    user = (
        UserAuth.parse(user_entry.body, user_entry.where("user"), exec_cluster)
        if user_entry is not None
        else UserAuth()  # kubectl insists on a user; no user here means anonymous
    )
    return ClusterConfig(
        server=server,
        origin=f'{doc.label}, context "{name}"',
        namespace=str(namespace),
        tls=tls,
        user=user,
        proxy_url=_proxy(cluster),
    )


def _referenced(entries: dict[str, Entry], ctx: Entry, kind: str, doc: Kubeconfig) -> Entry | None:
    ref = ctx.body.get(kind)
    if not ref:
        return None
    if ref not in entries:
        raise KubeConfigError(f'{ctx.where("context")} names {kind} "{ref}", not in {doc.label}')
    return entries[ref]


def _server(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise KubeConfigError(f"{where} has no server URL")
    parts = urlsplit(value if "://" in value else f"https://{value}")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise KubeConfigError(f"{where}: server {value!r} is not an http(s) server URL")
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def _tls(cluster: Entry) -> TLSConfig:
    body, where = cluster.body, cluster.where("cluster")
    path, data = body.get("certificate-authority"), body.get("certificate-authority-data")
    insecure = body.get("insecure-skip-tls-verify") is True
    name = body.get("tls-server-name") or None
    if path and data:
        raise KubeConfigError(
            f"{where}: both certificate-authority and certificate-authority-data are set; keep one"
        )
    if insecure and (path or data):
        # client-go refuses this too: a CA that is never checked is a misunderstanding.
        raise KubeConfigError(
            f"{where}: insecure-skip-tls-verify with a certificate authority is not allowed"
        )
    ca, origin = None, ""
    if data:
        ca = decode_data(str(data), "certificate-authority-data", where)
        origin = f"certificate-authority-data of {where}"
    elif path:
        ca = read_file(str(path), "certificate-authority", where)
        origin = f"certificate-authority {path} of {where}"
    tls = TLSConfig(ca, origin, insecure, str(name) if name else None)
    tls.context()  # a CA that cannot be loaded fails here, naming the field
    return tls


def _proxy(cluster: Entry) -> str | None:
    value = cluster.body.get("proxy-url")
    if not value:
        return None
    scheme = urlsplit(str(value)).scheme
    if scheme in ("http", "https"):
        return str(value)
    raise KubeConfigError(
        f"{cluster.where('cluster')}: proxy-url {value!r} is not supported "
        "(only http:// and https:// proxies)"
    )


def _exec_cluster(cluster: Entry, server: str, tls: TLSConfig) -> dict[str, Any]:
    """The cluster as an exec plugin sees it with provideClusterInfo (client-go's Cluster)."""
    info: dict[str, Any] = {"server": server}
    if tls.server_name:
        info["tls-server-name"] = tls.server_name
    if tls.insecure:
        info["insecure-skip-tls-verify"] = True
    if tls.ca_pem:
        info["certificate-authority-data"] = base64.b64encode(tls.ca_pem).decode()
    if cluster.body.get("proxy-url"):
        info["proxy-url"] = cluster.body["proxy-url"]
    if cluster.body.get("disable-compression"):
        info["disable-compression"] = True
    for ext in cluster.body.get("extensions") or []:
        if isinstance(ext, dict) and ext.get("name") == EXEC_EXTENSION:
            info["config"] = ext.get("extension")
    return info


def in_cluster(
    directory: Path | None = None, *, environ: dict[str, str] | None = None
) -> ClusterConfig | None:
    """The pod's service account (client-go's InClusterConfig), or None outside a pod.

    The token file is re-read on every request: projected tokens rotate.
    """
    env = os.environ if environ is None else environ
    directory = directory or SERVICE_ACCOUNT_DIR
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    token = directory / "token"
    if not host or not port or not token.exists():
        return None
    origin = f"in-cluster service account {directory}"
    ca_file = directory / "ca.crt"
    tls = TLSConfig()
    if ca_file.exists():
        tls = TLSConfig(read_file(ca_file, "ca.crt", origin), f"{ca_file} ({origin})")
        tls.context()
    namespace_file = directory / "namespace"
    namespace = namespace_file.read_text().strip() if namespace_file.exists() else ""
    host = f"[{host}]" if ":" in host else host
    return ClusterConfig(
        server=f"https://{host}:{port}",
        origin=origin,
        namespace=namespace or "default",
        tls=tls,
        user=UserAuth(origin=origin, token_file=token),
    )
