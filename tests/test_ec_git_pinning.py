"""A git source fetched over real HTTPS is named as `ec` names it: `git::<host>/<path>?ref=<commit>`
(the `https://` scheme dropped, a branch pinned to its commit).

The repository is served by git's "dumb" HTTP protocol (static files after `git
update-server-info`) from a TLS server on 127.0.0.1, with a certificate of our own CA
that git is told to trust (`GIT_SSL_CAINFO`); git clones it as from any HTTPS host.
"""

from __future__ import annotations

import functools
import http.server
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from konflux.cli.main import cli
from konflux.engine import PolicyEvaluator, Settings, load_policy
from konflux.webhooks.certs import generate

RULE = """package pinned

import rego.v1

# METADATA
# title: Pinned
# custom:
#   short_name: {name}
deny contains {{"code": "pinned.{name}", "msg": "from {name}"}} if input.fail
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c",
         "commit.gpgsign=false", "-C", str(repo), *args],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


@dataclass
class HttpsGit:
    host: str  # localhost:PORT
    first: str  # the first commit on main
    head: str  # main's head
    requested: list[str] = field(default_factory=list)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, format: str, *args: object) -> None:
        self.requested.append(self.path)


@pytest.fixture(scope="module")
def https_git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsGit]:
    root = tmp_path_factory.mktemp("https-git")
    work = root / "work"
    work.mkdir()
    git(work, "init", "--quiet", "--initial-branch=main")
    (work / "policy").mkdir()
    (work / "policy" / "main.rego").write_text(RULE.format(name="first"))
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "first")
    first = git(work, "rev-parse", "HEAD")
    (work / "policy" / "main.rego").write_text(RULE.format(name="second"))
    git(work, "commit", "--quiet", "-am", "second")
    head = git(work, "rev-parse", "HEAD")
    served = root / "served"
    served.mkdir()
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", str(work), str(served / "policy.git")], check=True
    )
    git(served / "policy.git", "update-server-info")  # what the dumb protocol reads

    certs = generate(root / "tls", ["localhost"], 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert, certs.key)
    requested: list[str] = []
    handler = type("Handler", (_Quiet,), {"requested": requested})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(served))
    )
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    mp = pytest.MonkeyPatch()
    mp.setenv("GIT_SSL_CAINFO", str(certs.ca_cert))  # git trusts our CA, and only for this
    try:
        yield HttpsGit(f"localhost:{server.server_address[1]}", first, head, requested)
    finally:
        mp.undo()
        server.shutdown()
        server.server_close()


def pinned(url: str) -> str:
    evaluator = PolicyEvaluator(
        load_policy(f'{{"sources": [{{"policy": ["{url}"]}}]}}'), Settings()
    )
    try:
        return evaluator.pinned_spec()["sources"][0]["policy"][0]
    finally:
        evaluator.close()


def test_a_branch_over_https_is_pinned_to_its_commit_without_the_scheme(https_git: HttpsGit):
    url = f"git::https://{https_git.host}/policy.git//policy?ref=main"
    assert pinned(url) == f"git::{https_git.host}/policy.git//policy?ref={https_git.head}"
    # It really went over HTTPS: git asked our server for the refs and objects.
    assert any(p.startswith("/policy.git/info/refs") for p in https_git.requested)


def test_a_commit_ref_stays_that_commit(https_git: HttpsGit):
    url = f"git::https://{https_git.host}/policy.git//policy?ref={https_git.first}"
    assert pinned(url) == f"git::{https_git.host}/policy.git//policy?ref={https_git.first}"


def test_the_pinned_commit_is_what_is_evaluated(https_git: HttpsGit):
    url = f"git::https://{https_git.host}/policy.git//policy?ref={https_git.first}"
    policy = json.dumps({"sources": [{"policy": [url]}]})
    result = CliRunner().invoke(
        cli, ["validate", "input", "-p", policy, '{"fail": true}', "-o", "json", "--no-strict"]
    )
    assert result.exit_code == 0, result.output
    violations = json.loads(result.stdout)["filepaths"][0]["violations"]
    assert [v["metadata"]["code"] for v in violations] == ["pinned.first"]


def test_inspect_policy_names_the_https_source_in_ecs_form(https_git: HttpsGit):
    result = CliRunner().invoke(
        cli, ["inspect", "policy", "--source", f"git::https://{https_git.host}/policy.git"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"# Source: git::{https_git.host}/policy.git?ref={https_git.head}"
    )


def test_an_untrusted_certificate_is_a_clear_source_error(
    https_git: HttpsGit, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("GIT_SSL_CAINFO")
    result = CliRunner().invoke(
        cli, ["inspect", "policy", "--source", f"git::https://{https_git.host}/policy.git"]
    )
    assert result.exit_code == 1
    assert f"https://{https_git.host}/policy.git: git clone failed" in result.stderr
    assert "certificate" in result.stderr.lower()
