"""A synchronous face of the registry client, for OPA builtin callbacks and plain code.

OPA calls our builtins synchronously on the evaluating thread, possibly from
several worker threads at once. `SyncRegistry` owns one background thread
running an event loop with one `RegistryClient`; callers submit coroutines
with `run_coroutine_threadsafe` and wait. So all workers share one connection
pool, one token cache and one content cache, and the concurrency bound holds
across them.

The helpers (`image_manifest`, `descriptor`, `blob`, `image_index`, `tags`,
`referrers`, `image_config`, `image_files`) are what the `ec.oci.*` builtins
need. Answers are memoized per run (`new_run()` forgets them), so one
evaluation sees one consistent view of moving tags. They implement, from the
OCI distribution spec: "Pulling manifests", "Pulling blobs", "Listing Tags",
"Listing Referrers"; layer extraction (`layers.py`) follows the image spec's
`layer.md`: layers applied in order, whiteouts honoured, each layer streamed
from a temporary file and decompressed within the `extract-*` limits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

from konflux.engine.documents import json_loads
from konflux.engine.loop_thread import LoopThread
from konflux.engine.oci import media_types as mt
from konflux.engine.oci.client import Descriptor, Manifest, RegistryClient
from konflux.engine.oci.errors import RegistryError
from konflux.engine.oci.layers import ExtractBudget, Match, paths_matcher, read_layer
from konflux.engine.oci.reference import ImageReference, parse_reference

T = TypeVar("T")

DEFAULT_PLATFORM = {"os": "linux", "architecture": "amd64"}


class SyncRegistry:
    """Blocking calls over one `RegistryClient` living on a private event-loop thread."""

    def __init__(
        self,
        client: RegistryClient | None = None,
        *,
        call_timeout: float | None = None,
        **client_options: Any,
    ) -> None:
        self._loop_thread = LoopThread("oci-client")
        self._loop, self._thread = self._loop_thread.loop, self._loop_thread.thread
        self.client = client if client is not None else RegistryClient(**client_options)
        self.call_timeout = call_timeout
        self._memo: dict[tuple[Any, ...], concurrent.futures.Future[Any]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> SyncRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Cancel what is still in flight (an abandoned run after a timeout): the threads
        # waiting on those calls get CancelledError instead of waiting forever.
        asyncio.run_coroutine_threadsafe(_cancel_others(), self._loop).result(30)
        asyncio.run_coroutine_threadsafe(self.client.close(), self._loop).result(30)
        self._loop_thread.stop(30)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a client coroutine on the loop thread and wait for its result."""
        if self._closed:
            coroutine.close()
            raise RuntimeError("SyncRegistry is closed")
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("SyncRegistry.run called from its own loop thread")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(self.call_timeout)

    def new_run(self) -> None:
        """Forget memoized answers (the client's digest-addressed cache stays valid)."""
        with self._lock:
            self._memo.clear()

    def _memoized(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        with self._lock:
            future = self._memo.get(key)
            owner = future is None
            if owner:
                future = concurrent.futures.Future()
                self._memo[key] = future
        assert future is not None
        if owner:
            try:
                future.set_result(compute())
            except BaseException as e:
                future.set_exception(e)
        return future.result()

    # -- helpers for ec.oci.* ------------------------------------------------------------------

    def resolve(self, ref: str | ImageReference) -> ImageReference:
        """`ref` pinned to a digest; a tag is resolved once per run."""
        parsed = _ref(ref)
        if parsed.digest:
            return parsed
        return self._memoized(
            ("resolve", str(parsed)), lambda: self.run(self.client.resolve(parsed))
        )

    def manifest(self, ref: str | ImageReference) -> Manifest:
        pinned = self.resolve(ref)
        return self._memoized(
            ("manifest", str(pinned)), lambda: self.run(self.client.get_manifest(pinned))
        )

    def image_manifest(
        self, ref: str | ImageReference, platform: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The image manifest of `ref`; an index resolves to `platform` (default linux/amd64)."""
        return self.image(ref, platform).json

    def image(self, ref: str | ImageReference, platform: dict[str, str] | None = None) -> Manifest:
        manifest = self.manifest(ref)
        if not manifest.is_index:
            return manifest
        wanted = platform or DEFAULT_PLATFORM
        for d in manifest.descriptors():
            p = d.platform or {}
            if all(p.get(k) == v for k, v in wanted.items()) and mt.is_image_manifest(d.media_type):
                return self.manifest(manifest.reference.by_digest(d.digest))
        raise RegistryError(
            str(manifest.reference),
            f"image index has no manifest for platform "
            f"{wanted.get('os')}/{wanted.get('architecture')}",
        )

    def image_index(self, ref: str | ImageReference) -> dict[str, Any]:
        manifest = self.manifest(ref)
        if not manifest.is_index:
            raise RegistryError(
                str(manifest.reference), f"not an image index but {manifest.media_type}"
            )
        return manifest.json

    def descriptor(self, ref: str | ImageReference) -> dict[str, Any]:
        parsed = _ref(ref)
        return self._memoized(
            ("descriptor", str(parsed)),
            lambda: self.run(self.client.head_manifest(parsed)).to_dict(),
        )

    def blob(self, ref: str | ImageReference) -> bytes:
        """The blob `repo@sha256:...` names, digest-verified."""
        parsed = _ref(ref)
        if not parsed.digest:
            raise RegistryError(str(parsed), "a blob reference needs @sha256:<digest>")
        return self._memoized(("blob", str(parsed)), lambda: self.run(self.client.get_blob(parsed)))

    def tags(self, ref: str | ImageReference) -> list[str]:
        parsed = _ref(ref)
        return self._memoized(
            ("tags", parsed.context), lambda: self.run(self.client.list_tags(parsed))
        )

    def referrers(
        self, ref: str | ImageReference, artifact_type: str | None = None
    ) -> list[dict[str, Any]]:
        pinned = self.resolve(ref)
        found: list[Descriptor] = self._memoized(
            ("referrers", str(pinned), artifact_type),
            lambda: self.run(self.client.referrers(pinned, artifact_type=artifact_type)),
        )
        return [d.to_dict() for d in found]

    def image_config(
        self, ref: str | ImageReference, platform: dict[str, str] | None = None
    ) -> dict[str, Any]:
        image = self.image(ref, platform)
        config = image.config()
        raw = self.blob(image.reference.by_digest(config.digest))
        try:
            value = json_loads(raw)
        except ValueError as e:
            raise RegistryError(str(image.reference), f"config blob is not JSON: {e}") from e
        if not isinstance(value, dict):
            raise RegistryError(str(image.reference), "config blob is not a JSON object")
        return value

    def image_files(
        self,
        ref: str | ImageReference,
        paths: Iterable[str] | Match,
        platform: dict[str, str] | None = None,
    ) -> dict[str, bytes]:
        """Files of the image's filesystem at `paths` (a path ending in `/` is a directory),
        or those a predicate accepts; read within one `ExtractBudget`."""
        image = self.image(ref, platform)
        match = paths if callable(paths) else paths_matcher(paths)
        budget = ExtractBudget(str(image.reference))
        found: dict[str, bytes] = {}
        for layer in image.descriptors():
            where = str(image.reference.by_digest(layer.digest))
            with _spool() as spool:
                self.run(self.client.blob_to_file(image.reference, layer.digest, spool))
                read_layer(spool, layer.media_type, match, budget, where).apply_to(found)
        return found

    def blob_files(self, ref: str | ImageReference, paths: Iterable[str]) -> dict[str, bytes]:
        """Files at `paths` in the layer blob `repo@sha256:...` (tar, gzip detected)."""
        parsed = _ref(ref)
        if not parsed.digest:
            raise RegistryError(str(parsed), "a blob reference needs @sha256:<digest>")
        budget = ExtractBudget(str(parsed))
        with _spool() as spool:
            self.run(self.client.blob_to_file(parsed, parsed.digest, spool))
            return read_layer(spool, "", paths_matcher(paths), budget, str(parsed)).files


def _spool() -> tempfile.SpooledTemporaryFile[bytes]:
    """Where a layer goes while it is read: memory while small, a temporary file beyond."""
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)


async def _cancel_others() -> None:
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def _ref(ref: str | ImageReference) -> ImageReference:
    return ref if isinstance(ref, ImageReference) else parse_reference(ref)
