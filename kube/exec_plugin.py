"""Exec credential plugins (client.authentication.k8s.io v1 and v1beta1), as client-go runs them.

The plugin is run with the process environment plus the configured `env`, and
`KUBERNETES_EXEC_INFO` holding an ExecCredential whose spec says whether it may
be interactive and, with `provideClusterInfo`, the cluster it is for. It prints
an ExecCredential whose status holds a token and/or a PEM client certificate and
key, and optionally an `expirationTimestamp`. The answer is cached per plugin
configuration (one cache per process, shared by every client and kopf's login)
until it expires, or until the API server refuses it (401), which re-runs the
plugin. See client-go `plugin/pkg/client/auth/exec/exec.go`.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from konflux.kube.errors import CredentialPluginError
from konflux.kube.tls import ClientCertificate

API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")
EXEC_INFO_ENV = "KUBERNETES_EXEC_INFO"
# A plugin that cannot ask anybody anything and has not answered in this long is hung;
# client-go waits forever, we fail the request with a message instead.
NON_INTERACTIVE_TIMEOUT = 120.0


@dataclass(frozen=True)
class ExecConfig:
    """A kubeconfig user's `exec` section, checked; `origin` names the user and file."""

    command: str
    api_version: str
    interactive_mode: str
    origin: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    install_hint: str = ""
    cluster_info: str | None = None  # JSON of spec.cluster when provideClusterInfo is set

    @classmethod
    def parse(cls, raw: Any, origin: str, cluster: dict[str, Any]) -> ExecConfig:
        """Check `raw` as client-go's validation does; `cluster` is the exec cluster info."""
        if not isinstance(raw, dict):
            raise CredentialPluginError(f"{origin}: exec must be a mapping")
        command, version = raw.get("command"), raw.get("apiVersion")
        if not isinstance(command, str) or not command:
            raise CredentialPluginError(f"{origin}: exec needs a command")
        if version not in API_VERSIONS:
            raise CredentialPluginError(
                f"{origin}: exec apiVersion {version!r} is not supported "
                f"(use {' or '.join(API_VERSIONS)})"
            )
        mode = raw.get("interactiveMode") or ""
        if not mode and version.endswith("/v1beta1"):
            mode = "IfAvailable"  # v1beta1's default; v1 must say it
        if mode not in INTERACTIVE_MODES:
            raise CredentialPluginError(
                f"{origin}: exec interactiveMode must be one of {', '.join(INTERACTIVE_MODES)}"
                + (f", not {mode!r}" if mode else f" (required for {version})")
            )
        args = raw.get("args") or []
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise CredentialPluginError(f"{origin}: exec args must be a list of strings")
        env = []
        for item in raw.get("env") or []:
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name:
                raise CredentialPluginError(f"{origin}: every exec env entry needs a name")
            env.append((name, str(item.get("value", ""))))
        hint = raw.get("installHint")
        return cls(
            command=command,
            api_version=version,
            interactive_mode=mode,
            origin=origin,
            args=tuple(args),
            env=tuple(env),
            install_hint=hint if isinstance(hint, str) else "",
            cluster_info=json.dumps(cluster, sort_keys=True)
            if raw.get("provideClusterInfo")
            else None,
        )


@dataclass(frozen=True)
class ExecCredential:
    """What a plugin answered: a token and/or a client certificate, maybe with an expiry."""

    token: str | None
    certificate: ClientCertificate | None
    expires: datetime | None

    def __repr__(self) -> str:  # never print a token
        return f"ExecCredential(expires={self.expires!r})"


class ExecPlugin:
    """One plugin configuration's cached credential; thread- and event-loop-safe."""

    def __init__(self, config: ExecConfig) -> None:
        self.config = config
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)  # replaced by tests
        self.stdin_is_terminal: Callable[[], bool] = lambda: (
            sys.stdin is not None and (sys.stdin.isatty())
        )
        self._lock = threading.Lock()
        self._cached: ExecCredential | None = None

    def _expired(self, cred: ExecCredential) -> bool:
        return cred.expires is not None and self.now() >= cred.expires

    def credential(self, stale: ExecCredential | None = None) -> ExecCredential:
        """The cached credential, or a new one when there is none, it expired, or it is `stale`
        (the one the API server just refused). Blocks while the plugin runs."""
        with self._lock:
            cached = self._cached
            if cached is not None and not self._expired(cached) and cached is not stale:
                return cached
            self._cached = self._run()
            return self._cached

    async def acredential(self, stale: ExecCredential | None = None) -> ExecCredential:
        """`credential` without blocking the event loop."""
        cached = self._cached  # fast path without the lock: a plugin run may hold it long
        if cached is not None and not self._expired(cached) and cached is not stale:
            return cached
        return await asyncio.to_thread(self.credential, stale)

    def _interactive(self) -> bool:
        mode = self.config.interactive_mode
        if mode == "Never":
            return False
        terminal = self.stdin_is_terminal()
        if mode == "Always" and not terminal:
            raise CredentialPluginError(
                f"exec plugin {self.config.command} ({self.config.origin}) needs an interactive "
                "terminal (interactiveMode: Always) but standard input is not a terminal"
            )
        return terminal

    def _run(self) -> ExecCredential:
        config = self.config
        name = config.command
        command = name if os.sep in name else shutil.which(name)
        if command is None or not os.path.exists(command):
            hint = f"; {config.install_hint.strip()}" if config.install_hint else ""
            raise CredentialPluginError(
                f"exec plugin {name} ({config.origin}) not found"
                + ("" if os.sep in name else " on PATH")
                + hint
            )
        interactive = self._interactive()
        spec: dict[str, Any] = {"interactive": interactive}
        if config.cluster_info is not None:
            spec["cluster"] = json.loads(config.cluster_info)
        info = {"apiVersion": config.api_version, "kind": "ExecCredential", "spec": spec}
        env = {**os.environ, **dict(config.env), EXEC_INFO_ENV: json.dumps(info)}
        try:
            done = subprocess.run(
                [command, *config.args],
                env=env,
                stdin=None if interactive else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=None,  # the plugin talks to the user on stderr, as with kubectl
                timeout=None if interactive else NON_INTERACTIVE_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise CredentialPluginError(
                f"exec plugin {name} ({config.origin}) did not answer within "
                f"{NON_INTERACTIVE_TIMEOUT:.0f}s"
            ) from None
        except OSError as exc:
            raise CredentialPluginError(
                f"exec plugin {name} ({config.origin}) cannot be run: {exc.strerror or exc}"
            ) from None
        if done.returncode != 0:
            raise CredentialPluginError(
                f"exec plugin {name} ({config.origin}) failed with exit code {done.returncode}"
            )
        return self._parse(done.stdout)

    def _parse(self, stdout: bytes) -> ExecCredential:
        config = self.config
        who = f"exec plugin {config.command} ({config.origin})"
        try:
            doc = json.loads(stdout)
        except ValueError as exc:
            raise CredentialPluginError(f"{who} printed no ExecCredential JSON: {exc}") from None
        if not isinstance(doc, dict) or doc.get("kind") != "ExecCredential":
            raise CredentialPluginError(f"{who} printed something that is not an ExecCredential")
        if doc.get("apiVersion") != config.api_version:
            raise CredentialPluginError(
                f"{who} is configured for {config.api_version} "
                f"but answered {doc.get('apiVersion')!r}"
            )
        status = doc.get("status")
        if not isinstance(status, dict):
            raise CredentialPluginError(f"{who} answered without a status")
        token = status.get("token") or None
        cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
        if not token and not cert and not key:
            raise CredentialPluginError(f"{who} answered neither a token nor a certificate and key")
        if bool(cert) != bool(key):
            raise CredentialPluginError(f"{who} answered only a certificate or a key, not both")
        if (token is not None and not isinstance(token, str)) or not all(
            isinstance(x, str) for x in (cert or "", key or "")
        ):
            raise CredentialPluginError(f"{who} answered a status with non-string fields")
        expires = None
        if status.get("expirationTimestamp"):
            expires = _timestamp(status["expirationTimestamp"], who)
        certificate = (
            ClientCertificate(cert.encode(), key.encode(), f"client certificate from {who}")
            if cert and key
            else None
        )
        return ExecCredential(token, certificate, expires)


def _timestamp(value: Any, who: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise CredentialPluginError(
            f"{who} answered an expirationTimestamp that is not RFC 3339: {value!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_PLUGINS: dict[ExecConfig, ExecPlugin] = {}
_PLUGINS_LOCK = threading.Lock()


def plugin_for(config: ExecConfig) -> ExecPlugin:
    """The process-wide plugin of `config` (as client-go's global cache): every client and
    kopf's login share one credential, so a plugin runs once per expiry, not once per client."""
    with _PLUGINS_LOCK:
        return _PLUGINS.setdefault(config, ExecPlugin(config))
