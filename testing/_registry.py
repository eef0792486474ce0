"""A local OCI registry on loopback: Debian's `docker-registry` (distribution v2).

Used by the demo (`konflux demo`), the benchmarks and the test fixtures: it
installs the Debian package when missing, serves on 127.0.0.1 on a free port
with a private storage directory, and is ready when `GET /v2/` answers 200.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from konflux.engine import cleanup
from konflux.engine.errors import KonfluxError

BINARY = "docker-registry"
START_TIMEOUT = 30.0


class LocalRegistryError(KonfluxError):
    """The local registry could not be installed or started."""


def port_in_use(port: int) -> bool:
    """True when something already listens on 127.0.0.1:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_docker_registry() -> str:
    """The path of `docker-registry`, installing Debian's package when it is missing."""
    found = shutil.which(BINARY)
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "docker-registry"],
    ):
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise LocalRegistryError(
                "docker-registry is not installed and apt-get is not available to install it"
            ) from None
        if done.returncode != 0:
            raise LocalRegistryError(f"{' '.join(command)} failed: {done.stderr.strip()[-2000:]}")
    found = shutil.which(BINARY)
    if not found:
        raise LocalRegistryError("docker-registry is not on PATH after installing the package")
    return found


@dataclass
class LocalRegistry:
    """A running `docker-registry`; `host` is `127.0.0.1:PORT` (HTTPS when a cert is given)."""

    root: Path
    port: int
    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    _cleanup: int | None = field(default=None, init=False, repr=False)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.cert else 'http'}://{self.host}"

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self.cert:
            return None
        return ssl.create_default_context(cafile=str(self.ca) if self.ca else None)

    def start(self) -> LocalRegistry:
        binary = ensure_docker_registry()
        if port_in_use(self.port):
            # Never report success against whatever already answers there (an orphan registry).
            raise LocalRegistryError(f"port {self.port} on 127.0.0.1 is already in use")
        storage = self.root / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        config = self.root / "reg.yml"
        tls = f", tls: {{certificate: {self.cert}, key: {self.key}}}" if self.cert else ""
        config.write_text(
            "version: 0.1\n"
            "log: {level: error, accesslog: {disabled: true}}\n"
            f"storage: {{filesystem: {{rootdirectory: {storage}}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: {self.host}{tls}}}\n",
            encoding="utf-8",
        )
        log = (self.root / "registry.log").open("wb")
        self.process = subprocess.Popen(
            [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        self._cleanup = cleanup.on_exit(self.stop)  # also on Ctrl-C: never leave an orphan
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        context = self._ssl_context()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.root / "registry.log").read_text(errors="replace")[-2000:]
                raise LocalRegistryError(
                    f"docker-registry exited with {self.process.returncode}: {tail}"
                )
            try:
                with urllib.request.urlopen(
                    f"{self.url}/v2/", timeout=1, context=context
                ) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        self.stop()
        raise LocalRegistryError(f"docker-registry did not answer GET /v2/ in {START_TIMEOUT}s")

    def stop(self) -> None:
        if self._cleanup is not None:
            cleanup.cancel(self._cleanup)
            self._cleanup = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def __enter__(self) -> LocalRegistry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
