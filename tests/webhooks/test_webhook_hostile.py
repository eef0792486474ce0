"""The webhook against hostile clients and bodies, over real HTTPS: bounded reads, 400s, no gaps.

- Slow clients: headers or body trickled or stalled are cut off after the read
  timeout; a flood of them evicts the oldest reader instead of locking out the
  API server (issue 10, item 8).
- Parser limits: integers past Python's digit limit and deep nesting are 400,
  not 500 (item 13).
- Template strings: a rule reading `input` only inside `$"...{...}..."` still
  gets the fields it names (item 3).
"""

from __future__ import annotations

import json
import socket
import ssl

import pytest
from webhook_support import Webhook, bundle_dir, component, engine_for, make_config, review

from konflux.webhooks.bundle import load_bundle
from konflux.webhooks.intake import GUARD_KEY

# -- item 8: slow clients -----------------------------------------------------------------------


def _connect(hook: Webhook) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", hook.service.port), timeout=30)
    return hook.ssl.wrap_socket(raw, server_hostname="localhost")


def _closed_by_server(sock: ssl.SSLSocket) -> bool:
    """Read until the server closes the connection (True) or 30 s pass without it (False)."""
    try:
        while sock.recv(65536):
            pass
        return True
    except TimeoutError:
        return False
    except OSError:
        return True  # reset or TLS torn down: closed


def _hook(bg, pki, tmp_path, **config) -> Webhook:
    """A webhook with a one-rule bundle and these service settings."""
    directory = bundle_dir(
        tmp_path,
        {
            "component.rego": """
        package admission.component
        import rego.v1
        deny contains "no" if input.object.spec.forbidden
    """
        },
    )
    return Webhook(bg, pki, make_config(pki, **config), engine_for(directory, workers=1))


@pytest.fixture
def quick_hook(bg, pki, tmp_path):
    hook = _hook(bg, pki, tmp_path, read_timeout=0.5, max_reading=4)
    yield hook
    hook.stop()


def test_stalled_headers_are_cut_off(quick_hook):
    with _connect(quick_hook) as sock:
        sock.sendall(b"POST /validate-component HTTP/1.1\r\nHost: localhost\r\nContent-Ty")
        assert _closed_by_server(sock)


def test_stalled_body_is_cut_off(quick_hook):
    with _connect(quick_hook) as sock:
        sock.sendall(
            b"POST /validate-component HTTP/1.1\r\nHost: localhost\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"apiVers'
        )
        assert _closed_by_server(sock)


def test_silent_connection_is_cut_off(quick_hook):
    with _connect(quick_hook) as sock:
        assert _closed_by_server(sock)


def test_flood_of_stalled_clients_cannot_lock_out_a_request(bg, pki, tmp_path):
    # A long read timeout: what closes the stalled connections below is eviction.
    hook = _hook(bg, pki, tmp_path, read_timeout=60, max_reading=4)
    stalled = []
    try:
        for _ in range(20):
            sock = _connect(hook)
            sock.sendall(b"POST /validate-component HTTP/1.1\r\nHost: loc")
            stalled.append(sock)
        status, doc = hook.post("/validate-component", review(component("web")))
        assert status == 200 and doc["response"]["allowed"] is True
        for sock in stalled:
            sock.settimeout(0.5)
        still_open = [s for s in stalled if not _closed_by_server(s)]
        assert len(still_open) <= 4
        assert hook.service.app[GUARD_KEY].count <= 4
    finally:
        for sock in stalled:
            sock.close()
        hook.stop()


# -- item 13: parser limits are the client's error ---------------------------------------------


def test_integer_past_the_digit_limit_is_400(webhook):
    body = json.dumps(review(component("web"))).replace(
        '"dryRun": false', '"dryRun": false, "n": ' + "9" * 5000
    )
    status, doc = webhook.post("/validate-component", body.encode())
    assert status == 400
    assert "5000 digits" in doc["message"]


def test_nesting_past_the_limit_is_400_with_its_place(webhook):
    body = json.dumps(review(component("web"))).replace(
        '"dryRun": false', '"dryRun": false, "n": ' + "[" * 300 + "]" * 300
    )
    status, doc = webhook.post("/validate-component", body.encode())
    assert status == 400
    assert "nested too deeply" in doc["message"] and "line 1 column" in doc["message"]


# -- item 3: references inside template strings -------------------------------------------------

FORMS = {
    "template": 'deny contains "mallory" if $"{input.userInfo.username}" == "mallory"',
    "bracket key": 'deny contains "mallory" if $"{input["userInfo"].username}" == "mallory"',
    "raw template": 'deny contains "mallory" if $`{input.userInfo.username}` == "mallory"',
    "nested template": (
        'deny contains "mallory" if $"{ $"<{input.userInfo.username}>" }" == "<mallory>"'
    ),
    "brace in a nested string": (
        'deny contains "mallory" if $"{concat("}", ["", input.userInfo.username])}" == "}mallory"'
    ),
    "escaped brace before": (
        'deny contains "mallory" if $"\\{x} {input.userInfo.username}" == "{x} mallory"'
    ),
    "dynamic key": (
        'deny contains "mallory" if { k := "userInfo"; $"{input[k].username}" == "mallory" }'
    ),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_template_string_references_reach_the_rule(bg, pki, tmp_path, form):
    directory = bundle_dir(
        tmp_path,
        {
            "component.rego": f"""
        package admission.component
        import rego.v1
        {FORMS[form]}
    """
        },
    )
    shape = load_bundle(str(directory)).shape
    assert shape.fields is None or "userInfo" in shape.fields
    hook = Webhook(bg, pki, make_config(pki), engine_for(directory, workers=1))
    try:
        status, doc = hook.post("/validate-component", review(component("web"), user="mallory"))
        assert status == 200
        assert doc["response"]["allowed"] is False, form
        status, doc = hook.post("/validate-component", review(component("web"), user="alice"))
        assert doc["response"]["allowed"] is True
    finally:
        hook.stop()
