"""`validate input`: evaluate input documents against a policy and build the report."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.engine.documents import parse_text, read_document
from konflux.engine.errors import InputError, KonfluxError
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
    """Evaluate every input; each worker owns its evaluators (one engine per worker)."""
    progress.start("evaluating", len(inputs))
    workers = max(1, min(workers, len(inputs)))
    chunks = [inputs[i::workers] for i in range(workers)]

    def run(chunk: list[InputDocument]) -> list[TargetReport]:
        evaluator: PolicyEvaluator | None = None
        try:
            out = []
            for doc in chunk:
                try:
                    evaluator = evaluator or PolicyEvaluator(policy, settings)
                    outcome = evaluator.evaluate(doc.value)
                except KonfluxError as exc:
                    # ec's wording, so scripts matching its errors keep working
                    raise reworded(
                        exc, f"error validating file {doc.name}: evaluating policy: {exc}"
                    ) from None
                out.append(TargetReport(doc.name, outcome))
                progress.advance(failed=int(bool(out[-1].outcome.violations)))
            return out
        finally:
            if evaluator is not None:
                evaluator.close()

    if workers == 1:
        targets = run(inputs)
    else:
        with ThreadPoolExecutor(workers) as pool:
            targets = [t for part in pool.map(run, chunks) for t in part]
    return Report(
        targets=targets,
        policy=policy.spec,
        effective_time=settings.effective_time,
        show_successes=show_successes,
        show_warnings=show_warnings,
        info=info,
    )
