"""Helpers and fixtures for the webhook tests: a CA made here, a kmock API, running services.

Servers run on one background event loop thread (shared by the session), so
tests stay synchronous and talk to them over real HTTPS on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import kmock
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from konflux.testing import LoopThread
from konflux.webhooks.bundle import AdmissionEngine, load_bundle
from konflux.webhooks.certs import make_ca, write_serving
from konflux.webhooks.server import WebhookConfig, WebhookService

NAMESPACE = "tenant"
APPSTUDIO = "appstudio.redhat.com/v1alpha1"
RESOURCES = [
    "appstudio.redhat.com/v1alpha1/applications",
    "appstudio.redhat.com/v1alpha1/components",
    "appstudio.redhat.com/v1alpha1/releaseplans",
    "appstudio.redhat.com/v1beta2/componentgroups",
]


@pytest.fixture(scope="session")
def bg() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.stop()


class PKI:
    def __init__(self, root: Path):
        self.root = root
        self.ca_cert, self.ca_key = make_ca("test-ca")
        (root / "ca.crt").write_bytes(self.ca_cert.public_bytes(serialization.Encoding.PEM))
        write_serving(root, self.ca_cert, self.ca_key, ["localhost", "127.0.0.1"])

    @property
    def serial(self) -> int:
        return x509.load_pem_x509_certificate((self.root / "tls.crt").read_bytes()).serial_number

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.root / "ca.crt"))

    def rotate(self) -> None:
        write_serving(self.root, self.ca_cert, self.ca_key, ["localhost", "127.0.0.1"])


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


class Cluster:
    """A kmock KubernetesEmulator served over HTTP, with helpers to create objects."""

    def __init__(self, bg: LoopThread, kubeconfig: Path):
        self.bg = bg
        self.kubeconfig = kubeconfig

    async def _start(self) -> None:
        self.emulator = kmock.KubernetesEmulator()
        await self.emulator.__aenter__()
        for resource in RESOURCES:
            self.emulator.resources[resource] = {}
        self.server = kmock.Server(self.emulator)
        await self.server.__aenter__()
        self.url = str(self.server.url).rstrip("/")

    def start(self) -> None:
        self.bg.run(self._start())
        self.kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "kmock",
                    "clusters": [{"name": "kmock", "cluster": {"server": self.url}}],
                    "users": [{"name": "u", "user": {"token": "test-token"}}],
                    "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "u"}}],
                }
            )
        )

    def create(self, plural: str, obj: dict[str, Any]) -> None:
        async def post() -> None:
            ns = obj["metadata"].get("namespace", NAMESPACE)
            api = obj.get("apiVersion", APPSTUDIO)
            resp = await self.server.client.post(f"/apis/{api}/namespaces/{ns}/{plural}", json=obj)
            assert resp.status == 200, await resp.text()

        self.bg.run(post())

    def stop(self) -> None:
        async def stop() -> None:
            await self.server.__aexit__(None, None, None)
            await self.emulator.__aexit__(None, None, None)

        self.bg.run(stop())


def application(name: str, uid: str) -> dict[str, Any]:
    return {
        "apiVersion": APPSTUDIO,
        "kind": "Application",
        "metadata": {"name": name, "namespace": NAMESPACE, "uid": uid},
        "spec": {"displayName": name},
    }


def component_group(name: str, uid: str) -> dict[str, Any]:
    return {
        "apiVersion": "appstudio.redhat.com/v1beta2",
        "kind": "ComponentGroup",
        "metadata": {"name": name, "namespace": NAMESPACE, "uid": uid},
        "spec": {"components": [{"name": "web", "componentVersion": {"name": "main"}}]},
    }


def release_plan(name: str, grace_days: int) -> dict[str, Any]:
    return {
        "apiVersion": APPSTUDIO,
        "kind": "ReleasePlan",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"application": "app", "target": "managed", "releaseGracePeriodDays": grace_days},
    }


def component(name: str, nudges: list[str] | None = None, app: str = "app") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "componentName": name,
        "application": app,
        "source": {"git": {"url": f"https://github.com/org/{name}"}},
    }
    if nudges is not None:
        spec["build-nudges-ref"] = nudges
    return {
        "apiVersion": APPSTUDIO,
        "kind": "Component",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


@pytest.fixture(scope="session")
def cluster(bg: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(bg, tmp_path_factory.mktemp("kube") / "kubeconfig")
    c.start()
    c.create("applications", application("app", "uid-app"))
    # b -> c -> d: a new Component nudging b and nudged by d closes a cycle
    c.create("components", component("b", ["c"]))
    c.create("components", component("c", ["d"]))
    c.create("components", component("d", []))
    c.create("componentgroups", component_group("g", "uid-g"))
    c.create("releaseplans", release_plan("plan", grace_days=3))
    yield c
    c.stop()


class Webhook:
    """A running WebhookService and a client for it."""

    def __init__(
        self, bg: LoopThread, pki: PKI, config: WebhookConfig, engine: AdmissionEngine | None = None
    ):
        self.bg, self.pki = bg, pki
        self.service: WebhookService = bg.run(self._make(config, engine))
        bg.run(self.service.start())
        self.url = f"https://127.0.0.1:{self.service.port}"
        self.ssl = pki.client_context()
        self.session: aiohttp.ClientSession = bg.run(self._session())
        self.wait_ready()

    @staticmethod
    async def _make(config: WebhookConfig, engine: AdmissionEngine | None) -> WebhookService:
        return WebhookService(config, engine)

    async def _session(self) -> aiohttp.ClientSession:
        # The server closes a keep-alive connection idle for `read_timeout` (5 s, intake.py);
        # a client that keeps one longer can send on a connection being closed and read a
        # reset, so this one drops idle connections first, as a well-configured client must.
        connector = aiohttp.TCPConnector(ssl=self.ssl, limit=32, keepalive_timeout=2)
        return aiohttp.ClientSession(connector=connector)

    def wait_ready(self, timeout: float = 30) -> None:
        async def wait() -> None:
            for _ in range(int(timeout * 20)):
                async with self.session.get(self.url + "/readyz") as resp:
                    if resp.status == 200:
                        return
                await asyncio.sleep(0.05)
            raise AssertionError("webhook never became ready")

        self.bg.run(wait())

    async def _post(self, path: str, body: bytes | dict[str, Any]) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.session.post(
            self.url + path, data=data, headers={"Content-Type": "application/json"}
        ) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text

    def post(self, path: str, body: bytes | dict[str, Any]) -> tuple[int, Any]:
        return self.bg.run(self._post(path, body))

    def post_many(self, items: list[tuple[str, bytes]], concurrency: int = 16) -> list[Any]:
        async def run() -> list[Any]:
            sem = asyncio.Semaphore(concurrency)

            async def one(path: str, body: bytes) -> Any:
                async with sem:
                    return await self._post(path, body)

            return await asyncio.gather(*(one(p, b) for p, b in items))

        return self.bg.run(run())

    def get(self, path: str) -> tuple[int, str]:
        async def get() -> tuple[int, str]:
            async with self.session.get(self.url + path) as resp:
                return resp.status, await resp.text()

        return self.bg.run(get())

    def stop(self) -> None:
        self.bg.run(self.session.close())
        self.bg.run(self.service.stop())


def make_config(pki: PKI, **kw: Any) -> WebhookConfig:
    return WebhookConfig(
        tls_cert=pki.root / "tls.crt", tls_key=pki.root / "tls.key", host="127.0.0.1", port=0, **kw
    )


@pytest.fixture(scope="session")
def webhook(bg: LoopThread, pki: PKI, cluster: Cluster) -> Iterator[Webhook]:
    hook = Webhook(
        bg, pki, make_config(pki, kubeconfig=str(cluster.kubeconfig), cache_ttl=0.0, workers=2)
    )
    yield hook
    hook.stop()


@pytest.fixture(scope="session")
def lonely_webhook(bg: LoopThread, pki: PKI) -> Iterator[Webhook]:
    """A webhook without any Kubernetes API: lookups fail, and the rules needing them deny."""
    mp = pytest.MonkeyPatch()
    mp.delenv("KUBECONFIG", raising=False)
    mp.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    mp.setenv("HOME", "/nonexistent")  # no ~/.kube/config either
    hook = Webhook(bg, pki, make_config(pki, workers=1))
    mp.undo()
    yield hook
    hook.stop()


def bundle_dir(tmp: Path, modules: dict[str, str]) -> Path:
    for name, source in modules.items():
        (tmp / name).write_text(textwrap.dedent(source).lstrip())
    return tmp


def engine_for(directory: Path, **kw: Any) -> AdmissionEngine:
    return AdmissionEngine(load_bundle(str(directory)), **kw)


def review(
    obj: dict[str, Any] | None,
    *,
    operation: str = "CREATE",
    old: dict[str, Any] | None = None,
    user: str = "alice@example.com",
    uid: str = "11111111-2222-3333-4444-555555555555",
) -> dict[str, Any]:
    kind = (obj or old or {}).get("kind", "Component")
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "operation": operation,
            "namespace": NAMESPACE,
            "name": (obj or old or {}).get("metadata", {}).get("name", ""),
            "kind": {"group": "appstudio.redhat.com", "version": "v1alpha1", "kind": kind},
            "resource": {
                "group": "appstudio.redhat.com",
                "version": "v1alpha1",
                "resource": kind.lower() + "s",
            },
            "userInfo": {"username": user, "groups": ["system:authenticated"]},
            "object": obj,
            "oldObject": old,
            "dryRun": False,
        },
    }
