"""`validate input`: evaluate input documents against a policy and build the report."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.engine.documents import parse_text, read_document
from konflux.engine.errors import InputError, KonfluxError, PolicySchemaError, SourceError
from konflux.engine.evaluation import PolicyEvaluator, Settings
from konflux.engine.policy.spec import Policy
from konflux.engine.progress import NO_PROGRESS, Progress
from konflux.engine.report import Report, TargetReport


@dataclass(frozen=True)
class InputDocument:
    name: str
    value: Any


def read_inputs(args: list[str]) -> list[InputDocument]:
    """Files (a directory expands to its files) or inline JSON/YAML, deduplicated in order."""
    docs: list[InputDocument] = []
    seen: set[str] = set()
    for arg in args:
        if not arg.strip() or arg in seen:
            continue
        seen.add(arg)
        path = Path(arg)
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except OSError:  # inline JSON longer than a file name may be
            is_dir = exists = False
        if is_dir:
            files = sorted(p for p in path.iterdir() if p.is_file())
            if not files:
                raise InputError(f"{arg}: the directory contains no files")
            docs += [InputDocument(str(p), read_document(p)) for p in files]
        elif exists:
            docs.append(InputDocument(arg, read_document(path)))
        elif arg.lstrip().startswith(("{", "[")) or "\n" in arg:
            docs.append(InputDocument(arg, parse_text(arg, "inline input")))
        else:
            raise InputError(f"{arg}: no such file (and not inline JSON/YAML)")
    if not docs:
        raise InputError("at least one input file must be given")
    return docs


def reworded(exc: KonfluxError, message: str) -> KonfluxError:
    """The same kind of error with a new message (a plain KonfluxError if it cannot be)."""
    try:
        return type(exc)(message)
    except TypeError:
        return KonfluxError(message)


def validate_inputs(
    policy: Policy,
    inputs: list[InputDocument],
    settings: Settings,
    *,
    workers: int = 1,
    info: bool = False,
    show_successes: bool = False,
    show_warnings: bool = True,
    progress: Progress = NO_PROGRESS,
) -> Report:
    """Evaluate every input on `workers` threads sharing one prepared policy."""
    progress.start("evaluating", len(inputs))
    workers = max(1, min(workers, len(inputs)))
    try:
        evaluator = PolicyEvaluator(policy, settings, workers=workers)
    except (SourceError, PolicySchemaError):
        raise  # fetching and reading the policy: before any file, in ec too
    except KonfluxError as exc:
        # ec loads a source's Rego while it evaluates the first file, and says so
        raise reworded(
            exc, f"error validating file {inputs[0].name}: evaluating policy: {exc}"
        ) from None

    def run(doc: InputDocument) -> TargetReport:
        try:
            outcome = evaluator.evaluate(doc.value)
        except KonfluxError as exc:
            # ec's wording, so scripts matching its errors keep working
            raise reworded(
                exc, f"error validating file {doc.name}: evaluating policy: {exc}"
            ) from None
        target = TargetReport(doc.name, outcome)
        progress.advance(failed=int(bool(target.outcome.violations)))
        return target

    try:
        if workers == 1:
            targets = [run(doc) for doc in inputs]
        else:
            with ThreadPoolExecutor(workers) as pool:
                targets = list(pool.map(run, inputs))
    finally:
        evaluator.close()
    return Report(
        targets=targets,
        policy=policy.spec,
        effective_time=settings.effective_time,
        show_successes=show_successes,
        show_warnings=show_warnings,
        info=info,
    )
