"""Policy and data source URLs: local paths, `file::`, `git::` (and github/gitlab shorthands).

The forms follow go-getter as `ec` uses it: `git::<url>//<subdir>?ref=<rev>`,
`github.com/org/repo//subdir?ref=rev`. Plain `http:` is refused (sources must
be fetched over an authenticated channel).

A source is text someone else controls, so fetching it never reaches outside
its own copy: git refs and URLs starting with `-` are refused (git would read
them as options), a subdirectory may not climb out with `..`, a clone whose
symlinks point outside it is refused, and an `oci::` bundle is pulled once per
process under a lock into a temporary directory, checked, then renamed into
place, so concurrent evaluators only ever read complete trees.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
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


# Transports that run commands (`ext::`) or read file descriptors (`fd::`) stay off,
# whatever the user's git configuration says.
_GIT_SAFETY = ["-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never"]


def _run_git(args: list[str], url: str) -> None:
    command = args[2] if args[0] == "-C" else args[0]  # the subcommand, for messages
    try:
        subprocess.run(
            ["git", *_GIT_SAFETY, *args], check=True, capture_output=True, text=True, timeout=300
        )
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
    if repo.startswith("-") or (rev or "").startswith("-"):
        raise SourceError(f"{url}: a repository URL or ref may not start with '-'")
    if sub and any(part in ("..", ".") for part in sub.split("/")):
        raise SourceError(f"{url}: the subdirectory {sub!r} may not contain '..' or '.'")
    dest = workdir / hashlib.sha256(f"{repo}@{rev}".encode()).hexdigest()[:16]
    if not dest.exists():
        tmp = Path(tempfile.mkdtemp(dir=workdir))
        try:
            _run_git(["clone", "--quiet", "--no-checkout", "--", repo, str(tmp)], url)
            # `checkout` has no --end-of-options in the git versions we meet; `--` after the
            # rev keeps it a revision, and a rev starting with `-` was refused above.
            _run_git(["-C", str(tmp), "checkout", "--quiet", rev or "HEAD", "--"], url)
            _refuse_escaping_links(tmp, url)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.move(str(tmp), dest)
    target = dest / sub if sub else dest
    if not target.exists():
        raise SourceError(f"{url}: no directory {sub!r} in the repository")
    if target.resolve() != dest.resolve() and dest.resolve() not in target.resolve().parents:
        raise SourceError(f"{url}: the subdirectory {sub!r} leads out of the repository")
    return target


def _refuse_escaping_links(clone: Path, url: str) -> None:
    """A committed symlink may point within the clone, never outside it (a host file)."""
    root = clone.resolve()
    for directory, dirnames, filenames in os.walk(clone):
        dirnames[:] = [d for d in dirnames if not (directory == str(clone) and d == ".git")]
        for name in dirnames + filenames:
            path = Path(directory) / name
            if not path.is_symlink():
                continue
            resolved = path.resolve()
            if resolved != root and root not in resolved.parents:
                raise SourceError(
                    f"{url}: {path.relative_to(clone)} is a symlink to {os.readlink(path)!r}, "
                    "outside the repository; refused"
                )


@dataclass(frozen=True)
class FetchedSource:
    """A source on local disk, and the URL that names exactly what was fetched."""

    path: Path
    pinned: str


# Bundles pulled in this process, by manifest digest: a digest names immutable content,
# so one copy serves every evaluator (and outlives any one evaluator's work directory).
# Each digest is pulled under its own lock, so evaluators starting together wait for one
# pull instead of writing over each other's files.
_OCI_CACHE: dict[str, Path] = {}
_OCI_ROOT: list[Path] = []
_OCI_LOCKS: dict[str, threading.Lock] = {}
_OCI_GUARD = threading.Lock()


def _oci_root() -> Path:
    with _OCI_GUARD:
        if not _OCI_ROOT:
            _OCI_ROOT.append(temporary_directory("konflux-bundles-"))
        return _OCI_ROOT[0]


def _pulled(registry: Any, pinned: Any) -> Path:
    """The directory holding the bundle `pinned` names, pulled once per process.

    The files go to a temporary directory first; once every file is written and
    reads back with its layer's digest, the directory is renamed into place. A
    reader therefore sees the whole bundle or waits for it, never a part.
    """
    from konflux.engine.policy.bundle import pull_bundle

    # Keyed by digest: the same bundle pushed to two repositories is the same content
    # (its presence in this repository was checked when `pinned` was resolved).
    key = pinned.digest
    with _OCI_GUARD:
        lock = _OCI_LOCKS.setdefault(key, threading.Lock())
    with lock:
        if key in _OCI_CACHE:
            return _OCI_CACHE[key]
        root = _oci_root()
        dest = root / key.replace(":", "-")
        partial = Path(tempfile.mkdtemp(dir=root, prefix="partial-"))
        try:
            pulled = registry.run(pull_bundle(registry.client, pinned, partial))
            _check_tree(partial, pulled.files, str(pinned))
            os.rename(partial, dest)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        _OCI_CACHE[key] = dest
        return dest


def _check_tree(directory: Path, files: dict[str, str], where: str) -> None:
    """Exactly the bundle's files are there, each with its layer's digest."""
    from konflux.engine.digests import sha256_digest

    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}
    if present != set(files):
        raise SourceError(f"oci::{where}: the pulled files differ from the bundle's layers")
    for title, digest in files.items():
        written = sha256_digest((directory / title).read_bytes())
        if digest.startswith("sha256:") and written != digest:
            raise SourceError(f"oci::{where}: {title} does not hash to its layer digest")


def _fetch_oci(url: str, workdir: Path, policy_key: str | None) -> FetchedSource:
    from konflux.engine.oci import RegistryError, SyncRegistry, parse_reference

    text = url.removeprefix("oci::").removeprefix("oci://")
    text = text.removeprefix("https://")  # as ec accepts it (plain http:// stays refused)
    try:
        ref = parse_reference(text)
    except ValueError as exc:
        raise SourceError(f"{url}: not an OCI reference: {exc}") from None
    try:
        with SyncRegistry() as registry:
            pinned = registry.resolve(ref)
            if policy_key:
                _verify_bundle(registry, pinned, policy_key, url)
            path = _pulled(registry, pinned)
    except RegistryError as exc:
        raise SourceError(f"{url}: {exc}") from None
    # ec's pinned form: the reference as written (its tag kept), then the digest
    return FetchedSource(path, f"oci::{text.partition('@')[0]}@{pinned.digest}")


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
