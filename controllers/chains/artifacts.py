"""Tekton Chains' type hinting: which results of a run name the artifacts it built.

The rules are Chains' (pkg/artifacts/signable.go, structured.go,
pkg/chains/formats/slsa/extract): a pair of string results `<X>IMAGE_URL` and
`<X>IMAGE_DIGEST` (any prefix `<X>`, matched by the common prefix) names an image;
`IMAGES` lists digest references separated by commas or newlines; an object result
`<X>ARTIFACT_OUTPUTS` `{uri, digest, isBuildArtifact}` names an artifact (signed as an
image only when `isBuildArtifact` is "true"); `<X>ARTIFACT_URI`/`<X>ARTIFACT_DIGEST`
and `<X>ARTIFACT_INPUTS` are subjects and materials. `CHAINS-GIT_URL` and
`CHAINS-GIT_COMMIT` (params or results) name the source.

Everything here is pure. Malformed hints are skipped as Chains skips them; a run
naming more than `MAX_ARTIFACTS` is refused (the caller turns that into a failed
signing), so a hostile run cannot make the signer push without bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from konflux.engine.oci import ImageReference, InvalidReferenceError, parse_reference

IMAGE_URL, IMAGE_DIGEST, IMAGES = "IMAGE_URL", "IMAGE_DIGEST", "IMAGES"
ARTIFACT_URI, ARTIFACT_DIGEST = "ARTIFACT_URI", "ARTIFACT_DIGEST"
ARTIFACT_OUTPUTS, ARTIFACT_INPUTS = "ARTIFACT_OUTPUTS", "ARTIFACT_INPUTS"
GIT_URL, GIT_COMMIT = "CHAINS-GIT_URL", "CHAINS-GIT_COMMIT"
MAX_ARTIFACTS = 100

_HEX = {"sha256": 64, "sha384": 96, "sha512": 128, "sha1": 40}
_HEX_RE = re.compile(r"^[a-f0-9]+$")


class TooManyArtifacts(ValueError):
    """A run names more artifacts than the signer will sign for one run."""


@dataclass(frozen=True)
class Artifact:
    """A subject or material: `uri` and one `algorithm:hex` digest."""

    uri: str
    digest: str

    @property
    def digest_set(self) -> dict[str, str]:
        algorithm, _, hex_ = self.digest.partition(":")
        return {algorithm: hex_}

    def descriptor(self) -> dict[str, Any]:
        return {"name": self.uri, "digest": self.digest_set}


def parse_digest(text: str) -> str | None:
    """`algorithm:hex` normalized (Chains' ParseDigest), or None when malformed."""
    parts = text.split(":")
    if len(parts) != 2:
        return None
    algorithm, hex_ = parts[0].strip().lower(), parts[1].strip()
    if algorithm not in _HEX or len(hex_) != _HEX[algorithm] or not _HEX_RE.match(hex_):
        return None
    return f"{algorithm}:{hex_}"


def string_value(result: Mapping[str, Any]) -> str:
    value = result.get("value")
    return value.strip() if isinstance(value, str) else ""


def object_value(result: Mapping[str, Any]) -> dict[str, str]:
    value = result.get("value")
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def _named(results: Iterable[Any]) -> list[Mapping[str, Any]]:
    return [r for r in results if isinstance(r, Mapping) and isinstance(r.get("name"), str)]


def _pairs(results: list[Mapping[str, Any]], url: str, digest: str) -> list[tuple[str, str]]:
    """(uri, digest) of each `<X>url` + `<X>digest` pair, in the order of the url results."""
    partial: dict[str, dict[str, str]] = {}
    for r in results:
        name, value = r["name"], string_value(r)
        for suffix, field in ((url, "uri"), (digest, "digest")):
            if name.endswith(suffix) and value:
                partial.setdefault(name[: -len(suffix)], {})[field] = value
    return [(p["uri"], p["digest"]) for p in partial.values() if p.get("uri") and p.get("digest")]


def _image(text: str) -> ImageReference | None:
    try:
        ref = parse_reference(text)
    except InvalidReferenceError:
        return None
    return ref if ref.digest else None


def _structured(results: list[Mapping[str, Any]], marker: str) -> list[dict[str, str]]:
    out = []
    for r in results:
        if r["name"].endswith(marker):
            value = object_value(r)
            if value.get("uri") and value.get("digest") and parse_digest(value["digest"]):
                out.append(value)
    return out


def _bounded(items: list[Any], what: str) -> list[Any]:
    if len(items) > MAX_ARTIFACTS:
        raise TooManyArtifacts(f"{len(items)} {what} (at most {MAX_ARTIFACTS} per run)")
    return items


def oci_images(results: Iterable[Any]) -> list[ImageReference]:
    """The images to sign, by digest, without duplicates (Chains' ExtractOCIImagesFromResults)."""
    named = _named(results)
    candidates = [f"{uri}@{digest}" for uri, digest in _pairs(named, IMAGE_URL, IMAGE_DIGEST)]
    for r in named:
        if r["name"] == IMAGES:
            candidates += [x.strip() for x in re.split(r"[,\n]", string_value(r)) if x.strip()]
    candidates += [
        f"{v['uri']}@{v['digest']}"
        for v in _structured(named, ARTIFACT_OUTPUTS)
        if v.get("isBuildArtifact") == "true"
    ]
    seen: dict[str, ImageReference] = {}
    for text in candidates:
        ref = _image(text)
        if ref is not None:
            seen.setdefault(f"{ref.context}@{ref.digest}", ref.by_digest(str(ref.digest)))
    return _bounded(list(seen.values()), "images")


def subjects(results: Iterable[Any]) -> list[Artifact]:
    """The statement's subjects (Chains' subjectsFromTektonObject): images by repository,
    `ARTIFACT_URI`/`ARTIFACT_DIGEST` pairs and `ARTIFACT_OUTPUTS` objects."""
    named = _named(results)
    out = [Artifact(ref.context, str(ref.digest)) for ref in oci_images(named)]
    for uri, digest in _pairs(named, ARTIFACT_URI, ARTIFACT_DIGEST):
        if _image(f"{uri}@{digest}") is not None:
            out.append(Artifact(uri, digest))
    for value in _structured(named, ARTIFACT_OUTPUTS):
        out.append(Artifact(value["uri"], str(parse_digest(value["digest"]))))
    return _bounded(dedupe(out), "subjects")


def input_materials(results: Iterable[Any]) -> list[Artifact]:
    """`<X>ARTIFACT_INPUTS` objects as materials."""
    return [
        Artifact(v["uri"], str(parse_digest(v["digest"])))
        for v in _structured(_named(results), ARTIFACT_INPUTS)
    ]


def git_source(
    param_specs: Iterable[Any], params: Iterable[Any], results: Iterable[Any]
) -> Artifact | None:
    """`git+<url>.git` @ sha1 from `CHAINS-GIT_URL`/`CHAINS-GIT_COMMIT`: param defaults, then
    params, then results, the later winning (Chains' material.FromPipelineParamsAndResults)."""
    found: dict[str, str] = {}
    for spec in _named(param_specs):
        default = spec.get("default")
        if spec["name"] in (GIT_URL, GIT_COMMIT) and isinstance(default, str):
            found[spec["name"]] = default
    for item in [*_named(params), *_named(results)]:
        if item["name"] in (GIT_URL, GIT_COMMIT) and isinstance(item.get("value"), str):
            found[item["name"]] = item["value"]
    url, commit = found.get(GIT_URL, ""), found.get(GIT_COMMIT, "")
    if not url or not commit:
        return None
    return Artifact(spdx_git(url), f"sha1:{commit}")


def spdx_git(url: str) -> str:
    """`git+<url>.git` (Chains' attest.SPDXGit)."""
    if not url.startswith("git+"):
        url = "git+" + url
    return url if url.endswith(".git") else url + ".git"


def dedupe(items: Iterable[Artifact]) -> list[Artifact]:
    seen: dict[tuple[str, str], Artifact] = {}
    for item in items:
        seen.setdefault((item.uri, item.digest), item)
    return list(seen.values())
