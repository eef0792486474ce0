"""`konflux test`: conftest's `test` (as `ec test` wraps it) on the one embedded evaluator.

conftest semantics, as `ec test` users rely on them:
- policies are the `.rego` files under `--policy` paths; data documents under
  `--data` are mounted by their directory (`opa` loader rules);
- every input file is parsed by its name (`config_parsers`); a top-level list
  (or a multi-document YAML file) is several configurations reported as one;
- for each namespace, every rule named `deny`/`violation`/`warn` (or with a
  `_suffix`) is a check; a rule result that is a string or an object with a
  `msg` is a failure or warning; a check without results is a success;
  `data.<ns>.exception[_][_] == "<suffix>"` turns a check into an exception;
- `data.conftest.file` holds the input file's `name` and `dir`.
Evaluation goes through one generated aggregate module (fixed query), as the
rest of the engine does.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konflux.engine.config_parsers import ParseError, parser_for, parser_named, supported
from konflux.engine.errors import InputError, KonfluxError, PolicyLoadError
from konflux.engine.evaluator.builtins import Builtin
from konflux.engine.policy.files import PolicyFiles, load_paths
from konflux.engine.policy.modules import parse_module
from konflux.engine.prepared import Entry, PreparedPolicy

FILE_INFO_PATH = "konflux/conftest_file.rego"
# `data.conftest.file` changes per input file; a rule reading it from Python keeps the
# data store (and so the prepared query) unchanged between files.
FILE_INFO_BUILTIN = "konflux.conftest_file"
FILE_INFO_MODULE = f"package conftest\n\nfile := {FILE_INFO_BUILTIN}(true)\n"
WARNING = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")
FAILURE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
# `deny if {...}` is a boolean rule: conftest refuses it (it would never report a message).
_BOOLEAN_RULE = re.compile(r"^((?:deny|violation|warn)(?:_[a-zA-Z0-9]+)*)\s+if\b", re.MULTILINE)


class ConftestError(KonfluxError):
    """`konflux test` could not run; the message has conftest's prefixes (`load: ...`)."""


@dataclass
class CheckResultEntry:
    msg: str
    metadata: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"msg": self.msg}
        if self.metadata:
            out["metadata"] = dict(sorted(self.metadata.items()))
        if self.outputs:
            out["outputs"] = self.outputs
        return out


@dataclass
class CheckResult:
    """One file (or the combined set) in one namespace, as conftest's `CheckResult`."""

    filename: str
    namespace: str
    successes: int = 0
    warnings: list[CheckResultEntry] = field(default_factory=list)
    failures: list[CheckResultEntry] = field(default_factory=list)
    exceptions: list[CheckResultEntry] = field(default_factory=list)
    prints: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "filename": "" if self.filename == "-" else self.filename,
            "namespace": self.namespace,
            "successes": self.successes,
        }
        for key in ("warnings", "failures", "exceptions"):
            entries = getattr(self, key)
            if entries:
                out[key] = [e.to_dict() for e in entries]
        return out


@dataclass
class ConftestOptions:
    policy: list[str] = field(default_factory=lambda: ["policy"])
    data: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=lambda: ["main"])
    all_namespaces: bool = False
    combine: bool = False
    parser: str = ""
    ignore: str = ""


# -- inputs -------------------------------------------------------------------------------------


def _walk(directory: str, ignore: re.Pattern[str] | None) -> list[str]:
    found = []
    for root, dirs, files in os.walk(directory, followlinks=True):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if ignore is not None and ignore.search(path):
                continue
            if supported(path):
                found.append(path)
    return found


def list_files(paths: list[str], ignore: str = "") -> list[str]:
    """The files to test: named files, and the parseable files under named directories."""
    try:
        pattern = re.compile(ignore) if ignore else None
    except re.error as exc:
        raise ConftestError(f"parse files: given regexp couldn't be parsed :{exc}") from None
    files: list[str] = []
    for path in paths:
        if not path:
            continue
        if path == "-":
            files.append(path)
            continue
        if not os.path.exists(path):
            raise ConftestError(
                f"parse files: get file info: stat {path}: no such file or directory"
            )
        files.extend(_walk(path, pattern) if os.path.isdir(path) else [path])
    if not files:
        raise ConftestError("parse files: no files found")
    return files


def parse_configurations(files: list[str], parser: str = "") -> dict[str, Any]:
    configurations: dict[str, Any] = {}
    for path in files:
        try:
            parse = parser_named(parser or parser_for(path))
        except ParseError as exc:
            raise ConftestError(f"parse configurations: new parser: {exc}, path: {path}") from None
        try:
            data = os.read(0, 1 << 30) if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise ConftestError(
                f"parse configurations: get configuration content: {exc.strerror}, path: {path}"
            ) from None
        try:
            configurations[path] = parse(data)
        except ParseError as exc:
            raise ConftestError(
                f"parse configurations: parser unmarshal: {exc}, path: {path}"
            ) from None
    return configurations


# -- policies -----------------------------------------------------------------------------------


def load_policies(policy: list[str], data: list[str]) -> PolicyFiles:
    files = PolicyFiles()
    missing = [p for p in policy if not os.path.exists(p)]
    if missing:
        raise ConftestError(
            "load: loading policies: load: 1 error occurred during loading: "
            f"stat {missing[0]}: no such file or directory"
        )
    try:
        for path in policy:
            loaded = load_paths([path])
            files.modules.extend(m for m in loaded.modules if not m.path.endswith("_test.rego"))
        if not files.modules:
            raise ConftestError(
                f"load: loading policies: no policies found in [{' '.join(policy)}]"
            )
        for path in data:
            if not os.path.exists(path):
                raise ConftestError(
                    f"load: load documents: 1 error occurred during loading: "
                    f"stat {path}: no such file or directory"
                )
            loaded = load_paths([path])
            files.data.extend(loaded.data)
    except (PolicyLoadError, InputError) as exc:
        raise ConftestError(f"load: loading policies: {exc}") from None
    for module in files.modules:
        match = _BOOLEAN_RULE.search(module.source)
        if match:
            line = module.source[: match.start()].count("\n") + 1
            raise ConftestError(
                "load: loading policies: rule is using 'if' keyword without 'contains' keyword: "
                f"rule in {module.path} at line {line}"
            )
    return files


def _checks(files: PolicyFiles) -> dict[str, list[str]]:
    """Namespace -> every check rule definition (a name repeats once per definition)."""
    out: dict[str, list[str]] = {}
    for module in files.modules:
        names = out.setdefault(module.package, [])
        names.extend(r.name for r in module.rules if FAILURE.match(r.name) or WARNING.match(r.name))
    return out


def _suffix(rule: str) -> str:
    if rule in {"deny", "violation", "warn"}:
        return ""
    for prefix in ("violation_", "deny_", "warn_"):
        rule = rule.removeprefix(prefix)
    return rule


def _entries(files: PolicyFiles, checks: dict[str, list[str]]) -> list[Entry]:
    """Each check rule's whole value, and each namespace's `exception` rule, keyed by namespace."""
    defined: dict[str, set[str]] = {}
    for module in files.modules:
        defined.setdefault(module.package, set()).update(module.rule_names())
    entries = []
    for namespace, rules in sorted(checks.items()):
        entries += [
            Entry(f"{namespace}.{rule}", namespace, whole=True) for rule in sorted(set(rules))
        ]
        if "exception" in defined.get(namespace, set()):
            entries.append(Entry(f"{namespace}.exception", namespace, whole=True))
    return entries


def _excepted(exceptions: Any, rules: list[str]) -> set[str]:
    """The rules whose suffix `data.<ns>.exception[_][_]` names (conftest's exception query)."""
    named = {
        item
        for group in (exceptions if isinstance(exceptions, list) else [])
        if isinstance(group, list)
        for item in group
        if isinstance(item, str)
    }
    return {rule for rule in rules if _suffix(rule) in named}


def _entry(value: Any, query: str) -> CheckResultEntry | None:
    if isinstance(value, str):
        return CheckResultEntry(value, {"query": query}) if value else None
    if isinstance(value, dict):
        msg = value.get("msg")
        if not isinstance(msg, str):
            raise ConftestError('query rule: new result: "msg" field must be present and a string')
        meta = {k: v for k, v in value.items() if k not in {"msg", "_loc"}}
        meta["query"] = query
        return CheckResultEntry(msg, meta) if msg else None
    return None


class ConftestRunner:
    """Loads policies once; checks configurations namespace by namespace."""

    def __init__(self, options: ConftestOptions):
        self.options = options
        self.files = load_policies(options.policy, options.data)
        self.checks = _checks(self.files)
        self.file_info: dict[str, str] = {}
        file_info = Builtin(FILE_INFO_BUILTIN, 1, lambda _: self.file_info, memoize=False)
        prepared = PolicyFiles(
            modules=[*self.files.modules, parse_module(FILE_INFO_PATH, FILE_INFO_MODULE)],
            data=self.files.data,
        )
        try:
            self.policy = PreparedPolicy(
                prepared,
                _entries(self.files, self.checks),
                extra_builtins=[file_info],
                name="conftest",
            )
        except PolicyLoadError as exc:
            raise ConftestError(f"load: loading policies: get compiler: {exc}") from None

    def namespaces(self) -> list[str]:
        known = sorted({m.package for m in self.files.modules})
        if self.options.all_namespaces:
            return known
        wanted = self.options.namespaces
        if any(set("*?[") & set(p) for p in wanted):
            return [n for n in known if any(fnmatch.fnmatchcase(n, p) for p in wanted)]
        return list(wanted)

    def run(self, configurations: dict[str, Any]) -> list[CheckResult]:
        results: list[CheckResult] = []
        for namespace in self.namespaces():
            if self.options.combine:
                combined = [
                    {"path": path, "contents": doc}
                    for path, config in configurations.items()
                    for doc in (config if isinstance(config, list) else [config])
                ]
                combined.sort(key=lambda c: c["path"])
                results.append(self.check("Combined", combined, namespace))
                continue
            for path in sorted(configurations):
                config = configurations[path]
                if isinstance(config, list):
                    merged = CheckResult(path, namespace)
                    for doc in config:
                        part = self.check(path, doc, namespace)
                        merged.successes += part.successes
                        merged.failures += part.failures
                        merged.warnings += part.warnings
                        merged.exceptions += part.exceptions
                        merged.prints += part.prints
                    results.append(merged)
                else:
                    results.append(self.check(path, config, namespace))
        return results

    def check(self, path: str, config: Any, namespace: str) -> CheckResult:
        absolute = os.path.abspath(path)
        self.file_info = {"name": os.path.basename(absolute), "dir": os.path.dirname(absolute)}
        try:
            answer = self.policy.evaluate(config, {namespace}).raise_errors()
        except KonfluxError as exc:
            raise ConftestError(f"query rule: evaluating policy: {exc}") from None
        rules = self.checks.get(namespace, [])
        missing = object()
        values = {
            rule: value
            for rule in rules
            if (value := answer.value(f"{namespace}.{rule}", missing)) is not missing
        }
        excepted = _excepted(answer.value(f"{namespace}.exception"), rules)
        result = CheckResult(path, namespace)
        result.prints = [f"{loc}: {msg}" for msg, loc in answer.prints]
        successes = 0
        for rule in dict.fromkeys(rules):
            query = f"data.{namespace}.{rule}"
            if excepted & {rule}:
                result.exceptions.append(
                    CheckResultEntry(
                        f'data.{namespace}.exception[_][_] == "{_suffix(rule)}"',
                    )
                )
                continue
            value = values.get(rule)
            items = value if isinstance(value, list) else []
            if not items:
                successes += 1 if rule in values else 0
                continue
            for item in items:
                entry = _entry(item, query)
                if entry is None:
                    successes += 1
                elif FAILURE.match(rule):
                    result.failures.append(entry)
                else:
                    result.warnings.append(entry)
        counted = len(result.failures) + len(result.warnings) + len(result.exceptions) + successes
        result.successes = successes + max(0, len(rules) - counted)
        return result

    def close(self) -> None:
        self.policy.close()


def run_conftest(files: list[str], options: ConftestOptions) -> list[CheckResult]:
    """Parse the files, load the policies, check every file in every namespace."""
    configurations = parse_configurations(list_files(files, options.ignore), options.parser)
    runner = ConftestRunner(options)
    try:
        return runner.run(configurations)
    finally:
        runner.close()
