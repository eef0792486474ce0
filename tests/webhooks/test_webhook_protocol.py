"""The service around the rules: HTTP errors, probes, metrics, TLS, fail-closed engine, rotation."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time

import pytest
from cryptography import x509
from webhook_support import (
    Webhook,
    application,
    bundle_dir,
    component,
    engine_for,
    make_config,
    review,
)

from konflux.webhooks.certs import generate
from konflux.webhooks.errors import CertificateError, WebhookError
from konflux.webhooks.tls import server_context


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty body"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (
            b'{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview"}',
            "admission.k8s.io/v1",
        ),
        (b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}', "request is missing"),
        (b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {}}', "uid"),
        (
            b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",'
            b' "request": {"uid": "u", "operation": "PATCH"}}',
            "operation",
        ),
        (
            b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",'
            b' "request": {"uid": "u", "operation": "CREATE", "object": NaN}}',
            "NaN",
        ),
        (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
        (b"\xff\xfe\x00garbage", "not"),
    ],
)
def test_malformed_is_400(webhook, body, fragment):
    status, doc = webhook.post("/validate-component", body)
    assert status == 400
    assert fragment in doc["message"]


def test_body_limit(webhook):
    big = review(component("web"))
    big["request"]["object"]["metadata"]["annotations"] = {"pad": "x" * (3 * 1024 * 1024)}
    status, _ = webhook.post("/validate-component", big)
    assert status == 413


def test_unknown_path_and_method(webhook):
    assert webhook.get("/validate-nothing")[0] == 404
    assert webhook.get("/validate-component")[0] == 405


def test_probes_and_metrics(webhook):
    webhook.post("/validate-component", review(component("web")))
    webhook.post("/validate-component", b"nope")
    assert webhook.get("/healthz") == (200, "ok\n")
    status, text = webhook.get("/readyz")
    assert status == 200 and webhook.service.engine.bundle.revision in text
    status, text = webhook.get("/metrics")
    assert status == 200
    assert (
        'konflux_webhook_requests_total{code="200",path="/validate-component"}' in text
        or 'konflux_webhook_requests_total{path="/validate-component",code="200"}' in text
    )
    assert 'code="400"' in text
    assert 'konflux_webhook_decisions_total{path="/validate-component",decision="allowed"}' in text
    assert "konflux_webhook_request_duration_seconds_bucket" in text
    assert f'revision="{webhook.service.engine.bundle.revision}"' in text
    assert 'konflux_webhook_lookups_total{lookup="application",result="ok"}' in text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_1_1_refused(webhook):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(str(webhook.pki.root / "ca.crt"))
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    with contextlib.suppress(ssl.SSLError):  # let the client offer anything the library has
        context.set_ciphers("ALL:@SECLEVEL=0")
    with (
        socket.create_connection(("127.0.0.1", webhook.service.port), timeout=5) as sock,
        pytest.raises(ssl.SSLError),
    ):
        context.wrap_socket(sock, server_hostname="localhost")


def test_plain_http_refused(webhook):
    with socket.create_connection(("127.0.0.1", webhook.service.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = sock.recv(100)
    assert not data.startswith(b"HTTP/1.1 200")


def test_engine_error_denies(bg, pki, tmp_path):
    # div by zero on a Component without labels: the engine cannot decide
    directory = bundle_dir(
        tmp_path,
        {
            "component.rego": """
        package admission.component
        import rego.v1
        deny contains "never" if { 1 / count(object.get(input.object.metadata, "labels", {})) == 0 }
        patch contains {"op": "add", "path": "/x", "value": 1 / count(input.object.spec)}
    """
        },
    )
    hook = Webhook(bg, pki, make_config(pki), engine_for(directory, workers=1))
    try:
        status, doc = hook.post("/validate-component", review(component("web")))
        assert status == 200
        response = doc["response"]
        assert response["allowed"] is False
        assert response["status"]["code"] == 500
        assert "divide by zero" in response["status"]["message"]
        obj = component("web")
        obj["spec"] = {}
        status, doc = hook.post("/mutate-component", review(obj))
        assert doc["response"]["allowed"] is False and "patch" not in doc["response"]
        # a kind the bundle does not cover is denied, not waved through
        status, doc = hook.post("/validate-application", review(application("a", "u")))
        assert doc["response"]["allowed"] is False
        assert "no admission.application" in doc["response"]["status"]["message"]
    finally:
        hook.stop()


def test_engine_timeout_denies(bg, pki, tmp_path):
    directory = bundle_dir(
        tmp_path,
        {
            "component.rego": """
        package admission.component
        import rego.v1
        deny contains "slow" if { count([x | some x in numbers.range(1, 3000000)]) < 0 }
    """
        },
    )
    hook = Webhook(
        bg, pki, make_config(pki, timeout=0.2), engine_for(directory, workers=1, timeout=0.2)
    )
    try:
        started = time.monotonic()
        status, doc = hook.post("/validate-component", review(component("web")))
        assert time.monotonic() - started < 5
        assert status == 200
        assert doc["response"]["allowed"] is False
        assert "timed out" in doc["response"]["status"]["message"]
    finally:
        hook.stop()


def test_invalid_patch_from_bundle_denies(bg, pki, tmp_path):
    directory = bundle_dir(
        tmp_path,
        {
            "snapshot.rego": """
        package admission.snapshot
        import rego.v1
        deny := set()
        patch contains {"op": "explode", "path": "/x"}
    """
        },
    )
    hook = Webhook(bg, pki, make_config(pki), engine_for(directory, workers=1))
    try:
        _, doc = hook.post(
            "/mutate-snapshot", review({"kind": "Snapshot", "metadata": {"name": "s"}})
        )
        assert doc["response"]["allowed"] is False
        assert "invalid JSON Patch" in doc["response"]["status"]["message"]
    finally:
        hook.stop()


def test_bundle_without_rules_refused(tmp_path):
    bundle_dir(tmp_path, {"x.rego": "package other\nx := 1\n"})
    with pytest.raises(WebhookError, match="no admission"):
        engine_for(tmp_path)


def _served_serial(port: int, context: ssl.SSLContext) -> int:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
        context.wrap_socket(sock, server_hostname="localhost") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number


def test_certificate_rotation_while_serving(bg, pki, tmp_path):
    # its own copy of the serving pair, so rotating does not disturb the other servers
    from webhook_support import PKI

    own = PKI(tmp_path)
    hook = Webhook(bg, own, make_config(own, reload_interval=0.05))
    try:
        context = own.client_context()
        first = _served_serial(hook.service.port, context)
        assert first == own.serial

        # keep requests flowing while the files change under the server
        async def traffic() -> list[int]:
            statuses = []
            for _ in range(40):
                statuses.append(
                    (await hook._post("/validate-component", review(component("web"))))[0]
                )
                await asyncio.sleep(0.005)
            return statuses

        future = asyncio.run_coroutine_threadsafe(traffic(), bg.loop)
        own.rotate()
        deadline = time.monotonic() + 10
        serial = first
        while serial == first and time.monotonic() < deadline:
            time.sleep(0.05)
            serial = _served_serial(hook.service.port, context)
        assert serial != first, "the rotated certificate was never served"
        assert set(future.result(30)) == {200}
        assert hook.service.reloader.reloads >= 1
        # a broken pair on disk keeps the last good one
        (own.root / "tls.key").write_text("garbage")
        time.sleep(0.3)
        assert _served_serial(hook.service.port, context) == serial
    finally:
        hook.stop()


def test_server_context_errors(tmp_path):
    with pytest.raises(CertificateError, match="cannot load TLS certificate"):
        server_context(tmp_path / "missing.crt", tmp_path / "missing.key")


def test_generated_certs_chain(tmp_path):
    files = generate(tmp_path, ["konflux-webhook.konflux.svc", "10.0.0.1"])
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    cert.verify_directly_issued_by(ca)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["konflux-webhook.konflux.svc"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["10.0.0.1"]
    assert oct(files.key.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(CertificateError, match="--dns"):
        generate(tmp_path / "none", [])
