"""Policy sources fetched with git: `git::file://<repo>//<subdir>?ref=<branch>`."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from support import codes, evaluate, policy_document, write_rego

from konflux.engine import SourceError
from konflux.engine.policy.sources import fetch, load_source

RULE = """
    package gitpolicy

    import rego.v1

    # METADATA
    # title: From git
    # custom:
    #   short_name: {name}
    deny contains {{"code": "gitpolicy.{name}", "msg": "from {name}"}} if input.fail
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            "-C",
            str(repo),
            *args,
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose `main` and `feature` branches hold different rules under policy/."""
    root = tmp_path_factory.mktemp("gitrepo")
    git(root, "init", "--quiet", "--initial-branch=main")
    write_rego(root / "policy", {"rule.rego": RULE.format(name="on_main")})
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "main")
    git(root, "checkout", "--quiet", "-b", "feature")
    write_rego(root / "policy", {"rule.rego": RULE.format(name="on_feature")})
    git(root, "commit", "--quiet", "-am", "feature")
    git(root, "checkout", "--quiet", "main")
    return root


def _policy(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy_document(url)), encoding="utf-8")
    return path


def test_git_source_evaluates_policy_from_branch(repo: Path, tmp_path: Path) -> None:
    url = f"git::file://{repo}//policy?ref=feature"
    outcome = evaluate(_policy(tmp_path, url), {"fail": True})
    assert [(r.code, r.message) for r in outcome.violations] == [
        ("gitpolicy.on_feature", "from on_feature")
    ]


def test_git_source_without_ref_uses_default_branch(repo: Path, tmp_path: Path) -> None:
    outcome = evaluate(_policy(tmp_path, f"git::file://{repo}//policy"), {})
    assert codes(outcome.successes) == ["gitpolicy.on_main"]


def test_git_source_missing_subdir_is_source_error(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no directory 'absent' in the repository"):
        fetch(f"git::file://{repo}//absent?ref=main", tmp_path)


def test_git_source_unknown_ref_is_source_error(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="git checkout failed"):
        fetch(f"git::file://{repo}//policy?ref=no-such-branch", tmp_path)


def test_fetched_sources_are_removed_after_loading(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    evaluate(_policy(tmp_path, f"git::file://{repo}//policy?ref=feature"), {})
    assert list(scratch.iterdir()) == []


def test_git_source_is_reported_pinned_to_its_commit(repo: Path, tmp_path: Path) -> None:
    from konflux.engine import PolicyEvaluator, Settings, load_policy

    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "feature"], capture_output=True, text=True
    ).stdout.strip()
    url = f"git::file://{repo}//policy?ref=feature"
    evaluator = PolicyEvaluator(load_policy(str(_policy(tmp_path, url))), Settings())
    try:
        pinned = evaluator.pinned_spec()["sources"][0]["policy"][0]
    finally:
        evaluator.close()
    assert pinned == f"git::file://{repo}//policy?ref={commit}"


# -- a source never reaches outside its clone (issue 10, item 7) -------------------------------

SECRET = "host-secret-line-7f3a"


@pytest.fixture
def host_secret(tmp_path: Path) -> Path:
    """A file on the host, outside any repository, that a source must never read."""
    path = tmp_path / "host" / "secret.json"
    path.parent.mkdir()
    path.write_text(f'{{"secret": "{SECRET}"}}\n{SECRET}\n', encoding="utf-8")
    return path


def test_symlink_out_of_the_clone_is_refused(tmp_path: Path, host_secret: Path) -> None:
    root = tmp_path / "linkrepo"
    git(root.parent, "init", "--quiet", "--initial-branch=main", str(root))
    write_rego(root / "policy", {"rule.rego": RULE.format(name="linked")})
    (root / "policy" / "data.json").symlink_to(host_secret)
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "a link to a host file")
    with pytest.raises(SourceError, match=r"symlink .* outside the repository"):
        load_source([f"git::file://{root}//policy"], [f"git::file://{root}//policy"])


def test_symlink_within_the_clone_is_followed(tmp_path: Path) -> None:
    root = tmp_path / "innerlink"
    git(root.parent, "init", "--quiet", "--initial-branch=main", str(root))
    write_rego(root / "shared", {"rule.rego": RULE.format(name="shared")})
    (root / "policy").symlink_to("shared")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "an inner link")
    loaded = load_source([f"git::file://{root}//policy"], [])
    assert [m.package for m in loaded.files.modules] == ["gitpolicy"]


def test_subdirectory_climbing_out_of_the_clone_is_refused(
    repo: Path, tmp_path: Path, host_secret: Path
) -> None:
    # From the clone, ../../host is where the secret lives in this layout.
    work = tmp_path / "work"
    with pytest.raises(SourceError, match=r"may not contain '\.\.'"):
        fetch(f"git::file://{repo}//../../host", work)


@pytest.mark.parametrize(
    "url",
    [
        "git::file://{repo}//policy?ref=--pathspec-from-file={secret}",
        "git::--upload-pack=touch {secret}.pwned//policy",
        "git::-c//policy",
    ],
)
def test_option_like_refs_and_urls_are_refused(
    repo: Path, tmp_path: Path, host_secret: Path, url: str
) -> None:
    url = url.format(repo=repo, secret=host_secret)
    with pytest.raises(SourceError, match="may not start with '-'") as raised:
        fetch(url, tmp_path / "work")
    assert SECRET not in str(raised.value)
    assert not Path(f"{host_secret}.pwned").exists()
