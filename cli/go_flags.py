"""Command lines written for `ec` (Go's pflag/cobra), read by our click commands.

pflag accepts forms click does not:
- a boolean flag with a value: `--strict=false`, `--ignore-rekor=true`, `-s=false`
  (`--flag value` never takes the value: that is a positional argument, as in pflag);
- `ec`'s short names where ours differ (`validate image -s` is `--strict`, `-r`
  `--rekor-url`; `-o FILE` the deprecated `--output-file`);
- empty values that mean "not given": `--extra-rule-data=`, `--rekor-url=`, and empty
  positional arguments (`ec`'s acceptance tests pass one after a trailing space);
- persistent (global) flags anywhere on the line: `--kubeconfig`, `--logfile`,
  `--quiet`, `--verbose`, `--debug`, `--trace[=...]`, and `--timeout`/`--retry-*`
  for commands that do not have their own.
`normalise` rewrites a command's arguments into the forms click reads; a boolean
value that is not one of Go's spellings is an error worded as pflag words it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import click

from konflux.cli.go_values import parse_bool

# Per command (its path below `konflux`): ec's short names that mean a long one here.
SHORT_ALIASES: dict[tuple[str, ...], dict[str, str]] = {
    ("validate", "image"): {"-s": "--strict", "-r": "--rekor-url"},
    ("validate", "input"): {"-s": "--strict"},
}
# Options whose empty value (`--x=` or `--x ""`) means the option was not given, as in `ec`.
EMPTY_IS_UNSET = {
    "--extra-rule-data",
    "--rekor-url",
    "--public-key",
    "--certificate-identity",
    "--certificate-identity-regexp",
    "--certificate-oidc-issuer",
    "--certificate-oidc-issuer-regexp",
    "--vsa-upload",
}
GLOBAL_VALUE_FLAGS = ("--kubeconfig", "--logfile", "--timeout")
GLOBAL_BOOL_FLAGS = ("--quiet", "--verbose", "--debug")
GLOBAL_RETRY = ("--retry-max-wait", "--retry-max-retry", "--retry-duration", "--retry-factor",
                "--retry-jitter")  # fmt: skip


class FlagError(click.UsageError):
    """A flag value pflag would refuse; exit 1 with pflag's words, as `ec`."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


@dataclass
class GlobalFlags:
    """What the persistent flags said (applied by `konflux.cli.console` and friends)."""

    kubeconfig: str | None = None
    logfile: str | None = None
    quiet: bool = False
    verbose: bool = False
    debug: bool = False
    trace: bool = False
    ignored: list[str] = field(default_factory=list)  # accepted, meaningless for the command


GLOBALS = GlobalFlags()  # replaced per invocation by the root command


def _bool_options(command: click.Command) -> dict[str, tuple[click.Option, bool]]:
    """Flag spelling -> (option, the value that spelling sets) for boolean options."""
    out: dict[str, tuple[click.Option, bool]] = {}
    for param in command.params:
        if isinstance(param, click.Option) and param.is_flag and param.is_bool_flag:
            for name in param.opts:
                out[name] = (param, True)
            for name in param.secondary_opts:
                out[name] = (param, False)
    return out


def _value_options(command: click.Command) -> set[str]:
    """Spellings of the options that take a value (the next argument is theirs)."""
    return {
        n
        for p in command.params
        if isinstance(p, click.Option) and not p.is_flag and not p.count
        for n in p.opts + p.secondary_opts
    }


def _names(command: click.Command) -> set[str]:
    return {
        n for p in command.params if isinstance(p, click.Option) for n in p.opts + p.secondary_opts
    }


def _spelling(option: click.Option, value: bool) -> str | None:
    """The spelling that sets `option` to `value` (None: leave the plain flag out)."""
    if value:
        return next((n for n in option.opts if n.startswith("--")), option.opts[0])
    if option.secondary_opts:
        return next((n for n in option.secondary_opts if n.startswith("--")), None)
    return None  # a plain flag set to false: not giving it is false


def normalise(
    path: tuple[str, ...], command: click.Command, args: list[str], *, leading_only: bool = False
) -> list[str]:
    before = (GLOBALS.kubeconfig, GLOBALS.logfile, GLOBALS.quiet, GLOBALS.verbose,
              GLOBALS.debug, GLOBALS.trace)  # fmt: skip
    out = _normalise(path, command, args, leading_only)
    if before != (GLOBALS.kubeconfig, GLOBALS.logfile, GLOBALS.quiet, GLOBALS.verbose,
                  GLOBALS.debug, GLOBALS.trace):  # fmt: skip
        apply()
    return out


def _normalise(
    path: tuple[str, ...], command: click.Command, args: list[str], leading_only: bool
) -> list[str]:
    """`args` of `command` rewritten from pflag's forms into click's. `leading_only` (a
    group): only the options before the subcommand's name, the rest passed on as they are."""
    aliases = SHORT_ALIASES.get(path, {})
    bools = _bool_options(command)
    own = _names(command)
    takes_value = _value_options(command)
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--" or (leading_only and not arg.startswith("-")):
            out += args[i - 1 :]
            break
        if arg == "" and not (out and out[-1] in takes_value):
            continue  # an empty positional argument: cobra's leaf commands ignore it
        name, eq, value = arg.partition("=") if arg.startswith("-") else (arg, "", "")
        if path == ("validate", "image") and name == "-o":
            # ec's `validate image -o FILE` is the deprecated --output-file (a JSON report to
            # FILE); a report format (`-o json`, `-o text=out.txt`) is our --output.
            given = value if eq else (args[i] if i < len(args) else "")
            if not _is_format(given):
                out += ["--output-file", given]
                i += 0 if eq else 1
                continue
        if name in aliases:
            name = aliases[name]
            arg = name + (eq + value if eq else "")
        # persistent flags the command does not define itself
        if name not in own and _global(name, eq, value, args, i, out):
            if not eq and (name in GLOBAL_VALUE_FLAGS or name in GLOBAL_RETRY) and i < len(args):
                i += 1
            continue
        if name in bools:
            option, sets = bools[name]
            if eq:
                try:
                    given = parse_bool(value)
                except ValueError as exc:
                    raise FlagError(
                        f'invalid argument "{value}" for "{name}" flag: {exc}'
                    ) from None
                spelling = _spelling(option, sets == given)
            else:
                spelling = _spelling(option, sets)
            if spelling:
                out.append(spelling)
            continue
        if name in EMPTY_IS_UNSET:
            if eq and value == "":
                continue
            if not eq and i < len(args) and args[i] == "":
                i += 1
                continue
        out.append(arg)
    return out


def _global(name: str, eq: str, value: str, args: list[str], i: int, out: list[str]) -> bool:
    """Record a persistent flag; True when `name` is one (its value consumed by the caller)."""
    if name in GLOBAL_BOOL_FLAGS:
        setattr(GLOBALS, name[2:], parse_bool(value) if eq else True)
        return True
    if name == "--trace":
        GLOBALS.trace = True  # `--trace` or `--trace=log,opa`: trace logging
        return True
    if name in GLOBAL_VALUE_FLAGS or name in GLOBAL_RETRY:
        given = value if eq else (args[i] if i < len(args) else "")
        if name == "--kubeconfig":
            GLOBALS.kubeconfig = given or None
        elif name == "--logfile":
            GLOBALS.logfile = given or None
        else:
            _check_global_value(name, given)
            GLOBALS.ignored.append(name)
        return True
    return False


def _check_global_value(name: str, given: str) -> None:
    """pflag parses a persistent flag's value even where the command makes no use of it:
    a bad one is an error (exit 1, pflag's words), never silently dropped."""
    import json

    from konflux.cli.go_values import parse_duration

    try:
        if name in ("--timeout", "--retry-max-wait", "--retry-duration"):
            parse_duration(given)
        elif name == "--retry-max-retry":
            if not given.lstrip("+-").isdigit():
                raise ValueError(f"strconv.ParseInt: parsing {json.dumps(given)}: invalid syntax")
        else:  # --retry-factor, --retry-jitter
            try:
                float(given)
            except ValueError:
                raise ValueError(
                    f"strconv.ParseFloat: parsing {json.dumps(given)}: invalid syntax"
                ) from None
    except ValueError as exc:
        raise FlagError(
            f"invalid argument {json.dumps(given)} for {json.dumps(name)} flag: {exc}"
        ) from None


def apply() -> None:
    """Put the persistent flags in force: log level and file, the kubeconfig."""
    from konflux.cli import cluster_refs
    from konflux.cli.console import configure_logging

    configure_logging(
        GLOBALS.debug,
        quiet=GLOBALS.quiet,
        verbose=GLOBALS.verbose,
        trace=GLOBALS.trace,
        logfile=GLOBALS.logfile,
    )
    if GLOBALS.kubeconfig:
        cluster_refs.configure(GLOBALS.kubeconfig)


def reset() -> None:
    """Forget a previous invocation's kubeconfig (one process may run several, as tests do)."""
    from konflux.cli import cluster_refs

    cluster_refs._CONFIGURED.clear()


def _is_format(spec: str) -> bool:
    from konflux.engine.choices import IMAGE_FORMATS

    return spec.partition("?")[0].partition("=")[0] in IMAGE_FORMATS
