"""The click classes every `konflux` command is made of.

- `Failed`: an error already explained in one line (`Error: ...`), exit 1.
- `Command`/`Group`: an engine error (`KonfluxError`) anywhere in a command
  becomes `Failed` with its message, never a traceback; help text is wrapped
  at spaces only, so no word, hyphenated name or `[default: ...]` is split.
- `ReportCommand`: for the commands whose report may be a Tekton
  `TEST_OUTPUT` (`--output appstudio`), a usage error still writes the
  appstudio ERROR document, so a pipeline's result is never empty.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import click

from konflux.engine.errors import KonfluxError


class Failed(click.ClickException):
    """An error already explained to the user: exit 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        from rich.markup import escape

        from konflux.cli.console import stderr

        stderr().print(
            f"[bold red]Error:[/] {escape(self.message)}", highlight=False, soft_wrap=True
        )


# -- help text --------------------------------------------------------------------------------

# A bracketed group (`[default: now]`, `[1<=x<=64]`) is one unit, as is every other word.
_UNIT = re.compile(r"\[[^\]]*\]|\S+")


def wrap(text: str, width: int) -> list[str]:
    """Greedy fill at spaces only; a unit longer than the width gets a line of its own."""
    lines: list[str] = []
    line = ""
    for unit in _UNIT.findall(text):
        if line and len(line) + 1 + len(unit) > width:
            lines.append(line)
            line = unit
        else:
            line = f"{line} {unit}" if line else unit
    if line:
        lines.append(line)
    return lines


def _paragraphs(text: str, width: int) -> list[str]:
    out: list[str] = []
    for i, block in enumerate(re.split(r"\n\s*\n", text.strip("\n"))):
        if i:
            out.append("")
        if block.lstrip().startswith("\b"):  # click's marker: keep the lines as written
            out += [line for line in block.splitlines() if line.strip() != "\b"]
        else:
            out += wrap(" ".join(block.split()), width)
    return out


class HelpFormatter(click.HelpFormatter):
    """click's layout, wrapping only at spaces (click's own wrap breaks at hyphens)."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        for line in _paragraphs(text, max(self.width - self.current_indent, 20)):
            self.write(f"{indent}{line}\n" if line else "\n")

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first_col = min(max((len(first) for first, _ in rows), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        for first, second in rows:
            self.write(f"{indent}{first}")
            if not second:
                self.write("\n")
                continue
            if len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - len(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _paragraphs(second, max(self.width - first_col - 2, 20)) or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{' ' * (first_col + self.current_indent)}{line}\n")


class Context(click.Context):
    formatter_class = HelpFormatter


# -- commands ---------------------------------------------------------------------------------


class Command(click.Command):
    """A command whose engine errors are one-line messages, reading `ec`'s flag forms."""

    context_class = Context

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from konflux.cli.go_flags import normalise

        return super().parse_args(ctx, normalise(_path(ctx), self, args))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KonfluxError as exc:
            raise Failed(str(exc)) from None


class Group(click.Group):
    """A group whose subcommands (and subgroups) are `Command`s and `Group`s."""

    context_class = Context
    command_class = Command
    group_class = type  # subgroups are of this class too

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from konflux.cli.go_flags import normalise

        # `ec`'s persistent flags may come before the subcommand's name, too.
        return super().parse_args(ctx, normalise(_path(ctx), self, args, leading_only=True))


def _path(ctx: click.Context) -> tuple[str, ...]:
    """The command's words below `konflux` (`("validate", "image")`)."""
    return tuple(ctx.command_path.split()[1:])


class ReportCommand(Command):
    """A command writing reports with `--output`; a usage error still fills appstudio targets."""

    #: Names what failed in the appstudio ERROR document ("validating input", ...).
    activity = "running"

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        self._args = list(args)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            self._report_usage_error(exc)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            self._report_usage_error(exc)
            raise

    def _report_usage_error(self, exc: click.UsageError) -> None:
        from konflux.cli.outputs import write_error_documents

        write_error_documents(_output_args(getattr(self, "_args", [])), self.activity, exc)


def _output_args(args: list[str]) -> list[str]:
    """The values of every `-o`/`--output` in raw arguments (they may not have parsed)."""
    values: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "--":
            break
        if arg in ("-o", "--output"):
            value = next(it, None)
            if value is not None:
                values.append(value)
        elif arg.startswith("--output="):
            values.append(arg.removeprefix("--output="))
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            values.append(arg[2:].removeprefix("="))
    return values
