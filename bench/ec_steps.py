"""Step definitions for `bench/ec_scenarios.py`: `ec`'s acceptance steps, done with our parts.

Each step mirrors the one in github:conforma/cli `acceptance/` of the same
wording, built with this project's own code: `docker-registry` for the stub
registry, our signer for cosign signatures and attestations, a static HTTPS
server over bare repositories for the stub git daemon, the kmock API server
emulator for the stub cluster. A step that needs something we cannot run here
(Tekton, a TUF or Rekor stub, wiremock) raises `NotReplayable` naming itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class NotReplayable(Exception):
    """The scenario needs a step we cannot replay on this machine."""


class StepFailed(Exception):
    """An assertion step did not hold."""


STEPS: list[tuple[re.Pattern[str], Callable[..., None]]] = []


def step(pattern: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        STEPS.append((re.compile(pattern), fn))
        return fn

    return register


class World:
    """One scenario's state: its work directory, fixtures, variables and the last command."""

    def __init__(self, repo: Path, scenario: str, snapshots: dict[str, str]):
        self.repo = repo
        self.scenario = scenario
        self.snapshots = snapshots
        self.dir = Path(tempfile.mkdtemp(prefix="ec-scenario-"))
        (self.dir / "acceptance").symlink_to(repo / "acceptance")
        (self.dir / "features").symlink_to(repo / "features")
        self.home = self.dir / "home"
        self.home.mkdir()
        self.env: dict[str, str] = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "NO_COLOR": "",
        }
        from konflux import __version__

        self.variables: dict[str, str] = {"TMPDIR": str(self.dir), "EC_VERSION": f"v{__version__}"}
        self.snapshot_counts: dict[str, int] = {}
        self.mismatches: list[tuple[str, str, str]] = []
        self.stdout = ""
        self.stderr = ""
        self.exit_code: int | None = None
        self.cleanups: list[Callable[[], None]] = []

    def expand(self, text: str) -> str:
        return re.sub(
            r"\$\{(\w[^}]*)\}|\$(\w+)",
            lambda m: self.variables.get(m.group(1) or m.group(2), ""),
            text,
        )

    def run(self, args: list[str], stdin: str | None = None) -> None:
        env = {k: v for k, v in self.env.items() if v != ""}
        done = subprocess.run(
            [sys.executable, "-m", "konflux", *args],
            cwd=self.dir,
            env=env,
            capture_output=True,
            text=True,
            input=stdin,
            timeout=600,
        )
        self.stdout, self.stderr, self.exit_code = done.stdout, done.stderr, done.returncode

    def match_snapshot(self, qualifier: str, text: str) -> None:
        from ec_scenarios import normalise

        count = self.snapshot_counts.get(qualifier, 0) + 1
        self.snapshot_counts[qualifier] = count
        key = f"{self.scenario}:{qualifier} - {count}"
        if key not in self.snapshots:
            raise NotReplayable(f"no snapshot {key!r} in ec's __snapshots__")
        # Raw digests left after variable substitution name ec's fixture bytes (bundles,
        # blobs) that our fixtures cannot reproduce bit for bit: compare them by position.
        expected = _digests_in_order(self.snapshots[key])
        actual = _digests_in_order(normalise(text, self.variables))
        if actual.rstrip("\n") != expected.rstrip("\n"):
            self.mismatches.append((qualifier, expected, actual))

    def close(self) -> None:
        for fn in reversed(self.cleanups):
            fn()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- the command and its outcome ----------------------------------------------------------------


@step(r'the environment variable is set "([^"]*)"')
def set_env(w: World, _: Any, assignment: str) -> None:
    key, _, value = assignment.partition("=")
    w.env[key] = value


@step(r'ec command is run with "(.*)"')
def run_ec(w: World, s: Any, params: str) -> None:
    # ec splits the expanded parameters on single spaces, quotes and all.
    w.run(w.expand(params).split(" "))


@step(r"the exit status should be (\d+)")
def exit_status(w: World, _: Any, code: str) -> None:
    if w.exit_code != int(code):
        w.mismatches.append(("exit status", code, str(w.exit_code) + "\n" + w.stderr[-2000:]))


@step(r"the output should match the snapshot")
def output_snapshot(w: World, _: Any) -> None:
    w.match_snapshot("stdout", w.stdout)
    w.match_snapshot("stderr", w.stderr)


@step(r"the standard output should contain")
def stdout_contains(w: World, s: Any) -> None:
    _contains(w, "stdout", w.stdout, s.doc or "")


@step(r"the standard error should contain")
def stderr_contains(w: World, s: Any) -> None:
    _contains(w, "stderr", w.stderr, s.doc or "")


@step(r'the log output should contain "([^"]*)"')
def log_contains(w: World, _: Any, expected: str) -> None:
    if expected not in w.stderr:  # ec: strings.Contains(stderr, expected)
        w.mismatches.append(("stderr", expected, w.stderr))


@step(r'VSA envelope files should exist in "([^"]*)"')
def vsa_files_exist(w: World, _: Any, directory: str) -> None:
    found = sorted(Path(w.expand(directory)).glob("vsa-*.json"))
    if not found:
        w.mismatches.append((directory, "vsa-*.json files", "none"))


@step(r"rekor entries are cleared")
def rekor_cleared(w: World, _: Any) -> None:
    """Nothing to clear: ${REKOR} answers nothing here, so any Rekor query would fail."""


def _contains(w: World, label: str, actual: str, expected: str) -> None:
    expected = w.expand(expected)
    try:
        want, got = json.loads(expected), json.loads(actual)
    except ValueError:
        # ec: `regexp.MatchString(expected, actual)`, else a plain comparison
        if expected.strip() not in actual and not _regexp_matches(expected.strip(), actual):
            w.mismatches.append((label, expected, actual))
        return
    if not _json_matches(want, got):
        w.mismatches.append((label, json.dumps(want, indent=2), json.dumps(got, indent=2)))


def _regexp_matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _json_matches(want: Any, got: Any) -> bool:
    """ec compares JSON ignoring key order; string values may be regular expressions."""
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and all(k in got and _json_matches(v, got[k]) for k, v in want.items())
            and set(want) == set(got)
        )
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(want) == len(got)
            and all(_json_matches(a, b) for a, b in zip(want, got, strict=True))
        )
    if isinstance(want, str) and isinstance(got, str):
        if want == got:
            return True
        try:
            return re.fullmatch(want, got) is not None
        except re.error:
            return False
    return want == got


# -- files --------------------------------------------------------------------------------------


@step(r'a (?:file|pipeline definition file|track bundle file) named "([^"]*)" containing')
def create_file(w: World, s: Any, name: str) -> None:
    path = w.dir / w.expand(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(w.expand(s.doc or ""), encoding="utf-8")


@step(r'the "([^"]*)" file should match the snapshot')
def file_snapshot(w: World, _: Any, name: str) -> None:
    path = Path(w.expand(name))
    path = path if path.is_absolute() else w.dir / path
    w.match_snapshot(name, path.read_text(encoding="utf-8") if path.exists() else "")


# -- services shared by every scenario of a run -------------------------------------------------


class _Services:
    """Lazily started servers; each scenario points them at its own content."""

    def __init__(self) -> None:
        self.loop_thread: Any = None
        self.git: GitServer | None = None
        self.registry: Any = None

    def submit(self, coro: Any) -> Any:
        from konflux.testing import LoopThread

        if self.loop_thread is None:
            self.loop_thread = LoopThread("ec-steps-services")
        return self.loop_thread.run(coro, timeout=60)


SERVICES = _Services()


class GitServer:
    """Bare repositories over HTTPS (git's dumb HTTP protocol), as `ec`'s stub git daemon.

    `https://localhost:PORT/git/<name>.git` (or without `.git`) serves
    `<root>/<name>.git`; clients trust it with GIT_SSL_NO_VERIFY, as `ec`'s do.
    """

    def __init__(self) -> None:
        from aiohttp import web

        from konflux.testing import free_port
        from konflux.webhooks.certs import generate

        self.root = Path(tempfile.mkdtemp(prefix="ec-git-"))
        certs = generate(self.root / "certs", ["localhost"])
        self.cert = certs.cert
        self.port = free_port()
        self.repos = self.root / "repos"
        self.repos.mkdir()

        async def serve(request: web.Request) -> web.StreamResponse:
            name, _, rest = request.match_info["path"].partition("/")
            repo = self.repos / (name if name.endswith(".git") else name + ".git")
            target = (repo / rest).resolve()
            if not str(target).startswith(str(self.repos.resolve())) or not target.is_file():
                return web.Response(status=404)
            return web.FileResponse(target)

        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certs.cert, certs.key)
        app = web.Application()
        app.router.add_get("/git/{path:.*}", serve)

        async def start() -> None:
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port, ssl_context=context).start()

        SERVICES.submit(start())

    @property
    def host(self) -> str:
        return f"localhost:{self.port}"


def git_server() -> GitServer:
    if SERVICES.git is None:
        SERVICES.git = GitServer()
    return SERVICES.git


@step(r"stub git daemon running")
def stub_git(w: World, _: Any) -> None:
    server = git_server()
    w.git_repos = w.dir / "git"
    w.git_repos.mkdir(exist_ok=True)
    server.repos = w.git_repos
    w.variables["GITHOST"] = server.host
    w.env["GIT_SSL_NO_VERIFY"] = "true"
    w.env["SSL_CERT_FILE"] = str(server.cert)


@step(r'a git repository named "([^"]*)" with')
def git_repository(w: World, s: Any, name: str) -> None:
    if not hasattr(w, "git_repos"):
        stub_git(w, s)
    bare = w.git_repos / f"{name}.git"
    if bare.exists():
        return
    work = w.dir / "git-work" / name
    work.mkdir(parents=True)
    for target, source in s.table or []:
        content = (w.dir / "acceptance" / source).read_text(encoding="utf-8")
        if not source.endswith(".rego"):
            # ec expands ${GITHOST} (only) in non-Rego files
            content = content.replace("${GITHOST}", w.variables["GITHOST"])
        (work / target).parent.mkdir(parents=True, exist_ok=True)
        (work / target).write_text(content, encoding="utf-8")
    # ec's commits are deterministic: fixed author, committer and date.
    when = "1970-01-01T00:09:09Z"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Testy McTestface",
        "GIT_AUTHOR_EMAIL": "test@test.test",
        "GIT_COMMITTER_NAME": "Testy McTestface",
        "GIT_COMMITTER_EMAIL": "test@test.test",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }

    def git(*args: str, cwd: Path = work) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", "-A")
    # go-git's commit: message "test data" without a newline (git commit would add one), so
    # the same files give ec's commit ids.
    tree = git("write-tree")
    commit = subprocess.run(
        ["git", "commit-tree", tree], cwd=work, env=env, input="test data",
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    git("update-ref", "refs/heads/main", commit)
    w.variables["LATEST_COMMIT"] = commit
    git("clone", "-q", "--bare", str(work), str(bare), cwd=w.dir)
    git("update-server-info", cwd=bare)


# -- the registry -------------------------------------------------------------------------------


class Registry:
    """`docker-registry` on loopback plus one client; images pushed are remembered by name."""

    def __init__(self) -> None:
        from konflux.engine.oci import SyncRegistry
        from konflux.testing import LocalRegistry, free_port

        self.server = LocalRegistry(Path(tempfile.mkdtemp(prefix="ec-registry-")), free_port())
        self.server.start()
        self.sync = SyncRegistry()
        self.host = self.server.host

    def ref(self, name: str) -> Any:
        from konflux.engine.oci import parse_reference

        return parse_reference(f"{self.host}/{name}")

    def push(self, name: str, manifest: dict[str, Any], blobs: list[bytes]) -> str:
        """Push blobs then the manifest at `name` (repo[:tag]); returns the manifest digest."""
        ref = self.ref(name)
        for blob in blobs:
            self.sync.run(self.sync.client.push_blob(ref, blob))
        raw = json.dumps(manifest, separators=(",", ":")).encode()
        pushed = self.sync.run(self.sync.client.put_manifest(ref, raw, manifest["mediaType"]))
        return str(pushed.digest)

    def manifest(self, name: str) -> Any:
        return self.sync.run(self.sync.client.get_manifest(self.ref(name)))

    def blob(self, name: str, digest: str) -> bytes:
        return self.sync.run(self.sync.client.get_blob(self.ref(name), digest))


def registry() -> Registry:
    if SERVICES.registry is None:
        SERVICES.registry = Registry()
    return SERVICES.registry


def pushed(w: World, name: str, digest: str) -> None:
    """Remember an image, and set `ec`'s REGISTRY_<repo>:<tag>_DIGEST variable (hex only)."""
    repo, _, tag = name.partition(":")
    w.images = getattr(w, "images", {})
    w.images[name] = digest
    w.variables[f"REGISTRY_{repo}:{tag or 'latest'}_DIGEST"] = digest.removeprefix("sha256:")


@step(r"stub registry running")
def stub_registry(w: World, _: Any) -> None:
    w.variables["REGISTRY"] = registry().host


def _blob(data: bytes) -> tuple[dict[str, Any], bytes]:
    from konflux.engine.digests import sha256_digest

    return {"digest": sha256_digest(data), "size": len(data)}, data


def _tar(name: str, content: bytes, mode: int = 0o600) -> bytes:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(content), mode
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _tekton_object(kind: str, name: str) -> bytes:
    if kind == "Pipeline":
        obj: dict[str, Any] = {
            "apiVersion": "tekton.dev/v1",
            "kind": "Pipeline",
            "metadata": {"name": name},
            "spec": {"tasks": [{"name": "noop", "taskRef": {"name": "noop"}}]},
        }
    else:
        obj = {
            "apiVersion": "tekton.dev/v1",
            "kind": "Task",
            "metadata": {"name": name},
            "spec": {"steps": [{"name": "noop", "image": "ubuntu", "script": "true"}]},
        }
    return json.dumps(obj).encode()


@step(r'a tekton bundle image named "([^"]*)" containing')
def tekton_bundle(w: World, s: Any, name: str) -> None:
    reg = registry()
    w.variables["REGISTRY"] = reg.host
    layers, blobs, diff_ids = [], [], []
    for kind, obj_name in s.table or []:
        data = _tar(obj_name, _tekton_object(kind, obj_name))
        desc, raw = _blob(data)
        blobs.append(raw)
        diff_ids.append(desc["digest"])
        layers.append(
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                **desc,
                "annotations": {
                    "dev.tekton.image.apiVersion": "v1",
                    "dev.tekton.image.kind": kind.lower(),
                    "dev.tekton.image.name": obj_name,
                },
            }
        )
    config, raw = _blob(
        json.dumps(
            {
                "architecture": "",
                "os": "",
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
            }
        ).encode()
    )
    blobs.append(raw)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": layers,
    }
    pushed(w, name, reg.push(name, manifest, blobs))


def _digests_in_order(text: str) -> str:
    """Number each distinct sha256 digest by first appearance: fixture bytes differ from ec's."""
    seen: dict[str, str] = {}

    def number(m: re.Match[str]) -> str:
        return seen.setdefault(m.group(0), f"sha256:<digest {len(seen) + 1}>")

    return re.sub(r"sha256:[0-9a-f]{64}", number, text)


@step(r'registry image "([^"]*)" should contain a layer with')
def registry_layer(w: World, s: Any, name: str) -> None:
    reg = registry()
    try:
        manifest = reg.manifest(name)
    except Exception as exc:
        w.mismatches.append((f"registry image {name}", s.doc or "", f"cannot read: {exc}"))
        return
    expected = _digests_in_order(w.expand(s.doc or "")).strip()
    contents = [
        _digests_in_order(reg.blob(name, layer["digest"]).decode("utf-8", "replace")).strip()
        for layer in manifest.json.get("layers") or []
    ]
    if expected not in contents:
        w.mismatches.append((f"registry image {name}", expected, "\n---\n".join(contents)))


@step(r"VSA upload to Rekor should be expected")
@step(r"VSA index search should return (?:no results|valid VSA)")
@step(r"Rekor upload should fail")
def rekor_vsa(w: World, _: Any, *args: str) -> None:
    raise NotReplayable("a Rekor VSA backend (konflux has none: docs/ec-differences.md)")


@step(r"a valid (?:image signature|attestation|bundle-format attestation) referrer of .*")
def referrer_artifact(w: World, _: Any, *args: str) -> None:
    raise NotReplayable("cosign's OCI referrer artifacts (WriteReferrer) are not built here")


@step(r'a signed and attested keyless image named "([^"]*)"')
def keyless_image(w: World, _: Any, *args: str) -> None:
    raise NotReplayable("a Fulcio CA and Rekor with keyless entries (ec's wiremock stubs)")


@step(r'running conftest "([^"]*)" produces "([^"]*)" containing:')
def conftest_pull(w: World, _: Any, *args: str) -> None:
    raise NotReplayable("needs the conftest binary (`conftest pull`)")


# -- validate input --server --------------------------------------------------------------------


@step(r'ec server is started with "(.+)"')
def start_server(w: World, _: Any, params: str) -> None:
    import time
    import urllib.request

    from konflux.testing import free_port

    port = free_port()
    w.variables["SERVER_PORT"] = str(port)
    env = {k: v for k, v in w.env.items() if v != ""}
    args = [*w.expand(params).split(" "), "--server-port", str(port)]
    log = (w.dir / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "konflux", *args], cwd=w.dir, env=env, stdout=log, stderr=log
    )

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    w.cleanups.append(stop)
    w.server_port = port
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StepFailed(f"server exited: {(w.dir / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise StepFailed("server did not become ready in 120 s")


def _request(w: World, method: str, path: str, content_type: str, body: str | None) -> None:
    import urllib.error
    import urllib.request

    data = body.encode() if body is not None else None
    req = urllib.request.Request(
        f"http://127.0.0.1:{w.server_port}{path}", data=data, method=method
    )
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            w.response = (r.status, r.read().decode(), dict(r.headers))
    except urllib.error.HTTPError as exc:
        w.response = (exc.code, exc.read().decode(), dict(exc.headers))


@step(r'a GET request is sent to the server at "(.+)"')
def get_request(w: World, _: Any, path: str) -> None:
    _request(w, "GET", path, "", None)


@step(r'a POST request is sent to the server at "(.+)" with body')
def post_request(w: World, s: Any, path: str) -> None:
    _request(w, "POST", path, "application/json", w.expand(s.doc or ""))


@step(r'a POST request is sent to the server at "(.+)" with content type "(.+)" and body')
def post_request_typed(w: World, s: Any, path: str, content_type: str) -> None:
    _request(w, "POST", path, content_type, w.expand(s.doc or ""))


@step(r"the response status should be (\d+)")
def response_status(w: World, _: Any, code: str) -> None:
    if w.response[0] != int(code):
        w.mismatches.append(("response status", code, f"{w.response[0]}\n{w.response[1]}"))


@step(r'the response should contain "(.+)"')
def response_contains(w: World, _: Any, text: str) -> None:
    if text not in w.response[1]:
        w.mismatches.append(("response", text, w.response[1]))


@step(r"the response should match the snapshot")
def response_snapshot(w: World, _: Any) -> None:
    w.match_snapshot("response", w.response[1])


@step(r'the response field "(.+)" should be "(.+)"')
def response_field(w: World, _: Any, field: str, expected: str) -> None:
    value = json.loads(w.response[1]).get(field)
    actual = (
        {True: "true", False: "false"}.get(value, str(value))
        if isinstance(value, bool)
        else str(value)
    )
    if actual != expected:
        w.mismatches.append((f"response field {field}", expected, actual))


@step(r'the response header "(.+)" should be "(.+)"')
def response_header(w: World, _: Any, header: str, expected: str) -> None:
    actual = {k.lower(): v for k, v in w.response[2].items()}.get(header.lower(), "")
    if actual != expected:
        w.mismatches.append((f"response header {header}", expected, actual))


# -- the stub cluster ---------------------------------------------------------------------------

ACCEPTANCE_NS = "acceptance"  # ec's stub cluster keeps policies and snapshots here


class Cluster:
    """The kmock API server emulator with a kubeconfig for it (namespace `acceptance`)."""

    def __init__(self) -> None:
        import yaml

        from konflux.testing import LocalCluster

        self.local = LocalCluster()
        SERVICES.submit(self.local.__aenter__())
        self.kubeconfig = Path(tempfile.mkdtemp(prefix="ec-cluster-")) / "kubeconfig"
        self.kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "stub", "cluster": {"server": self.local.config.server}}],
                    "users": [{"name": "stub", "user": {}}],
                    "contexts": [
                        {
                            "name": "stub",
                            "context": {
                                "cluster": "stub",
                                "user": "stub",
                                "namespace": ACCEPTANCE_NS,
                            },
                        }
                    ],
                    "current-context": "stub",
                }
            )
        )

    def apply(self, resource: Any, namespace: str, name: str, **fields: Any) -> None:
        body = {
            "apiVersion": resource.api_version,
            "kind": resource.kind,
            "metadata": {"name": name, "namespace": namespace},
            **fields,
        }
        client = self.local.client

        async def put() -> None:
            await client.delete(resource, namespace, name)
            await client.create(resource, body)

        SERVICES.submit(put())


def cluster() -> Cluster:
    if getattr(SERVICES, "cluster", None) is None:
        SERVICES.cluster = Cluster()
    return SERVICES.cluster


@step(r"a stub cluster running")
def stub_cluster(w: World, _: Any) -> None:
    w.env["KUBECONFIG"] = str(cluster().kubeconfig)


@step(r'policy configuration named "([^"]*)" with specification')
def named_policy(w: World, s: Any, name: str) -> None:
    from konflux.kube.resources import POLICY

    stub_cluster(w, s)
    cluster().apply(POLICY, ACCEPTANCE_NS, name, spec=json.loads(w.expand(s.doc or "{}")))


@step(r'an Snapshot named "([^"]*)" with specification')
def named_snapshot(w: World, s: Any, name: str) -> None:
    from konflux.kube.resources import SNAPSHOT

    stub_cluster(w, s)
    cluster().apply(SNAPSHOT, ACCEPTANCE_NS, name, spec=json.loads(w.expand(s.doc or "{}")))


# -- keys, images, signatures, attestations (as ec's acceptance/image makes them) --------------


@step(r'a key pair named "([^"]*)"')
def key_pair(w: World, _: Any, name: str) -> None:
    from konflux.engine.sigstore import generate_key_pair, load_private_key

    pair = generate_key_pair(b"")
    public = pair.public_pem.decode()
    pub_file, key_file = w.dir / f"{name}.pub", w.dir / f"{name}.key"
    pub_file.write_text(public)
    key_file.write_bytes(pair.private_pem)
    w.keys = getattr(w, "keys", {})
    w.keys[name] = load_private_key(pair.private_pem, b"")
    w.variables[f"{name}_PUBLIC_KEY"] = str(pub_file)
    w.variables[f"{name}_PRIVATE_KEY"] = str(key_file)
    w.variables[f"{name}_PUBLIC_KEY_JSON"] = public.replace("\n", "\\n")
    from konflux.engine.output.junit import escape

    w.variables[f"{name}_PUBLIC_KEY_XML"] = escape(public)
    w.variables[f"__________{name}_PUBLIC_KEY"] = "\n".join(
        (" " * 10 + line) if line else line for line in public.split("\n")
    )


DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_TAR_LAYER = "application/vnd.oci.image.layer.v1.tar"


def _random_image(
    w: World,
    name: str,
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    extra_layers: list[bytes] = (),  # type: ignore[assignment]
) -> str:
    """As go-containerregistry's `random.Image(4096, 2)` then `mutate`: a Docker v2 manifest,
    two gzip layers of random bytes, then `extra_layers` (uncompressed OCI tars); returns
    the digest."""
    import gzip
    import secrets

    from konflux.engine.digests import sha256_digest

    blobs, descs, diff_ids = [], [], []
    for i in range(2):
        tar = _tar(f"random_file_{i}.txt", secrets.token_bytes(4096))
        data = gzip.compress(tar, mtime=0)
        blobs.append(data)
        diff_ids.append(sha256_digest(tar))
        descs.append({"mediaType": DOCKER_LAYER, "size": len(data), "digest": sha256_digest(data)})
    for tar in extra_layers:
        blobs.append(tar)
        diff_ids.append(sha256_digest(tar))
        descs.append({"mediaType": OCI_TAR_LAYER, "size": len(tar), "digest": sha256_digest(tar)})
    config = json.dumps(
        {
            "architecture": "",
            "os": "",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "config": {"Labels": labels},
        },
        separators=(",", ":"),
    ).encode()
    blobs.append(config)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": len(config),
                   "digest": sha256_digest(config)},
        "layers": descs,
    }  # fmt: skip
    if annotations:
        manifest["annotations"] = annotations
    digest = registry().push(name, manifest, blobs)
    pushed(w, name, digest)
    return digest


@step(r'an image named "([^"]*)"')
def image_named(w: World, _: Any, name: str) -> None:
    reg = registry()
    w.variables["REGISTRY"] = reg.host
    title = {"org.opencontainers.image.title": f"{name}/parent"}
    parent = _random_image(w, f"{name}/parent", title)
    # ec resolves the parent's tag to its digest and keeps both (`repo:latest@sha256:...`)
    base = f"{reg.host}/{name}/parent:latest@{parent}"
    _random_image(
        w, name, {"org.opencontainers.image.title": name},
        {"org.opencontainers.image.base.name": base},
    )  # fmt: skip


def _pinned(w: World, name: str) -> Any:
    reg = registry()
    if name not in getattr(w, "images", {}):
        raise StepFailed(f"no image named {name} was created")
    return reg.ref(name).by_digest(w.images[name])


def _push_layer(w: World, name: str, suffix: str, layer: Any) -> None:
    from konflux.engine.sigstore import cosign_layout as layout
    from konflux.engine.sigstore.sign import push_artifact_image

    reg = registry()
    pinned = _pinned(w, name)
    tag = pinned.with_tag(layout.triangulation_tag(pinned.digest, suffix))
    artifact, _ = layout.build_artifact_image([layer])
    reg.sync.run(push_artifact_image(reg.sync.client, tag, artifact))


@step(r'a valid image signature of "([^"]*)" image signed by the "([^"]*)" key')
def image_signature(w: World, _: Any, name: str, key: str) -> None:
    from konflux.engine.sigstore import cosign_layout as layout
    from konflux.engine.sigstore.sign import signature_layer

    pinned = _pinned(w, name)
    layer = signature_layer(
        w.keys[key], pinned.context, str(pinned.digest), log=getattr(w, "rekor_log", None)
    )
    _push_layer(w, name, layout.SIGNATURE_SUFFIX, layer)
    w.variables[f"IMAGE_SIGNATURE_{name}"] = layer[1][layout.SIGNATURE_ANNOTATION]


PREDICATE_BUILDER_ID = "https://tekton.dev/chains/v2"
PREDICATE_BUILD_TYPE = "https://tekton.dev/attestations/chains/pipelinerun@v2"


def _statement(w: World, name: str, v1: bool = False) -> dict[str, Any]:
    """As cosign's GenerateStatement marshals it for ec's acceptance images."""
    digest = w.images[name].removeprefix("sha256:")
    if v1:
        return {
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": "https://slsa.dev/provenance/v1",
            "subject": [{"name": name, "digest": {"sha256": digest}}],
            "predicate": {
                "buildDefinition": {
                    "buildType": PREDICATE_BUILD_TYPE,
                    "externalParameters": {},
                },
                "runDetails": {"builder": {"id": PREDICATE_BUILDER_ID}, "metadata": {}},
            },
        }
    return {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": name, "digest": {"sha256": digest}}],
        "predicate": {
            "builder": {"id": PREDICATE_BUILDER_ID},
            "buildType": PREDICATE_BUILD_TYPE,
            "invocation": {"configSource": {}},
        },
    }


def _attest(w: World, name: str, key: str, statement: dict[str, Any]) -> None:
    from konflux.engine.sigstore import cosign_layout as layout
    from konflux.engine.sigstore.dsse import parse_envelope
    from konflux.engine.sigstore.sign import attestation_layer

    layer = attestation_layer(w.keys[key], statement, log=getattr(w, "rekor_log", None))
    _push_layer(w, name, layout.ATTESTATION_SUFFIX, layer)
    envelope = parse_envelope(layer[0].data, where="harness")
    w.variables[f"ATTESTATION_SIGNATURE_{name}"] = envelope.signatures[0].sig


@step(r'a valid attestation of "([^"]*)" signed by the "([^"]*)" key')
def attestation(w: World, _: Any, name: str, key: str) -> None:
    _attest(w, name, key, _statement(w, name))


@step(r'a valid slsa v1 attestation of "([^"]*)" signed by the "([^"]*)" key')
def attestation_v1(w: World, _: Any, name: str, key: str) -> None:
    _attest(w, name, key, _statement(w, name, v1=True))


@step(r'a valid attestation of "([^"]*)" signed by the "([^"]*)" key, patched with')
def attestation_patched(w: World, s: Any, name: str, key: str) -> None:
    import jsonpatch

    statement = _statement(w, name)
    for (patch,) in s.table or []:
        statement = jsonpatch.apply_patch(statement, json.loads(w.expand(patch)))
    _attest(w, name, key, statement)


@step(r"stub rekord running")
def stub_rekor(w: World, _: Any) -> None:
    # A log we hold the key of: signatures and attestations carry its bundles (as ec's stub
    # Rekor gives them), verified offline with SIGSTORE_REKOR_PUBLIC_KEY, as ec does.
    from konflux.engine.sigstore import generate_key_pair, load_private_key
    from konflux.engine.sigstore.rekor import LocalLog

    pair = generate_key_pair(b"")
    w.rekor_log = LocalLog(load_private_key(pair.private_pem, b""))
    key = w.dir / "rekor.pub"
    key.write_bytes(pair.public_pem)
    w.env["SIGSTORE_REKOR_PUBLIC_KEY"] = str(key)
    w.variables["REKOR"] = "http://localhost:1"


@step(r"stub tuf running")
def stub_tuf(w: World, _: Any) -> None:
    w.variables["TUF"] = "http://localhost:2"


@step(r'an image named "([^"]*)" containing a layer with:')
def image_with_layer(w: World, s: Any, name: str) -> None:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for target, source in s.table or []:
            content = (w.dir / "acceptance" / source).read_bytes()
            info = tarfile.TarInfo(target)
            info.size, info.mode = len(content), 0o644
            tar.addfile(info, io.BytesIO(content))
    w.variables["REGISTRY"] = registry().host
    _random_image(w, name, {"org.opencontainers.image.title": name}, None, [buf.getvalue()])


@step(r'the image "([^"]*)" has labels:')
def image_labels(w: World, s: Any, name: str) -> None:
    from konflux.engine.digests import sha256_digest

    reg = registry()
    manifest = reg.manifest(name).json
    config = json.loads(reg.blob(name, manifest["config"]["digest"]))
    labels = config.setdefault("config", {}).setdefault("Labels", {})
    labels.update(dict(s.table or []))
    config["config"]["Labels"] = dict(sorted(labels.items()))  # Go marshals maps sorted
    raw = json.dumps(config).encode()
    manifest["config"] = {**manifest["config"], "digest": sha256_digest(raw), "size": len(raw)}
    pushed(w, name, reg.push(name, manifest, [raw]))


@step(r'an OCI blob with content "([^"]*)" in the repo "([^"]*)"')
def oci_blob(w: World, _: Any, content: str, repo: str) -> None:
    reg = registry()
    reg.sync.run(reg.sync.client.push_blob(reg.ref(repo), content.encode()))


@step(r'a OCI policy bundle named "([^"]*)" with')
def policy_bundle(w: World, s: Any, name: str) -> None:
    from konflux.engine.digests import sha256_digest
    from konflux.engine.policy.bundle import DATA_LAYER

    reg = registry()
    w.variables["REGISTRY"] = reg.host
    layers, blobs = [], []
    for target, source in s.table or []:
        data = (w.dir / "acceptance" / source).read_bytes()
        blobs.append(data)
        layers.append(
            {"mediaType": DATA_LAYER, "digest": sha256_digest(data), "size": len(data),
             "annotations": {"org.opencontainers.image.title": target}}
        )  # fmt: skip
    config = b"{}"
    blobs.append(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256_digest(config),
            "size": len(config),
        },
        "layers": layers,
    }
    pushed(w, name, reg.push(name, manifest, blobs))


def _copy(w: World, source_tag: str, target_tag: str) -> None:
    reg = registry()
    fetched = reg.manifest(source_tag)
    media = fetched.json.get("mediaType") or "application/vnd.oci.image.manifest.v1+json"
    target = reg.ref(target_tag)
    descs = [fetched.json.get("config") or {}, *(fetched.json.get("layers") or [])]
    for d in descs:
        if d.get("digest"):
            data = reg.blob(source_tag, d["digest"])
            reg.sync.run(reg.sync.client.push_blob(target, data))
    reg.sync.run(reg.sync.client.put_manifest(target, fetched.raw, media))


def _steal(kind: str) -> Callable[..., None]:
    def steal(w: World, s: Any, name: str, donor: str) -> None:
        from konflux.engine.sigstore import cosign_layout as layout

        image_named(w, s, name)
        suffix = layout.SIGNATURE_SUFFIX if kind == "sig" else layout.ATTESTATION_SUFFIX
        donor_tag = layout.triangulation_tag(w.images[donor], suffix)
        own_tag = layout.triangulation_tag(w.images[name], suffix)
        _copy(w, f"{donor}:{donor_tag}", f"{name}:{own_tag}")

    return steal


step(r'an image named "([^"]*)" with signature from "([^"]*)"')(_steal("sig"))
step(r'an image named "([^"]*)" with attestation from "([^"]*)"')(_steal("att"))


@step(r'all images relating to "([^"]*)" are copied to "([^"]*)"')
def copy_all(w: World, _: Any, source: str, target: str) -> None:
    from konflux.engine.sigstore import cosign_layout as layout

    digest = w.images[source]
    _copy(w, f"{source}@{digest}", f"{target}:latest")
    pushed(w, target, digest)
    for suffix in (layout.SIGNATURE_SUFFIX, layout.ATTESTATION_SUFFIX):
        tag = layout.triangulation_tag(digest, suffix)
        try:
            _copy(w, f"{source}:{tag}", f"{target}:{tag}")
        except Exception:  # the source had no such artifact
            continue


@step(r'an Snapshot named "([^"]*)" with (\d+) components signed with "([^"]*)" key')
def many_components(w: World, s: Any, name: str, count: str, key: str) -> None:
    from konflux.kube.resources import SNAPSHOT

    components = []
    for i in range(int(count)):
        ref = f"{name}/image-{i}"
        image_named(w, s, ref)
        image_signature(w, s, ref, key)
        attestation(w, s, ref, key)
        components.append({"name": f"component{i}", "containerImage": f"{registry().host}/{ref}"})
    stub_cluster(w, s)
    cluster().apply(SNAPSHOT, ACCEPTANCE_NS, name, spec={"components": components})


@step(
    r'policy configuration named "([^"]*)" with (\d+) policy sources from "([^"]*)"'
    r"(?:, patched with)"
)
def many_sources(w: World, s: Any, name: str, count: str, source: str) -> None:
    import jsonpatch

    from konflux.kube.resources import POLICY

    policy: dict[str, Any] = {
        "sources": [{"policy": [w.expand(source)]} for _ in range(int(count))]
    }
    for (patch,) in s.table or []:
        policy = jsonpatch.apply_patch(policy, json.loads(w.expand(patch)))
    stub_cluster(w, s)
    cluster().apply(POLICY, ACCEPTANCE_NS, name, spec=policy)


@step(r"a working namespace")
def working_namespace(w: World, _: Any) -> None:
    raise NotReplayable("runs Tekton tasks in a kind cluster (task_validate_image)")


@step(r"a cluster running")
def kind_cluster(w: World, _: Any) -> None:
    raise NotReplayable("needs a kind cluster with Tekton")
