"""Registry authentication: credentials from docker/podman config files and the challenge flow.

- Credentials are looked up like docker, cosign (go-containerregistry's
  default keychain) and skopeo: `$DOCKER_CONFIG/config.json` (or
  `~/.docker/config.json`), then `$REGISTRY_AUTH_FILE`, then
  `$XDG_RUNTIME_DIR/containers/auth.json`. An entry under `auths` holds `auth`
  (base64 of `user:password`) or `username`/`password`, or `identitytoken`.
  Keys are matched like podman: the most specific `host/namespace/repo` first,
  then `host`; keys written as URLs (`https://index.docker.io/v1/`) match by
  host, as docker does. `credHelpers`/`credsStore` run `docker-credential-<name>`.
- The challenge flow is the "Token Authentication Specification" of the
  distribution project (referenced by the OCI distribution spec, section
  "Authentication"): a 401 carrying `WWW-Authenticate: Bearer realm=...,
  service=..., scope=...` is answered by fetching a token from `realm`
  (with basic credentials when we have them) and retrying with
  `Authorization: Bearer <token>`; `Basic` challenges get the basic header.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from konflux.engine.oci.errors import AuthenticationError
from konflux.engine.oci.reference import DEFAULT_REGISTRY

_DOCKER_HUB_KEYS = ("index.docker.io", "docker.io", "registry-1.docker.io")


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def __repr__(self) -> str:  # never print secrets in logs or tracebacks
        return f"Credentials(username={self.username!r}, password=***)"


class CredentialStore(Protocol):
    def lookup(self, registry: str, repository: str = "") -> Credentials | None: ...


@dataclass
class StaticCredentials:
    """Credentials given in code: registry host (or host/namespace) -> Credentials."""

    entries: Mapping[str, Credentials] = field(default_factory=dict)

    def lookup(self, registry: str, repository: str = "") -> Credentials | None:
        for key in _candidate_keys(registry, repository):
            if key in self.entries:
                return self.entries[key]
        return None


class DockerConfigCredentials:
    """Credentials from docker/podman auth files, read once at construction."""

    def __init__(
        self, paths: Iterable[Path] | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        env = os.environ if env is None else env
        self.paths = list(paths) if paths is not None else default_auth_files(env)
        self._files: list[tuple[Path, dict]] = []
        for path in self.paths:
            if not path.is_file():
                continue
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise AuthenticationError(
                    str(path), f"cannot read registry credentials file: {e}"
                ) from e
            if not isinstance(document, dict):
                raise AuthenticationError(str(path), "credentials file is not a JSON object")
            self._files.append((path, document))

    def lookup(self, registry: str, repository: str = "") -> Credentials | None:
        keys = list(_candidate_keys(registry, repository))
        for path, document in self._files:
            auths = _normalized_auths(document.get("auths") or {})
            for key in keys:
                if key in auths:
                    return _decode_entry(auths[key], path, key)
            helper = (document.get("credHelpers") or {}).get(registry) or document.get("credsStore")
            if helper:
                found = _run_helper(helper, registry, path)
                if found is not None:
                    return found
        return None


def default_auth_files(env: Mapping[str, str]) -> list[Path]:
    files: list[Path] = []
    if env.get("DOCKER_CONFIG"):
        files.append(Path(env["DOCKER_CONFIG"]) / "config.json")
    else:
        home = env.get("HOME") or str(Path.home())
        files.append(Path(home) / ".docker" / "config.json")
    if env.get("REGISTRY_AUTH_FILE"):
        files.append(Path(env["REGISTRY_AUTH_FILE"]))
    if env.get("XDG_RUNTIME_DIR"):
        files.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    return files


def _candidate_keys(registry: str, repository: str) -> Iterable[str]:
    """Most specific first: host/ns/repo, host/ns, host (plus Docker Hub's aliases)."""
    hosts = _DOCKER_HUB_KEYS if registry == DEFAULT_REGISTRY else (registry,)
    for host in hosts:
        parts = repository.split("/") if repository else []
        for n in range(len(parts), 0, -1):
            yield f"{host}/{'/'.join(parts[:n])}"
    yield from hosts


def _normalized_auths(auths: Mapping[str, object]) -> dict[str, object]:
    normalized: dict[str, object] = {}
    for key, value in auths.items():
        match = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", key)
        # docker's legacy URL keys ("https://index.docker.io/v1/") match by host only.
        name = key[match.end() :].split("/", 1)[0] if match else key.rstrip("/")
        normalized.setdefault(name, value)
    return normalized


def _decode_entry(entry: object, path: Path, key: str) -> Credentials:
    where = f"{path} (auths[{key!r}])"
    if not isinstance(entry, dict):
        raise AuthenticationError(where, "entry is not an object")
    if entry.get("auth"):
        try:
            raw = base64.b64decode(str(entry["auth"]), validate=True).decode()
        except ValueError as e:
            raise AuthenticationError(where, "'auth' is not base64 of user:password") from e
        username, sep, password = raw.partition(":")
        if not sep:
            raise AuthenticationError(where, "'auth' does not decode to user:password")
        return Credentials(username, password, str(entry.get("identitytoken") or ""))
    if entry.get("username") or entry.get("identitytoken"):
        return Credentials(
            str(entry.get("username") or ""),
            str(entry.get("password") or ""),
            str(entry.get("identitytoken") or ""),
        )
    raise AuthenticationError(where, "entry has neither 'auth' nor 'username'/'password'")


def _run_helper(helper: str, registry: str, path: Path) -> Credentials | None:
    program = f"docker-credential-{helper}"
    if shutil.which(program) is None:
        raise AuthenticationError(
            registry, f"{path} names credential helper {program!r}, which is not on PATH"
        )
    server = "https://index.docker.io/v1/" if registry == DEFAULT_REGISTRY else registry
    done = subprocess.run(
        [program, "get"], input=server, capture_output=True, text=True, timeout=30, check=False
    )
    if done.returncode != 0:
        if "credentials not found" in (done.stdout + done.stderr).lower():
            return None
        raise AuthenticationError(registry, f"{program} get failed: {done.stderr.strip()}")
    try:
        answer = json.loads(done.stdout)
        username, secret = answer["Username"], answer["Secret"]
    except (ValueError, KeyError, TypeError) as e:
        raise AuthenticationError(registry, f"{program} get answered unreadable JSON") from e
    if username == "<token>":
        return Credentials(identity_token=secret)
    return Credentials(username, secret)


@dataclass(frozen=True)
class Challenge:
    """One parsed `WWW-Authenticate` challenge."""

    scheme: str  # lower-case: "bearer" or "basic"
    params: Mapping[str, str]

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")


_PARAM_RE = re.compile(r'\s*([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?')


def parse_challenge(header: str) -> Challenge:
    """Parse `Bearer realm="...",service="...",scope="..."` (quoted or token values)."""
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    for match in _PARAM_RE.finditer(rest):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", value or "")
    return Challenge(scheme.lower(), params)
