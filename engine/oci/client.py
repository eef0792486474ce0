"""Async OCI distribution client on aiohttp.

Implements, from the OCI distribution spec (v1.1):
- "Pulling manifests" / "Pulling blobs": GET and HEAD of
  `/v2/<name>/manifests/<reference>` (with an `Accept` header listing OCI
  manifest/index and Docker v2 schema 2 manifest/list) and
  `/v2/<name>/blobs/<digest>`; every body read by digest is hashed and checked.
- "Checking if content exists in the registry": HEAD for descriptors.
- "Pushing blobs": monolithic (POST then PUT) and chunked (POST, PATCH with
  `Content-Range`, closing PUT) uploads; "Mounting a blob from another
  repository" (`?mount=&from=`); "Pushing Manifests" (PUT).
- "Listing Tags" with `Link` header pagination.
- "Listing Referrers" (`/v2/<name>/referrers/<digest>`) and, when the
  registry answers 404, the "Referrers Tag Schema" fallback
  (`<alg>-<hex>` tag holding an index).
- "Error Codes": error bodies `{"errors": [{code, message}]}` become the text
  of `RegistryError`.

Transport rules: TLS unless the registry is loopback or listed as insecure;
redirects are followed by hand so a redirect can never downgrade to plain
HTTP nor carry our Authorization header to another host; requests share a
semaphore (bounded concurrency), a timeout, and a `RetryPolicy` for 429,
5xx and connection failures. Content read by digest is cached per client.
Every body is streamed and read only up to a limit (`engine/limits.py`): 4 MiB
for manifests, indexes and API answers, as the OCI spec advises, `blob-bytes`
for blobs held in memory, `layer-bytes` for layers streamed to a file.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import ssl
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO, Any
from urllib.parse import urlencode, urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from konflux.engine import limits
from konflux.engine.digests import sha256_digest
from konflux.engine.documents import json_loads
from konflux.engine.oci import media_types as mt
from konflux.engine.oci.auth import (
    Challenge,
    Credentials,
    CredentialStore,
    DockerConfigCredentials,
    parse_challenge,
)
from konflux.engine.oci.errors import (
    AuthenticationError,
    DigestMismatchError,
    InsecureRegistryError,
    NotFoundError,
    RegistryError,
    ResponseTooLarge,
)
from konflux.engine.oci.in_flight import InFlight
from konflux.engine.oci.reference import ImageReference, host_of, is_loopback
from konflux.engine.oci.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_CHUNK = 5 * 1024 * 1024
_MAX_REDIRECTS = 5
_CACHE_ITEM_LIMIT = 16 * 1024 * 1024
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor (image spec `descriptor.md`)."""

    media_type: str
    digest: str
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    artifact_type: str | None = None
    platform: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform:
            out["platform"] = dict(self.platform)
        return out

    @classmethod
    def from_dict(cls, d: Any) -> Descriptor:
        """A descriptor from its JSON; a `ValueError` saying which field is wrong."""
        if not isinstance(d, Mapping):
            raise ValueError(f"a descriptor must be an object, not {type(d).__name__}")
        size = d.get("size", 0)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"descriptor size {size!r} is not a non-negative integer")
        for key in ("mediaType", "digest"):
            if not isinstance(d.get(key, ""), str):
                raise ValueError(f"descriptor {key} {d.get(key)!r} is not a string")
        annotations = d.get("annotations") or {}
        if not isinstance(annotations, Mapping) or not all(
            isinstance(v, str) for v in annotations.values()
        ):
            raise ValueError("descriptor annotations are not an object of strings")
        platform = d.get("platform")
        if platform is not None and not isinstance(platform, Mapping):
            raise ValueError("descriptor platform is not an object")
        artifact_type = d.get("artifactType")
        return cls(
            media_type=d.get("mediaType", ""),
            digest=d.get("digest", ""),
            size=size,
            annotations=dict(annotations),
            artifact_type=artifact_type if isinstance(artifact_type, str) else None,
            platform=platform,
        )


@dataclass(frozen=True)
class Manifest:
    """A manifest or index as served: the exact bytes, their digest and media type."""

    reference: ImageReference  # always carries the digest
    media_type: str
    raw: bytes

    @property
    def digest(self) -> str:
        return self.reference.digest or sha256_digest(self.raw)

    @cached_property
    def json(self) -> dict[str, Any]:
        try:
            value = json_loads(self.raw)
        except ValueError as e:
            raise RegistryError(str(self.reference), f"manifest is not JSON: {e}") from e
        if not isinstance(value, dict):
            raise RegistryError(str(self.reference), "manifest is not a JSON object")
        return value

    @property
    def is_index(self) -> bool:
        return mt.is_index(self.media_type)

    @property
    def descriptor(self) -> Descriptor:
        return Descriptor(
            self.media_type, self.digest, len(self.raw), artifact_type=self.json.get("artifactType")
        )

    def descriptors(self) -> list[Descriptor]:
        """`manifests` of an index, `layers` of an image manifest."""
        key = "manifests" if self.is_index else "layers"
        found = self.json.get(key) or []
        if not isinstance(found, list):
            raise RegistryError(str(self.reference), f"manifest `{key}` is not a list")
        return [self._descriptor(d, f"{key}[{i}]") for i, d in enumerate(found)]

    def config(self) -> Descriptor:
        if self.is_index or "config" not in self.json:
            raise RegistryError(str(self.reference), f"{self.media_type} has no config")
        return self._descriptor(self.json["config"], "config")

    def _descriptor(self, d: Any, where: str) -> Descriptor:
        try:
            return Descriptor.from_dict(d)
        except ValueError as e:
            raise RegistryError(str(self.reference), f"malformed manifest: {where}: {e}") from e


@dataclass
class _Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


class RegistryClient:
    """One client per run: it owns the HTTP session, the token cache and the content cache.

    Use as `async with RegistryClient(...) as client:`; every method may raise
    `RegistryError` (or a subclass) naming the reference and the reason.
    """

    def __init__(
        self,
        *,
        credentials: CredentialStore | None = None,
        insecure: Iterable[str] = (),
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        max_concurrency: int = 16,
        ssl_context: ssl.SSLContext | None = None,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.credentials = credentials if credentials is not None else DockerConfigCredentials()
        self.insecure = frozenset(insecure)
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.max_concurrency = max_concurrency
        self._ssl = ssl_context
        self._resolver = resolver
        self._session: aiohttp.ClientSession | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._challenges: dict[str, Challenge] = {}
        self._tokens: dict[tuple[str, str], str] = {}
        self._token_locks: dict[tuple[str, str], asyncio.Lock] = {}
        # (registry/repository, digest) -> (media type, bytes). Keyed by repository too, so
        # content seen in one repository never stands in for another's (access checks).
        self._cache: dict[tuple[str, str], tuple[str, bytes]] = {}
        self.requests = 0  # how many HTTP requests went out (for benchmarks and tests)
        self.in_flight = InFlight()  # what a progress display shows while a registry is slow

    async def __aenter__(self) -> RegistryClient:
        self._ensure_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.max_concurrency,
                ssl=self._ssl if self._ssl is not None else True,
                resolver=self._resolver,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                auto_decompress=False,  # digests are over the bytes as stored
            )
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        return self._session

    # -- transport ---------------------------------------------------------------------------

    def scheme(self, registry: str) -> str:
        """https, except loopback hosts and hosts the user declared insecure."""
        if is_loopback(registry) or registry in self.insecure or host_of(registry) in self.insecure:
            return "http"
        return "https"

    def _allowed_url(self, url: str, registry: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme == "https":
            return True
        netloc = parts.netloc
        return parts.scheme == "http" and (
            is_loopback(netloc)
            or netloc in self.insecure
            or host_of(netloc) in self.insecure
            or (netloc == registry and self.scheme(registry) == "http")
        )

    async def _request(
        self,
        method: str,
        ref: ImageReference,
        path: str,
        *,
        what: str,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        actions: str = "pull",
        extra_scopes: Iterable[str] = (),
        ok: Iterable[int] = (200,),
        url: str | None = None,
        limit: tuple[str, int] | None = None,
        sink: IO[bytes] | None = None,
    ) -> _Response:
        """One API call with auth, retries and error mapping; `what` names it in errors.

        The body is read up to `limit` (the limit's name and value; default the
        manifest limit); with `sink`, a successful body is written there instead of
        being kept in memory.
        """
        limit = limit or ("manifest_bytes", limits.current().manifest_bytes)
        session = self._ensure_session()
        assert self._semaphore is not None
        registry = ref.registry
        target = url or f"{self.scheme(registry)}://{registry}{path}"
        scopes = (f"repository:{ref.repository}:{actions}", *extra_scopes)
        scope_key = " ".join(scopes)
        ok = frozenset(ok)
        last_problem = ""
        last_status: int | None = None
        authorized_retry = False
        attempt = 0
        while True:
            retry_after: float | None = None
            req_headers = dict(headers or {})
            auth = await self._authorization(ref, scopes, scope_key)
            if auth:
                req_headers["Authorization"] = auth
            try:
                async with self._semaphore, self.in_flight.waiting_on(registry):
                    response = await self._send(
                        session,
                        method,
                        target,
                        registry,
                        req_headers,
                        data,
                        ref,
                        what=what,
                        limit=limit,
                        sink=sink,
                    )
            except RegistryError:
                raise
            except (aiohttp.ClientSSLError, ssl.SSLError) as e:
                hint = (
                    "trust its CA (SSL_CERT_FILE)"
                    if "certificate" in str(e).lower()
                    else f"if it serves plain HTTP, allow it with --insecure-registry {registry}"
                )
                raise InsecureRegistryError(
                    str(ref), f"TLS with {registry} failed ({_short(e)}); {hint}"
                ) from e
            except (TimeoutError, aiohttp.ClientError, ConnectionError) as e:
                last_problem, last_status = _describe_transport(e, registry, self.timeout), None
            else:
                if response.status in ok:
                    return response
                if response.status == 401 and not authorized_retry:
                    authorized_retry = True
                    if await self._answer_challenge(ref, response, scopes, scope_key):
                        continue
                if response.status in RETRYABLE_STATUSES:
                    last_problem, last_status = _error_text(response, what), response.status
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                else:
                    raise _status_error(ref, response, what)
            attempt += 1
            if attempt > self.retry.max_retry:
                if self.retry.max_retry:
                    last_problem += f" (after {self.retry.max_retry} retries)"
                raise RegistryError(str(ref), last_problem, status=last_status)
            wait = self.retry.wait(attempt, retry_after)
            log.debug("%s %s: %s; retry %d in %.2fs", method, target, last_problem, attempt, wait)
            await asyncio.sleep(wait)

    async def _send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        registry: str,
        headers: dict[str, str],
        data: bytes | None,
        ref: ImageReference,
        *,
        what: str,
        limit: tuple[str, int],
        sink: IO[bytes] | None,
    ) -> _Response:
        origin = urlsplit(url).netloc
        for _ in range(_MAX_REDIRECTS + 1):
            if not self._allowed_url(url, registry):
                raise InsecureRegistryError(
                    str(ref),
                    f"refusing plain HTTP to {urlsplit(url).netloc} (not loopback; "
                    "allow it with --insecure-registry HOST)",
                )
            self.requests += 1
            async with session.request(
                method, url, headers=headers, data=data, allow_redirects=False
            ) as resp:
                if sink is not None and resp.status == 200:
                    await _stream_to(resp, sink, ref, what, limit)
                    body = b""
                else:
                    body = await _read_capped(resp, ref, what, limit)
                if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                    url = urljoin(url, resp.headers["Location"])
                    if urlsplit(url).netloc != origin:
                        # Storage backends get presigned URLs; our token is not theirs.
                        headers = {k: v for k, v in headers.items() if k != "Authorization"}
                    if resp.status == 303:
                        method, data = "GET", None
                    continue
                return _Response(resp.status, resp.headers, body, str(resp.url))
        raise RegistryError(str(ref), f"more than {_MAX_REDIRECTS} redirects")

    async def _authorization(
        self, ref: ImageReference, scopes: tuple[str, ...], scope_key: str
    ) -> str | None:
        challenge = self._challenges.get(ref.registry)
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            creds = self.credentials.lookup(ref.registry, ref.repository)
            return creds.basic_header() if creds else None
        key = (ref.registry, scope_key)
        token = self._tokens.get(key)
        if token is None:
            lock = self._token_locks.setdefault(key, asyncio.Lock())
            async with lock:
                token = self._tokens.get(key)
                if token is None:
                    token = await self._fetch_token(ref, challenge, scopes)
                    self._tokens[key] = token
        return f"Bearer {token}"

    async def _answer_challenge(
        self, ref: ImageReference, response: _Response, scopes: tuple[str, ...], scope_key: str
    ) -> bool:
        """Learn the registry's challenge from a 401; True when a retry may now succeed."""
        header = response.headers.get("WWW-Authenticate", "")
        if not header:
            return False
        challenge = parse_challenge(header)
        if challenge.scheme not in ("bearer", "basic"):
            raise AuthenticationError(
                str(ref), f"unsupported authentication scheme {challenge.scheme!r}", status=401
            )
        if challenge.scheme == "basic" and not self.credentials.lookup(
            ref.registry, ref.repository
        ):
            raise AuthenticationError(
                str(ref),
                f"authentication required and no credentials for {ref.registry} "
                "were found (docker config.json / $REGISTRY_AUTH_FILE)",
                status=401,
            )
        self._challenges[ref.registry] = challenge
        self._tokens.pop((ref.registry, scope_key), None)
        return True

    async def _fetch_token(
        self, ref: ImageReference, challenge: Challenge, scopes: tuple[str, ...]
    ) -> str:
        realm = challenge.realm
        if not realm:
            raise AuthenticationError(str(ref), "bearer challenge without a realm", status=401)
        if not self._allowed_url(realm, ref.registry):
            raise InsecureRegistryError(str(ref), f"refusing token realm over plain HTTP: {realm}")
        creds: Credentials | None = self.credentials.lookup(ref.registry, ref.repository)
        wanted = list(scopes)
        if challenge.params.get("scope") and challenge.params["scope"] not in wanted:
            wanted.append(challenge.params["scope"])
        service = challenge.params.get("service", "")
        session = self._ensure_session()
        try:
            if creds and creds.identity_token:
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": creds.identity_token,
                    "service": service,
                    "scope": " ".join(wanted),
                    "client_id": "konflux",
                }
                request = session.post(realm, data=form)
            else:
                query = [("service", service)] if service else []
                query += [("scope", s) for s in wanted]
                headers = {"Authorization": creds.basic_header()} if creds else {}
                sep = "&" if "?" in realm else "?"
                request = session.get(realm + sep + urlencode(query), headers=headers)
            self.requests += 1
            async with request as resp:
                body = await _read_capped(
                    resp, ref, "token answer", ("manifest_bytes", limits.current().manifest_bytes)
                )
                status = resp.status
        except (TimeoutError, aiohttp.ClientError) as e:
            raise AuthenticationError(
                str(ref),
                f"token server {realm}: "
                f"{_describe_transport(e, urlsplit(realm).netloc, self.timeout)}",
            ) from e
        if status != 200:
            who = f"user {creds.username!r}" if creds and creds.username else "anonymous access"
            raise AuthenticationError(
                str(ref),
                f"token server {realm} refused {who} for {' '.join(wanted)}",
                status=status,
            )
        try:
            answer = json_loads(body)
            return str(answer.get("token") or answer["access_token"])
        except (ValueError, KeyError, AttributeError) as e:
            raise AuthenticationError(str(ref), f"token server {realm} sent no token") from e

    # -- cache -------------------------------------------------------------------------------

    def _remember(self, ref: ImageReference, digest: str, media_type: str, body: bytes) -> None:
        if len(body) <= _CACHE_ITEM_LIMIT:
            self._cache[(ref.context, digest)] = (media_type, body)

    # -- manifests ---------------------------------------------------------------------------

    async def get_manifest(
        self, ref: ImageReference, *, accept: str = mt.MANIFEST_ACCEPT
    ) -> Manifest:
        """Fetch a manifest or index; its digest is checked when `ref` names one."""
        if ref.digest and (ref.context, ref.digest) in self._cache:
            media_type, raw = self._cache[(ref.context, ref.digest)]
            return Manifest(ref, media_type, raw)
        response = await self._request(
            "GET",
            ref,
            f"/v2/{ref.repository}/manifests/{ref.identifier}",
            what="manifest",
            headers={"Accept": accept},
        )
        raw = response.body
        digest = sha256_digest(raw)
        expected = ref.digest or response.headers.get("Docker-Content-Digest")
        if expected and expected.startswith("sha256:") and expected != digest:
            raise DigestMismatchError(
                str(ref), f"manifest digest mismatch: expected {expected}, content is {digest}"
            )
        media_type = _media_type(response.headers.get("Content-Type"), raw)
        self._remember(ref, digest, media_type, raw)
        return Manifest(ref.with_digest(digest), media_type, raw)

    async def head_manifest(self, ref: ImageReference) -> Descriptor:
        """The descriptor (media type, digest, size) of `ref` without its body."""
        response = await self._request(
            "HEAD",
            ref,
            f"/v2/{ref.repository}/manifests/{ref.identifier}",
            what="manifest",
            headers={"Accept": mt.MANIFEST_ACCEPT},
        )
        digest = response.headers.get("Docker-Content-Digest")
        media_type = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        if not digest or not media_type:
            # Some registries omit these on HEAD; the body tells us for certain.
            return (await self.get_manifest(ref)).descriptor
        if ref.digest and digest != ref.digest:
            raise DigestMismatchError(
                str(ref), f"registry reports digest {digest} for {ref.digest}"
            )
        return Descriptor(media_type, digest, int(response.headers.get("Content-Length", 0)))

    async def resolve(self, ref: ImageReference) -> ImageReference:
        """`ref` with its digest (HEAD when it only has a tag)."""
        if ref.digest:
            return ref
        return ref.with_digest((await self.head_manifest(ref)).digest)

    async def put_manifest(
        self, ref: ImageReference, raw: bytes, media_type: str
    ) -> ImageReference:
        """Push `raw` under `ref`'s tag (or digest); returns `ref` with the pushed digest."""
        digest = sha256_digest(raw)
        if ref.digest and ref.digest != digest:
            raise DigestMismatchError(
                str(ref), f"manifest to push hashes to {digest}, not {ref.digest}"
            )
        target = ref.tag if ref.tag and not ref.digest else digest
        response = await self._request(
            "PUT",
            ref,
            f"/v2/{ref.repository}/manifests/{target}",
            what="manifest",
            headers={"Content-Type": media_type},
            data=raw,
            actions="pull,push",
            ok=(201, 200),
        )
        echoed = response.headers.get("Docker-Content-Digest")
        if echoed and echoed != digest:
            raise DigestMismatchError(
                str(ref), f"registry stored the manifest as {echoed}, we sent {digest}"
            )
        self._remember(ref, digest, media_type, raw)
        return ref.with_digest(digest)

    # -- blobs -------------------------------------------------------------------------------

    async def get_blob(
        self,
        ref: ImageReference,
        digest: str | None = None,
        *,
        max_bytes: int | None = None,
        size: int | None = None,
    ) -> bytes:
        """The blob `digest` (default `ref.digest`) of `ref`'s repository, verified.

        Read into memory only up to `max_bytes` (default: the `blob-bytes` limit), and
        with a descriptor's `size`, not past it either (as go-containerregistry checks).
        """
        digest = digest or ref.digest
        if not digest:
            raise RegistryError(str(ref), "a blob is addressed by digest; none was given")
        if (ref.context, digest) in self._cache:
            return self._cache[(ref.context, digest)][1]
        where = ref.by_digest(digest) if digest.startswith("sha256:") else ref
        most = max_bytes or limits.current().blob_bytes
        try:
            response = await self._request(
                "GET",
                where,
                f"/v2/{ref.repository}/blobs/{digest}",
                what="blob",
                limit=("blob_bytes", most if size is None else min(most, size)),
            )
        except ResponseTooLarge:
            if size is not None and size < most:
                raise DigestMismatchError(
                    str(where), f"blob {digest} is longer than its descriptor's size {size}"
                ) from None
            raise
        actual = _digest_like(digest, response.body)
        if actual != digest:
            raise DigestMismatchError(
                str(where), f"blob {digest} digest mismatch: content hashes to {actual}"
            )
        self._remember(ref, digest, "", response.body)
        return response.body

    async def blob_to_file(self, ref: ImageReference, digest: str, sink: IO[bytes]) -> None:
        """Stream the blob `digest` into `sink` (up to the `layer-bytes` limit), verified.

        For layers, whose size has no useful bound in memory: `sink` is a (spooled)
        temporary file, rewound when this returns.
        """
        where = ref.by_digest(digest) if digest.startswith("sha256:") else ref
        algorithm = digest.split(":", 1)[0]
        if algorithm not in ("sha256", "sha512"):
            raise RegistryError(str(where), f"unsupported digest {digest!r}")
        await self._request(
            "GET",
            where,
            f"/v2/{ref.repository}/blobs/{digest}",
            what="layer blob",
            limit=("layer_bytes", limits.current().layer_bytes),
            sink=sink,
        )
        sink.seek(0)
        hasher = hashlib.new(algorithm)
        while chunk := sink.read(1024 * 1024):
            hasher.update(chunk)
        sink.seek(0)
        actual = f"{hasher.name}:{hasher.hexdigest()}"
        if actual != digest:
            raise DigestMismatchError(
                str(where), f"blob {digest} digest mismatch: content hashes to {actual}"
            )

    async def blob_exists(self, ref: ImageReference, digest: str) -> Descriptor | None:
        try:
            response = await self._request(
                "HEAD", ref, f"/v2/{ref.repository}/blobs/{digest}", what="blob"
            )
        except NotFoundError:
            return None
        return Descriptor(
            "application/octet-stream", digest, int(response.headers.get("Content-Length", 0))
        )

    async def push_blob(
        self,
        ref: ImageReference,
        data: bytes,
        *,
        media_type: str = "application/octet-stream",
        chunk_size: int | None = None,
        mount_from: ImageReference | None = None,
    ) -> Descriptor:
        """Upload `data` to `ref`'s repository unless it is already there.

        `chunk_size` selects the chunked (PATCH) flow; otherwise one PUT carries
        the body. `mount_from` first asks the registry to mount the blob from
        another repository of the same registry.
        """
        digest = sha256_digest(data)
        descriptor = Descriptor(media_type, digest, len(data))
        # Our own bytes, addressed by their digest: safe to serve from the cache later.
        self._remember(ref, digest, media_type, data)
        if await self.blob_exists(ref, digest):
            return descriptor
        query = ""
        extra: tuple[str, ...] = ()
        if mount_from is not None and mount_from.registry == ref.registry:
            query = "?" + urlencode({"mount": digest, "from": mount_from.repository})
            extra = (f"repository:{mount_from.repository}:pull",)
        start = await self._request(
            "POST",
            ref,
            f"/v2/{ref.repository}/blobs/uploads/{query}",
            what="blob upload",
            actions="pull,push",
            extra_scopes=extra,
            ok=(201, 202),
            headers={"Content-Length": "0"},
        )
        if start.status == 201:  # mounted
            return descriptor
        location = self._location(ref, start)
        if chunk_size:
            offset = 0
            while offset < len(data):
                chunk = data[offset : offset + chunk_size]
                patched = await self._request(
                    "PATCH",
                    ref,
                    "",
                    url=location,
                    what="blob chunk",
                    actions="pull,push",
                    ok=(202,),
                    data=chunk,
                    headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Range": f"{offset}-{offset + len(chunk) - 1}",
                        "Content-Length": str(len(chunk)),
                    },
                )
                location = self._location(ref, patched)
                offset += len(chunk)
            body: bytes = b""
        else:
            body = data
        await self._request(
            "PUT",
            ref,
            "",
            url=_with_query(location, {"digest": digest}),
            what="blob upload",
            actions="pull,push",
            ok=(201,),
            data=body,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(body))},
        )
        return descriptor

    def _location(self, ref: ImageReference, response: _Response) -> str:
        location = response.headers.get("Location")
        if not location:
            raise RegistryError(
                str(ref), "upload response without a Location header", status=response.status
            )
        return urljoin(response.url, location)

    # -- tags and referrers ------------------------------------------------------------------

    async def list_tags(self, ref: ImageReference, *, page_size: int | None = None) -> list[str]:
        tags: list[str] = []
        path = f"/v2/{ref.repository}/tags/list"
        if page_size:
            path += f"?n={page_size}"
        url: str | None = None
        while True:
            response = await self._request("GET", ref, path, url=url, what="tags")
            try:
                tags.extend(json_loads(response.body).get("tags") or [])
            except (ValueError, AttributeError, TypeError) as e:
                raise RegistryError(str(ref), f"tag list is not JSON: {e}") from e
            nxt = _next_link(response.headers.get("Link"))
            if not nxt:
                return tags
            url = urljoin(response.url, nxt)

    async def referrers(
        self, ref: ImageReference, *, artifact_type: str | None = None
    ) -> list[Descriptor]:
        """Manifests whose `subject` is `ref` (which must carry a digest)."""
        if not ref.digest:
            ref = await self.resolve(ref)
        assert ref.digest is not None
        query = "?" + urlencode({"artifactType": artifact_type}) if artifact_type else ""
        try:
            response = await self._request(
                "GET",
                ref,
                f"/v2/{ref.repository}/referrers/{ref.digest}{query}",
                what="referrers",
                headers={"Accept": mt.OCI_INDEX},
            )
            index = json_loads(response.body)
            if not isinstance(index, dict):
                raise ValueError("not a JSON object")
        except NotFoundError:
            index = await self._referrers_tag_index(ref)
        except ValueError as e:
            raise RegistryError(str(ref), f"referrers answer is not JSON: {e}") from e
        try:
            found = [Descriptor.from_dict(d) for d in index.get("manifests") or []]
        except (ValueError, TypeError) as e:
            raise RegistryError(str(ref), f"malformed referrers answer: {e}") from e
        if artifact_type:
            found = [d for d in found if d.artifact_type == artifact_type]
        return found

    async def _referrers_tag_index(self, ref: ImageReference) -> dict[str, Any]:
        assert ref.digest is not None
        tag = ref.digest.replace(":", "-", 1)
        try:
            index = await self.get_manifest(ref.with_tag(tag), accept=mt.OCI_INDEX)
        except NotFoundError:
            return {"manifests": []}
        return index.json


async def _chunks(
    resp: aiohttp.ClientResponse, ref: ImageReference, what: str, limit: tuple[str, int]
) -> AsyncIterator[bytes]:
    """The body in chunks, abandoned as soon as it passes the limit (or announces it will)."""
    name, most = limit
    declared = resp.content_length
    if declared is not None and declared > most:
        raise ResponseTooLarge(str(ref), f"{what} ({declared:,} bytes announced)", name, most)
    total = 0
    async for chunk in resp.content.iter_chunked(_READ_CHUNK):
        total += len(chunk)
        if total > most:
            raise ResponseTooLarge(str(ref), what, name, most)
        yield chunk


async def _read_capped(
    resp: aiohttp.ClientResponse, ref: ImageReference, what: str, limit: tuple[str, int]
) -> bytes:
    """The body, in memory, up to the limit."""
    return b"".join([chunk async for chunk in _chunks(resp, ref, what, limit)])


async def _stream_to(
    resp: aiohttp.ClientResponse,
    sink: IO[bytes],
    ref: ImageReference,
    what: str,
    limit: tuple[str, int],
) -> None:
    """Write the body to `sink` (emptied first: a retry starts over), up to the limit."""
    sink.seek(0)
    sink.truncate()
    async for chunk in _chunks(resp, ref, what, limit):
        sink.write(chunk)


def _with_query(url: str, params: Mapping[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def _next_link(header: str | None) -> str | None:
    if not header:
        return None
    for part in header.split(","):
        if 'rel="next"' in part or "rel=next" in part:
            start, end = part.find("<"), part.find(">")
            if start != -1 and end > start:
                return part[start + 1 : end]
    return None


def _media_type(content_type: str | None, raw: bytes) -> str:
    media_type = (content_type or "").split(";")[0].strip()
    if media_type in mt.MANIFESTS:
        return media_type
    try:
        declared = json_loads(raw).get("mediaType")
    except (ValueError, AttributeError):
        declared = None
    return declared if isinstance(declared, str) and declared else media_type or mt.OCI_MANIFEST


def _digest_like(expected: str, body: bytes) -> str:
    algorithm = expected.split(":", 1)[0]
    if algorithm == "sha256":
        return sha256_digest(body)
    if algorithm == "sha512":
        return "sha512:" + hashlib.sha512(body).hexdigest()
    return f"unsupported algorithm {algorithm!r}"


_MESSAGES = {
    "MANIFEST_UNKNOWN": "manifest unknown",
    "BLOB_UNKNOWN": "blob unknown",
    "NAME_UNKNOWN": "repository name not known to registry",
    "UNAUTHORIZED": "authentication required",
    "DENIED": "access denied",
    "TOOMANYREQUESTS": "too many requests",
}


def _error_text(response: _Response, what: str) -> str:
    try:
        errors = json_loads(response.body).get("errors") or []
        first = errors[0]
        code = str(first.get("code", ""))
        message = _MESSAGES.get(code) or str(first.get("message") or code).strip()
        return f"{message} ({response.status})"
    except (ValueError, AttributeError, IndexError, TypeError):
        pass
    if response.status == 404:
        return f"{what} unknown ({response.status})"
    if response.status == 429:
        return "too many requests (429)"
    return f"{what} request failed ({response.status})"


def _status_error(ref: ImageReference, response: _Response, what: str) -> RegistryError:
    text = _error_text(response, what)
    if response.status == 404:
        return NotFoundError(str(ref), text, status=404)
    if response.status in (401, 403):
        return AuthenticationError(
            str(ref),
            f"{text}; check the credentials for {ref.registry} "
            "(docker config.json, $DOCKER_CONFIG, $REGISTRY_AUTH_FILE)",
            status=response.status,
        )
    return RegistryError(str(ref), text, status=response.status)


def _short(e: BaseException) -> str:
    return str(e).splitlines()[0][:200] if str(e) else type(e).__name__


def _describe_transport(e: BaseException, registry: str, timeout: float) -> str:
    if isinstance(e, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return f"timed out after {timeout:g}s talking to {registry}"
    if isinstance(e, aiohttp.ClientConnectorError):
        os_error = e.os_error
        if isinstance(os_error, ConnectionRefusedError) or "refused" in str(os_error).lower():
            return f"connection refused by {registry}"
        return f"cannot connect to {registry}: {_short(os_error)}"
    if isinstance(e, aiohttp.ServerDisconnectedError | ConnectionResetError):
        return f"connection to {registry} dropped before a response"
    if isinstance(e, aiohttp.ClientPayloadError):
        return f"connection to {registry} closed before the body was complete (truncated)"
    return f"{type(e).__name__} talking to {registry}: {_short(e)}"
