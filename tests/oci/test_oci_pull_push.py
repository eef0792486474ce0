"""Push and pull against the real registry: manifests of every kind, blobs, tags, referrers."""

from __future__ import annotations

import json
import secrets

import pytest

from konflux.engine.oci import NotFoundError, RegistryError, build_image, sha256_digest
from konflux.engine.oci import media_types as mt
from konflux.engine.oci.client import _next_link


def test_push_then_pull_round_trip(registry, oci, fresh):
    ref, build = oci.push_image(
        registry.ref("rt/app", "v1"), {"etc/os-release": b"ID=test\n"}, labels={"vendor": "konflux"}
    )
    assert ref.digest == build.digest
    # Pull with a new client: nothing comes from the pushing client's cache.
    client, run = fresh.client, fresh.run
    manifest = run(client.get_manifest(registry.ref("rt/app", "v1")))
    assert manifest.raw == build.raw
    assert manifest.digest == build.digest
    assert manifest.media_type == mt.OCI_MANIFEST
    for digest, data in build.blobs.items():
        assert run(client.get_blob(ref, digest)) == data
    assert fresh.image_config(ref)["config"]["Labels"] == {"vendor": "konflux"}
    assert fresh.image_files(ref, ["/etc/"]) == {"etc/os-release": b"ID=test\n"}


def test_tag_resolves_to_the_pushed_digest(registry, oci):
    ref, _ = oci.push_image(registry.ref("rt/resolve", "v1"))
    assert oci.sync.resolve(registry.ref("rt/resolve", "v1")) == ref
    assert oci.sync.descriptor(registry.ref("rt/resolve", "v1")) == {
        "mediaType": mt.OCI_MANIFEST,
        "digest": ref.digest,
        "size": len(oci.sync.manifest(ref).raw),
    }


@pytest.mark.parametrize("docker", [False, True], ids=["oci", "docker-schema2"])
def test_image_manifest_kinds(registry, oci, docker):
    ref, build = oci.push_image(registry.ref(f"kinds/image-{int(docker)}", "v1"), docker=docker)
    manifest = oci.sync.manifest(registry.ref(f"kinds/image-{int(docker)}", "v1"))
    assert manifest.media_type == (mt.DOCKER_MANIFEST if docker else mt.OCI_MANIFEST)
    assert not manifest.is_index
    assert manifest.config().media_type == (mt.DOCKER_CONFIG if docker else mt.OCI_CONFIG)
    assert [d.media_type for d in manifest.descriptors()] == [
        mt.DOCKER_LAYER_GZIP if docker else mt.OCI_LAYER_GZIP
    ]
    assert oci.sync.image_files(ref, ["random.bin"])["random.bin"] == _layer_file(
        build, "random.bin"
    )


@pytest.mark.parametrize("docker", [False, True], ids=["oci-index", "docker-list"])
def test_index_kinds_and_platform_selection(registry, oci, docker):
    ref, build = oci.push_index(registry.ref(f"kinds/index-{int(docker)}", "v1"), docker=docker)
    index = oci.sync.manifest(ref)
    assert index.is_index
    assert index.media_type == (mt.DOCKER_MANIFEST_LIST if docker else mt.OCI_INDEX)
    platforms = [d.platform["architecture"] for d in index.descriptors()]
    assert platforms == ["amd64", "arm64"]
    assert oci.sync.image_index(ref)["manifests"] == build.manifest["manifests"]
    # ec resolves an index to linux/amd64 when an image is asked for.
    amd64 = build.images[0][1]
    assert oci.sync.image_manifest(ref) == amd64.manifest
    arm = oci.sync.image_files(ref, ["etc/platform"], {"os": "linux", "architecture": "arm64"})
    assert arm == {"etc/platform": b"linux/arm64\n"}
    with pytest.raises(RegistryError, match="no manifest for platform windows/amd64"):
        oci.sync.image_manifest(ref, {"os": "windows", "architecture": "amd64"})


def test_image_index_refuses_an_image(registry, oci):
    ref, _ = oci.push_image(registry.ref("kinds/notindex", "v1"))
    with pytest.raises(RegistryError, match="not an image index"):
        oci.sync.image_index(ref)


def test_unknown_manifest_is_a_404_naming_the_reference(registry, oci):
    oci.push_image(registry.ref("missing/app", "v1"))
    with pytest.raises(NotFoundError) as caught:
        oci.sync.manifest(registry.ref("missing/app", "nope"))
    assert caught.value.status == 404
    assert str(caught.value) == f"{registry.host}/missing/app:nope: manifest unknown (404)"


def test_unknown_blob_is_a_404(registry, oci):
    ref, _ = oci.push_image(registry.ref("missing/blob", "v1"))
    absent = sha256_digest(b"not pushed")
    with pytest.raises(NotFoundError, match="blob unknown"):
        oci.sync.blob(ref.by_digest(absent))


def test_tags_list(registry, oci):
    for tag in ("a", "b", "c"):
        oci.push_image(registry.ref("tags/app", tag))
    assert sorted(oci.sync.tags(registry.ref("tags/app"))) == ["a", "b", "c"]
    # distribution 2.8 ignores `n` (no Link header); the answer must still be complete.
    paged = oci.sync.run(oci.sync.client.list_tags(registry.ref("tags/app"), page_size=1))
    assert sorted(paged) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('</v2/x/tags/list?n=1&last=a>; rel="next"', "/v2/x/tags/list?n=1&last=a"),
        (None, None),
        ('<http://h/other>; rel="prev"', None),
    ],
)
def test_tags_pagination_link_header(header, expected):
    assert _next_link(header) == expected


def test_chunked_upload_stores_the_exact_bytes(registry, oci, fresh):
    ref = registry.ref("upload/chunked", "v1")
    data = secrets.token_bytes(300_000)
    client, run = oci.sync.client, oci.sync.run
    descriptor = run(client.push_blob(ref, data, chunk_size=64 * 1024))
    assert descriptor.digest == sha256_digest(data)
    assert run(client.blob_exists(ref, descriptor.digest)).size == len(data)
    assert fresh.run(fresh.client.get_blob(ref, descriptor.digest)) == data


def test_whole_image_pushed_in_chunks(registry, oci, fresh):
    ref, build = oci.push_image(registry.ref("upload/image", "v1"), chunk_size=100)
    assert fresh.image_config(ref) == build.config


def test_blob_mount_from_another_repository(registry, oci):
    source = registry.ref("mount/source", "v1")
    data = secrets.token_bytes(1000)
    client, run = oci.sync.client, oci.sync.run
    run(client.push_blob(source, data))
    target = registry.ref("mount/target", "v1")
    digest = sha256_digest(data)
    assert run(client.blob_exists(target, digest)) is None
    before = client.requests
    run(client.push_blob(target, data, mount_from=source))
    # HEAD (absent) and the mounting POST: no body was uploaded.
    assert client.requests - before == 2
    assert run(client.blob_exists(target, digest)) is not None


def test_referrers_fallback_to_the_tag_schema(registry, oci, fresh):
    subject, _ = oci.push_image(registry.ref("refs/app", "v1"))
    client, run = oci.sync.client, oci.sync.run
    assert oci.sync.referrers(subject) == []
    artifact = _artifact(subject.digest, "application/vnd.example.sbom")
    run(client.push_blob(subject, b"{}", media_type=mt.OCI_EMPTY))
    art_ref = run(
        client.put_manifest(subject.by_digest(sha256_digest(artifact)), artifact, mt.OCI_MANIFEST)
    )
    descriptor = {
        "mediaType": mt.OCI_MANIFEST,
        "digest": art_ref.digest,
        "size": len(artifact),
        "artifactType": "application/vnd.example.sbom",
    }
    index = json.dumps(
        {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": [descriptor]}
    ).encode()
    run(
        client.put_manifest(subject.with_tag(subject.digest.replace(":", "-")), index, mt.OCI_INDEX)
    )
    assert fresh.referrers(subject) == [descriptor]
    assert fresh.referrers(subject, "application/vnd.example.sbom") == [descriptor]
    assert fresh.referrers(subject, "application/vnd.other") == []


def test_referrers_api_answer_is_used_when_the_registry_has_it(registry, fault_proxy, oci):
    subject, _ = oci.push_image(fault_proxy.ref("refs/api", "v1"))
    descriptor = {
        "mediaType": mt.OCI_MANIFEST,
        "digest": sha256_digest(b"x"),
        "size": 1,
        "artifactType": "application/vnd.example.sig",
    }
    fault_proxy.referrers_api[subject.digest] = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_INDEX,
        "manifests": [descriptor],
    }
    assert oci.sync.referrers(subject) == [descriptor]
    assert f"GET /v2/refs/api/referrers/{subject.digest}" in fault_proxy.seen
    assert not any("sha256-" in line for line in fault_proxy.seen)


def test_put_manifest_rejects_a_digest_that_does_not_match(registry, oci):
    raw = build_image({"a": b"b"}).raw
    wrong = registry.ref("put/app").by_digest(sha256_digest(b"other"))
    with pytest.raises(RegistryError, match="hashes to"):
        oci.sync.run(oci.sync.client.put_manifest(wrong, raw, mt.OCI_MANIFEST))


def _artifact(subject_digest: str, artifact_type: str) -> bytes:
    empty = {"mediaType": mt.OCI_EMPTY, "digest": sha256_digest(b"{}"), "size": 2}
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": empty,
            "layers": [empty],
            "subject": {"mediaType": mt.OCI_MANIFEST, "digest": subject_digest, "size": 1},
        }
    ).encode()


@pytest.fixture
def fresh(sync_registry_factory):
    """A second facade over a new client: nothing cached from the push."""
    return sync_registry_factory()


def _layer_file(build, name):
    import gzip
    import io
    import tarfile

    for descriptor in build.manifest["layers"]:
        data = gzip.decompress(build.blobs[descriptor["digest"]])
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            return tar.extractfile(name).read()
    raise AssertionError(name)
