"""Exec credential plugins that misbehave: each failure names the plugin, the user and the cause."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from konflux.kube.errors import CredentialPluginError
from konflux.kube.exec_plugin import ExecConfig, ExecPlugin

V1 = "client.authentication.k8s.io/v1"


def plugin(tmp_path: Path, body: str, **kw: object) -> ExecPlugin:
    script = tmp_path / "plugin"
    script.write_text(f"#!{sys.executable}\nimport sys\n{body}\n")
    script.chmod(0o755)
    fields = {"interactive_mode": "Never", "origin": 'user "u" in kubeconfig kc', **kw}
    return ExecPlugin(ExecConfig(command=str(script), api_version=V1, **fields))  # type: ignore[arg-type]


def answer(status: str, version: str = V1) -> str:
    return f'print(\'{{"apiVersion": "{version}", "kind": "ExecCredential", "status": {status}}}\')'


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("sys.exit(3)", "failed with exit code 3"),
        ("print('not json')", "printed no ExecCredential JSON"),
        ("print('[]')", "not an ExecCredential"),
        (answer('{"token": "t"}', "client.authentication.k8s.io/v1beta1"), "answered 'client"),
        (f'print(\'{{"apiVersion": "{V1}", "kind": "ExecCredential"}}\')', "without a status"),
        (answer("{}"), "neither a token nor a certificate and key"),
        (answer('{"clientCertificateData": "x"}'), "only a certificate or a key"),
        (answer('{"token": "t", "expirationTimestamp": "soon"}'), "not RFC 3339"),
    ],
)
def test_bad_answers(tmp_path, body, fragment):
    with pytest.raises(CredentialPluginError, match=fragment) as caught:
        plugin(tmp_path, body).credential()
    assert 'user "u" in kubeconfig kc' in str(caught.value)


def test_missing_plugin_shows_the_install_hint():
    config = ExecConfig(
        command="konflux-no-such-plugin",
        api_version=V1,
        interactive_mode="Never",
        origin='user "u"',
        install_hint="install it with: brew install it",
    )
    with pytest.raises(CredentialPluginError, match="not found on PATH; install it with"):
        ExecPlugin(config).credential()


def test_interactive_always_needs_a_terminal(tmp_path):
    always = plugin(tmp_path, answer('{"token": "t"}'), interactive_mode="Always")
    always.stdin_is_terminal = lambda: False
    with pytest.raises(CredentialPluginError, match="standard input is not a terminal"):
        always.credential()


def test_if_available_is_interactive_on_a_terminal(tmp_path):
    state = tmp_path / "spec"
    body = (
        "import os\n"
        f"open({str(state)!r}, 'w').write(os.environ['KUBERNETES_EXEC_INFO'])\n"
        + answer('{"token": "t"}')
    )
    ask = plugin(tmp_path, body, interactive_mode="IfAvailable")
    ask.stdin_is_terminal = lambda: True
    assert ask.credential().token == "t"
    assert '"interactive": true' in state.read_text()


def test_stale_credential_runs_the_plugin_again_once(tmp_path):
    counter = tmp_path / "n"
    body = (
        "import os\n"
        f"p = {str(counter)!r}\n"
        "n = int(open(p).read()) + 1 if os.path.exists(p) else 1\n"
        "open(p, 'w').write(str(n))\n"
        'print(\'{"apiVersion": "%s", "kind": "ExecCredential", '
        f'"status": {{"token": "t%d"}}}}\' % (\'{V1}\', n))'
    )
    p = plugin(tmp_path, body)
    first = p.credential()
    assert p.credential() is first  # cached
    second = p.credential(stale=first)
    assert (first.token, second.token) == ("t1", "t2")
    # a second caller refused with the old credential gets the new one, no third run
    assert p.credential(stale=first) is second
    assert counter.read_text() == "2"
