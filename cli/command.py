"""The click classes every `konflux` command is made of.

- `Failed`: an error already explained in one line (`Error: ...`), exit 1.
- `EC_COMMANDS`: the commands `ec` has. A flag *value* they refuse (an unknown
  output format, a bad duration or number, a bad effective time) exits 1 with
  pflag's words (`invalid argument "5x" for "--timeout" flag: ...`), as `ec`
  does; a malformed command line (an unknown flag, a missing flag or argument,
  flags that cannot go together) stays click's usage error, exit 2, as for
  every konflux command (docs/ec-differences.md says why).
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
        import os
        import sys

        if not sys.stderr.isatty() and not os.environ.get("FORCE_COLOR"):
            # The same text rich prints there (tabs expanded), without loading rich (~30 ms).
            click.echo(f"Error: {self.message}".expandtabs(8), err=True)
            return
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


# The commands `ec` has, by their words below `konflux` (`policy inspect` is `inspect policy`).
EC_COMMANDS = frozenset(
    {
        ("validate", "input"),
        ("validate", "image"),
        ("validate", "policy"),
        ("validate", "vsa"),
        ("inspect", "policy"),
        ("inspect", "policy-data"),
        ("policy", "inspect"),
        ("fetch", "policy"),
        ("init", "policies"),
        ("track", "bundle"),
        ("track", "tekton-task"),
        ("test",),
        ("version",),
    }
)


class Command(click.Command):
    """A command whose engine errors are one-line messages, reading `ec`'s flag forms."""

    context_class = Context

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        raw = list(args)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.BadParameter as exc:
            path = (*(_path(parent) if parent else ()), info_name or "")
            if _refuses_values_as_ec(path, exc):
                raise _as_ec_error(exc, raw) from None
            raise

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from konflux.cli.go_flags import normalise

        return super().parse_args(ctx, normalise(_path(ctx), self, args))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KonfluxError as exc:
            raise Failed(str(exc)) from None
        except click.BadParameter as exc:
            if _refuses_values_as_ec(_path(ctx), exc):
                raise _as_ec_error(exc, []) from None
            raise


def _refuses_values_as_ec(path: tuple[str, ...], exc: click.BadParameter) -> bool:
    # A missing option is click's BadParameter too, but it is a malformed command line.
    return path in EC_COMMANDS and not isinstance(exc, click.MissingParameter)


def _as_ec_error(exc: click.BadParameter, args: list[str]) -> click.UsageError:
    """A refused flag value in `ec`'s form: pflag's sentence when the value is known, exit 1."""
    from konflux.cli.go_flags import FlagError

    param = exc.param
    if isinstance(param, click.Option):
        value = _raw_value(param, args)
        if value is not None:
            long = next((n for n in param.opts if n.startswith("--")), param.opts[0])
            short = next((n for n in param.opts if not n.startswith("--")), None)
            # pflag names a flag with a shorthand as "-w, --workers".
            name = f"{short}, {long}" if short and long != short else long
            reason = _go_reason(param.type, value) or exc.message
            return FlagError(f"invalid argument {_quote(value)} for {_quote(name)} flag: {reason}")
    hint = exc.param_hint if isinstance(exc.param_hint, str) else None
    if hint is None and param is not None:
        hint = param.get_error_hint(exc.ctx) if exc.ctx else param.name
    where = (hint or "").strip("'\"")
    return FlagError(f"invalid value for {where}: {exc.message}" if where else exc.message)


def _raw_value(param: click.Option, args: list[str]) -> str | None:
    """The value given for `param` in raw arguments: the first one its type refuses
    (a repeatable option may be given several), else the last one."""
    names = set(param.opts + param.secondary_opts)
    values: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            break
        name, eq, value = arg.partition("=")
        if name in names:
            if eq:
                values.append(value)
            elif i < len(args):
                values.append(args[i])
                i += 1
    for value in values:
        try:
            param.type.convert(value, param, None)
        except (click.BadParameter, ValueError, TypeError):
            return value
    return values[-1] if values else None


def _go_reason(kind: click.ParamType, value: str) -> str | None:
    """strconv's words for a number Go could not parse (None: not such a case)."""
    if isinstance(kind, click.types.IntParamType):
        try:
            int(value)
        except ValueError:
            return f"strconv.ParseInt: parsing {_quote(value)}: invalid syntax"
    if isinstance(kind, click.types.FloatParamType):
        try:
            float(value)
        except ValueError:
            return f"strconv.ParseFloat: parsing {_quote(value)}: invalid syntax"
    return None


def _quote(text: str) -> str:
    """Go's %q for the plain text of a flag value (JSON's escapes are the same for it)."""
    import json

    return json.dumps(text, ensure_ascii=False)


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
