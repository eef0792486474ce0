"""Policy and data source URLs: local paths, `file::`, `git::` (and github/gitlab shorthands).

The forms follow go-getter as `ec` uses it: `git::<url>//<subdir>?ref=<rev>`,
`github.com/org/repo//subdir?ref=rev`. Plain `http:` is refused (sources must
be fetched over an authenticated channel); `oci::` bundles need the registry
client and fail with a clear message until it exists.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from konflux.engine.cleanup import temporary_directory
from konflux.engine.errors import SourceError

_GIT_HOSTS = ("github.com/", "gitlab.com/")


def is_remote(url: str) -> bool:
    return "::" in url.split("/", 1)[0] or url.startswith(_GIT_HOSTS) or "://" in url


def _split_git(url: str) -> tuple[str, str, str | None]:
    """Split `repo//subdir?ref=rev` into repo URL, subdirectory and revision."""
    query = ""
    if "?" in url:
        url, query = url.split("?", 1)
    rev = (parse_qs(query).get("ref") or [None])[0]
    scheme_end = url.find("://")
    head = scheme_end + 3 if scheme_end >= 0 else 0
    sub = ""
    idx = url.find("//", head)
    if idx >= 0:
        url, sub = url[:idx], url[idx + 2 :]
    return url, sub.strip("/"), rev


def _run_git(args: list[str], url: str) -> None:
    command = args[2] if args[0] == "-C" else args[0]  # the subcommand, for messages
    try:
        subprocess.run(["git", *args], check=True, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        raise SourceError(f"{url}: git is not installed") from None
    except subprocess.CalledProcessError as exc:
        raise SourceError(f"{url}: git {command} failed: {exc.stderr.strip()}") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"{url}: git {command} timed out") from None


def _fetch_git(url: str, workdir: Path) -> Path:
    repo, sub, rev = _split_git(url)
    if urlsplit(repo).scheme == "http":
        raise SourceError(f"{url}: plain http sources are refused; use https")
    dest = workdir / hashlib.sha256(f"{repo}@{rev}".encode()).hexdigest()[:16]
    if not dest.exists():
        tmp = Path(tempfile.mkdtemp(dir=workdir))
        _run_git(["clone", "--quiet", "--no-checkout", repo, str(tmp)], url)
        _run_git(["-C", str(tmp), "checkout", "--quiet", rev or "HEAD"], url)
        shutil.move(str(tmp), dest)
    target = dest / sub if sub else dest
    if not target.exists():
        raise SourceError(f"{url}: no directory {sub!r} in the repository")
    return target


@dataclass(frozen=True)
class FetchedSource:
    """A source on local disk, and the URL that names exactly what was fetched."""

    path: Path
    pinned: str


# Bundles pulled in this process, by pinned reference: a digest names immutable content,
# so one copy serves every evaluator (and outlives any one evaluator's work directory).
_OCI_CACHE: dict[str, Path] = {}
_OCI_ROOT: list[Path] = []


def _oci_root() -> Path:
    if not _OCI_ROOT:
        _OCI_ROOT.append(temporary_directory("konflux-bundles-"))
    return _OCI_ROOT[0]


def _fetch_oci(url: str, workdir: Path, policy_key: str | None) -> FetchedSource:
    from konflux.engine.oci import RegistryError, SyncRegistry, parse_reference
    from konflux.engine.policy.bundle import pull_bundle

    text = url.removeprefix("oci::").removeprefix("oci://")
    text = text.removeprefix("https://")  # as ec accepts it (plain http:// stays refused)
    try:
        ref = parse_reference(text)
    except ValueError as exc:
        raise SourceError(f"{url}: not an OCI reference: {exc}") from None
    try:
        with SyncRegistry() as registry:
            pinned = registry.resolve(ref)
            key = str(pinned)
            if policy_key:
                _verify_bundle(registry, pinned, policy_key, url)
            if key not in _OCI_CACHE:
                dest = _oci_root() / pinned.digest.replace(":", "-")
                registry.run(pull_bundle(registry.client, pinned, dest))
                _OCI_CACHE[key] = dest
    except RegistryError as exc:
        raise SourceError(f"{url}: {exc}") from None
    # ec's pinned form: the reference as written (its tag kept), then the digest
    return FetchedSource(_OCI_CACHE[key], f"oci::{text.partition('@')[0]}@{pinned.digest}")


def _verify_bundle(registry: Any, pinned: Any, policy_key: str, url: str) -> None:
    """The bundle must carry a cosign signature made with `policy_key`."""
    from konflux.engine.sigstore import check_options, verify_image_signatures

    trust = check_options(public_key=policy_key, ignore_rekor=True)
    report = registry.run(verify_image_signatures(registry.client, pinned, trust))
    if not report.result:
        raise SourceError(
            f"{url}: the policy bundle is not signed with the policy key: {report.result.reason}"
        )


def _git_commit(path: Path) -> str | None:
    """The commit checked out in the repository holding `path`, if it is one."""
    try:
        done = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError):
        return None
    return done.stdout.strip() or None


def _pinned_git(url: str, path: Path) -> str:
    """`git::<host>/<path>?ref=<commit>`: how `ec` (go-gather) names a git source it used."""
    commit = _git_commit(path)
    if not commit:
        return url
    for scheme in ("git::", "git://", "https://"):
        url = url.removeprefix(scheme)
    if url.startswith("git@"):
        url = url.split("git@", 1)[1].replace(":", "/", 1)
    return f"git::{url.split('?ref=', 1)[0]}?ref={commit}"


def fetch_pinned(
    url: str, workdir: Path | None = None, *, policy_key: str | None = None
) -> FetchedSource:
    """Fetch a source and name it pinned (`oci::repo@sha256:...`, `git::...?ref=<commit>`)."""
    workdir = workdir or temporary_directory("konflux-sources-")
    workdir.mkdir(parents=True, exist_ok=True)
    if url.startswith(("oci::", "oci://")):
        return _fetch_oci(url, workdir, policy_key)
    path = fetch(url, workdir)
    if url.startswith(("git::", *_GIT_HOSTS)):
        return FetchedSource(path, _pinned_git(url, path))
    # A local path is named as go-gather names files: `file::<path>`.
    return FetchedSource(path, "file::" + url.removeprefix("file::").removeprefix("file://"))


def fetch(url: str, workdir: Path | None = None) -> Path:
    """Return a local directory or file holding the source named by `url`."""
    workdir = workdir or temporary_directory("konflux-sources-")
    workdir.mkdir(parents=True, exist_ok=True)
    if url.startswith(("oci::", "oci://")):
        return _fetch_oci(url, workdir, None).path
    if url.startswith("file::"):
        path = Path(url[len("file::") :])
    elif url.startswith("git::"):
        return _fetch_git(url[len("git::") :], workdir)
    elif url.startswith(_GIT_HOSTS):
        repo, sub, rev = _split_git(url)
        repo = "https://" + re.sub(r"(\.git)?$", ".git", repo, count=1)
        return _fetch_git(
            repo + (f"//{sub}" if sub else "") + (f"?ref={rev}" if rev else ""), workdir
        )
    elif url.startswith(("http://", "http::")):
        raise SourceError(f"{url}: plain http sources are refused; use https or git::")
    elif "::" in url.split("/", 1)[0] or "://" in url:
        raise SourceError(
            f"{url}: unsupported source scheme (use a path, file::, git:: or github.com/...)"
        )
    else:
        path = Path(url)
    if not path.exists():
        where = "" if path.is_absolute() else f" (relative to the current directory {Path.cwd()})"
        raise SourceError(f"{url}: no such file or directory{where}")
    return path


@dataclass
class LoadedSource:
    """Everything one policy source brings: its modules and data, and what each URL pinned to."""

    files: Any  # PolicyFiles
    pinned: dict[str, str]


def load_source(
    policy_urls: list[str],
    data_urls: list[str],
    workdir: Path | None = None,
    *,
    policy_key: str | None = None,
) -> LoadedSource:
    """Fetch and read a source's policy and data URLs (data merged at the root, as `ec`).

    Test modules are left out: they are for `policy test`, and `ec` does not
    load them for evaluation either. A private work directory is removed once
    everything is in memory.
    """
    from konflux.engine.policy.files import PolicyFiles, load_paths

    own = workdir is None
    workdir = workdir or temporary_directory("konflux-")
    files = PolicyFiles()
    pinned: dict[str, str] = {}
    try:
        for url, at_root in [(u, False) for u in policy_urls] + [(u, True) for u in data_urls]:
            fetched = fetch_pinned(url, workdir, policy_key=policy_key)
            pinned[url] = fetched.pinned
            loaded = load_paths([fetched.path], data_at_root=at_root)
            if not at_root:
                # ec refuses a policy source without Rego, or with a result rule that
                # cannot carry a message (`deny if ...`), naming it as `ec` does.
                from konflux.engine.policy.inspect import check_policy_modules

                check_policy_modules(loaded.modules, fetched.path, url)
            files.extend(loaded)
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)
    files.modules = [m for m in files.modules if not m.path.endswith("_test.rego")]
    return LoadedSource(files, pinned)
