"""The embedded OPA backend: a thin layer over `opa_bindings` (OPA's Go `rego` package via ctypes).

We subclass `OpaEngine` for two things the package's own dispatcher does not do:
- a Python builtin answering *undefined*: the Go bridge treats a callback
  response without a `result` key as undefined, so `_dispatch` omits it when a
  builtin returns `UNDEFINED`;
- Ctrl-C during an evaluation: an exception raised inside a ctypes callback
  cannot propagate (ctypes prints "Exception ignored on calling ctypes
  callback" and goes on), so a `KeyboardInterrupt` (or `SystemExit`) raised in
  a builtin is kept, that call and every later one answers with an error at
  once (Go has no way to cancel an evaluation), and the exception is raised
  again as soon as the call into Go returns.
"""

from __future__ import annotations

import ctypes
import json
import re
from typing import Any

from konflux.engine.errors import BackendMissingError

INSTALL_HINT = "pip install --ignore-requires-python opa-golib-python-bindings==0.4.4"

try:
    from opa_bindings import OpaEngine, OpaError
except ImportError as exc:  # pragma: no cover - exercised only on a broken install
    raise BackendMissingError(
        "the embedded OPA backend (opa-golib-python-bindings) is not installed: "
        f"run `{INSTALL_HINT}`"
    ) from exc


class _Undefined:
    """Sentinel a Python builtin returns to make its call undefined in Rego."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()


class BridgeEngine(OpaEngine):
    """`OpaEngine` whose Python builtins may return `UNDEFINED`, and which Ctrl-C can stop."""

    _interrupted: BaseException | None = None

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return super()._call(fn, *args)
        finally:
            pending, self._interrupted = self._interrupted, None
            if pending is not None:
                raise pending

    def _dispatch(self, handle: int, name: bytes, args_json: bytes) -> int | None:
        if self._interrupted is not None:  # no more Python work until the call returns
            return self._respond({"error": "interrupted"})
        try:
            fn, arity = self._functions[name.decode()]
            args = json.loads(args_json)
            if arity == -1:
                args = args[0]
            value = fn(*args)
            response: dict[str, Any] = {} if value is UNDEFINED else {"result": value}
        except Exception as exc:  # an exception must never cross into Go
            response = {"error": f"{type(exc).__name__}: {exc}"}
        except BaseException as exc:  # Ctrl-C: end the evaluation, re-raise after it
            self._interrupted = exc
            response = {"error": "interrupted"}
        return self._respond(response)

    def _respond(self, response: dict[str, Any]) -> int | None:
        try:
            raw = json.dumps(response, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            raw = json.dumps({"error": f"unserializable builtin result: {exc}"}).encode()
        # Ownership passes to Go, which frees with libc free(): allocate with libc malloc.
        buf = self._libc.malloc(len(raw) + 1)
        if not buf:
            return None
        ctypes.memmove(buf, raw, len(raw))
        ctypes.memset(buf + len(raw), 0, 1)
        return buf


_ERROR_COUNT = re.compile(r"^\d+ errors? occurred:\s*")


def opa_error_lines(message: str) -> list[str]:
    """OPA's errors one per line (`file:line: kind: text`), without the count and the
    indented source excerpt that follows each."""
    text = _ERROR_COUNT.sub("", message.strip())
    return [line.strip() for line in text.splitlines() if line.strip() and not line[:1].isspace()]


__all__ = ["INSTALL_HINT", "UNDEFINED", "BridgeEngine", "OpaError", "opa_error_lines"]
