"""The documented commands run as shown: every runnable block of README.md and docs/ is executed.

A page marks what runs with an HTML comment (invisible on GitHub) on the line
before a fenced block:

- `<!-- run -->` before a `console` block: each `$ command` line (continued
  with a trailing backslash) runs in bash, in order, and its output (stdout and
  stderr together) must match the lines below it up to the next `$`;
- `<!-- run: file NAME -->` before any block: its text is written to NAME
  first, so a page can show the files its commands read.

Each page runs in its own scratch directory, where `examples/`, `rego/` and
`deploy/` link to the repository's; `export NAME=VALUE` lines set the
environment of the later commands; `echo $?` prints the last exit code. A page
that mentions `127.0.0.1:5000` gets its own `docker-registry`, and that
address is replaced by the registry's in the commands.

Before comparing, both sides are normalised: digests, ports, times, durations,
base64 blobs (signatures, keys) and the scratch directory. In the page, a line
`...` stands for any number of lines and `...` inside a line for any text.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from konflux.testing import LocalRegistry, free_port

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
LINKED = ("examples", "rego", "deploy")
DOC_REGISTRY = "127.0.0.1:5000"

_MARK = re.compile(r"^<!--\s*run(?::\s*(?P<args>.*?))?\s*-->\s*$")
_FENCE = re.compile(r"^(?P<fence>```+|~~~+)")


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    text: str
    file: str | None = None  # write the text here instead of running it


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)
    line: int = 0


def blocks(page: Path) -> list[Block]:
    """The marked blocks of a page, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        mark = _MARK.match(lines[i].strip())
        if not mark or i + 1 >= len(lines) or not _FENCE.match(lines[i + 1]):
            i += 1
            continue
        fence = _FENCE.match(lines[i + 1])["fence"]  # type: ignore[index]
        body: list[str] = []
        j = i + 2
        while j < len(lines) and not lines[j].startswith(fence):
            body.append(lines[j])
            j += 1
        args = (mark["args"] or "").split()
        name = args[1] if args[:1] == ["file"] and len(args) > 1 else None
        found.append(Block(i + 2, "\n".join(body) + "\n", name))
        i = j + 1
    return found


def steps(block: Block) -> list[Step]:
    out: list[Step] = []
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            start = i
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command += "\n" + lines[i]  # bash joins the continued lines
            out.append(Step(command, line=block.line + 1 + start))
        elif out:
            out[-1].expected.append(line)
        i += 1
    return out


# -- normalising -----------------------------------------------------------------------------

_NORMAL = [
    (re.compile(r"sha256([:-])[0-9a-f]{64}"), r"sha256\1<digest>"),
    (re.compile(r"(127\.0\.0\.1|localhost):\d{2,5}"), r"\1:<port>"),
    (
        re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}| \(UTC\))?"),
        "<time>",
    ),
    (re.compile(r'"timestamp": ?"\d+"'), '"timestamp":"<time>"'),
    (re.compile(r"\d+(\.\d+)?ms\b"), "<ms>"),
    (re.compile(r'"duration": \d+'), '"duration": <ns>'),
    (re.compile(r"[A-Za-z0-9+/]{40,}={0,2}"), "<base64>"),
    (re.compile(r"[ \t]+$", re.MULTILINE), ""),
]


def normalise(text: str, scratch: Path) -> str:
    text = text.replace(str(scratch), "<dir>")
    for pattern, replacement in _NORMAL:
        text = pattern.sub(replacement, text)
    return text.strip("\n")


def matches(expected: str, actual: str) -> bool:
    """`...` lines match any lines; `...` in a line matches any text."""
    if not expected:
        return not actual
    parts = []
    for line in expected.splitlines():
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(re.escape(line).replace(r"\.\.\.", r"[^\n]*?") + r"\n")
    return re.fullmatch("".join(parts), actual + "\n") is not None


# -- running ---------------------------------------------------------------------------------


class Session:
    """One page's run: its scratch directory, environment, last exit code and registry."""

    def __init__(self, scratch: Path, registry: str | None):
        self.scratch = scratch
        self.registry = registry
        self.rc = 0
        bin_dir = str(Path(sys.executable).parent)
        self.env = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "HOME": str(scratch),
            "TMPDIR": str(scratch / ".tmp"),
            "NO_COLOR": "1",
            "COLUMNS": "80",
            "LANG": "C.UTF-8",
        }
        (scratch / ".tmp").mkdir()
        for name in LINKED:
            (scratch / name).symlink_to(ROOT / name)

    def write(self, block: Block) -> None:
        assert block.file is not None
        target = self.scratch / block.file
        target.parent.mkdir(parents=True, exist_ok=True)
        text = block.text.replace(DOC_REGISTRY, self.registry) if self.registry else block.text
        target.write_text(text)

    def run(self, command: str) -> str:
        if self.registry:
            command = command.replace(DOC_REGISTRY, self.registry)
        if command.strip() == "echo $?":
            return f"{self.rc}\n"
        export = re.fullmatch(r"export (\w+)=(.*)", command.strip())
        if export:
            self.env[export[1]] = export[2].strip("'\"")
            return ""
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.scratch,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        self.rc = done.returncode
        return done.stdout


def runnable_pages() -> list[Path]:
    return [p for p in PAGES if blocks(p)]


def run_page(page: Path, tmp_path: Path) -> list[str]:
    """Run a page's blocks; what differs from the page, one entry per command."""
    text = page.read_text(encoding="utf-8")
    registry = None
    if DOC_REGISTRY in text:
        registry = LocalRegistry(tmp_path / "registry", free_port()).start()
    scratch = tmp_path / "page"
    scratch.mkdir(parents=True)
    session = Session(scratch, registry.host if registry else None)
    failures = []
    try:
        for block in blocks(page):
            if block.file:
                session.write(block)
                continue
            for step in steps(block):
                actual = normalise(session.run(step.command), scratch)
                expected = normalise("\n".join(step.expected), scratch)
                if not matches(expected, actual):
                    failures.append(
                        f"{page.name}:{step.line}: $ {step.command}\n"
                        f"--- the page shows\n{expected}\n--- the command printed\n{actual}\n"
                    )
    finally:
        if registry:
            registry.stop()
    return failures


@pytest.mark.parametrize("page", runnable_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_documented_commands_run_as_shown(page: Path, tmp_path: Path):
    failures = run_page(page, tmp_path)
    assert not failures, "\n".join(failures)


def test_the_runner_sees_a_drifted_page(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- run: file hello.txt -->\n```\nhello\n```\n\n"
        "<!-- run -->\n```console\n$ cat hello.txt\nhello\n$ cat hello.txt \\\n"
        "    | tr a-z A-Z\nHELLO\n$ false\n$ echo $?\n1\n```\n"
    )
    found = blocks(page)
    assert [b.file for b in found] == ["hello.txt", None]
    assert [(s.command, s.expected) for s in steps(found[1])] == [
        ("cat hello.txt", ["hello"]),
        ("cat hello.txt \\\n    | tr a-z A-Z", ["HELLO"]),
        ("false", []),
        ("echo $?", ["1"]),
    ]
    assert run_page(page, tmp_path) == []
    page.write_text(page.read_text().replace("HELLO", "HELLO!"))
    (drift,) = run_page(page, tmp_path / "again")
    assert "$ cat hello.txt" in drift and "HELLO!" in drift
    assert matches("a\n...\nd", "a\nb\nc\nd")
    assert matches("x ... z", "x y z")
    assert not matches("a\nb", "a\nc")
    scratch = tmp_path / "s"
    assert normalise(f"{scratch}/k sha256:{'a' * 64} at 127.0.0.1:41234", scratch) == (
        "<dir>/k sha256:<digest> at 127.0.0.1:<port>"
    )


def test_every_runnable_page_is_found():
    assert {p.name for p in runnable_pages()} >= {"README.md", "validate-input.md"}
    assert os.path.isdir(ROOT / "docs" / "cli")


def refresh(page: Path) -> None:
    """Rewrite the outputs of a page's runnable blocks with what the commands print now.

    A block whose page text uses `...` is left alone (its elisions are the author's).
    Review the diff: digests, times and signatures change on every run.
    """
    import tempfile

    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    replacements: list[tuple[int, int, str]] = []  # (first body line, end line, new body)
    with tempfile.TemporaryDirectory() as tmp:
        text = "".join(lines)
        registry = None
        if DOC_REGISTRY in text:
            registry = LocalRegistry(Path(tmp) / "registry", free_port()).start()
        scratch = Path(tmp) / "page"
        scratch.mkdir()
        session = Session(scratch, registry.host if registry else None)
        try:
            for block in blocks(page):
                if block.file:
                    session.write(block)
                    continue
                body = []
                keep = "..." in block.text
                for step in steps(block):
                    out = session.run(step.command)
                    if registry:
                        out = out.replace(registry.host, DOC_REGISTRY)
                    body.append(f"$ {step.command}\n{out}")
                if not keep:
                    first = block.line  # 0-based index of the first body line
                    end = first + len(block.text.splitlines())
                    new = "".join(b if b.endswith("\n") else b + "\n" for b in body)
                    replacements.append((first, end, new))
        finally:
            if registry:
                registry.stop()
    for first, end, new in reversed(replacements):
        lines[first:end] = [new]
    page.write_text("".join(lines), encoding="utf-8")


if __name__ == "__main__":  # python3 tests/test_docs.py docs/cli/validate-input.md
    refresh(Path(sys.argv[1]).resolve())
