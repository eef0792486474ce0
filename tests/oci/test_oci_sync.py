"""The blocking facade: one client on a loop thread, answers memoized per run."""

from __future__ import annotations

import threading

import pytest

from konflux.engine.oci import NotFoundError, RegistryError, RetryPolicy, build_image


def test_a_run_sees_one_view_of_a_moving_tag(registry, oci):
    tag = registry.ref("sync/moving", "v1")
    first, _ = oci.push_image(tag)
    assert oci.sync.resolve(tag) == first
    second, _ = oci.push_image(tag)
    assert second.digest != first.digest
    assert oci.sync.resolve(tag) == first  # memoized for this run
    oci.sync.new_run()
    assert oci.sync.resolve(tag) == second


def test_threads_share_one_client_and_memo(registry, oci):
    _, build = oci.push_image(registry.ref("sync/threads", "v1"))
    oci.sync.new_run()
    before = oci.sync.client.requests
    results: list[dict] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(oci.sync.image_config(str(registry.ref("sync/threads", "v1"))))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert results == [build.config] * 8
    # HEAD (resolve); manifest and config were cached by digest when pushed.
    assert oci.sync.client.requests - before == 1


def test_errors_are_memoized_too(registry, oci):
    ref = registry.ref("sync/absent", "v1")
    with pytest.raises(RegistryError):
        oci.sync.manifest(ref)
    before = oci.sync.client.requests
    with pytest.raises(RegistryError):
        oci.sync.manifest(ref)
    assert oci.sync.client.requests == before


def test_blob_reference_needs_a_digest(oci):
    with pytest.raises(RegistryError, match="needs @sha256"):
        oci.sync.blob("quay.io/x/y:1")


def test_image_files_reads_later_layers_over_earlier(registry, oci):
    build = build_image([{"etc/a": b"old", "etc/b": b"b"}, {"etc/a": b"new"}])
    ref = oci.push(build, registry.ref("sync/layers", "v1"))
    assert oci.sync.image_files(ref, ["etc/"]) == {"etc/a": b"new", "etc/b": b"b"}
    assert oci.sync.image_files(ref, ["etc/b", "missing"]) == {"etc/b": b"b"}


def test_closed_facade_refuses_work(sync_registry_factory):
    sync = sync_registry_factory()
    sync.close()
    with pytest.raises(RuntimeError, match="closed"):
        sync.tags("quay.io/x/y")


def test_retry_policy_backoff_grows_and_is_capped():
    policy = RetryPolicy(max_retry=5, duration=1.0, factor=2.0, jitter=0.0, max_wait=3.0)
    assert [policy.wait(n) for n in range(1, 5)] == [1.0, 2.0, 3.0, 3.0]
    assert policy.wait(1, retry_after=0.5) == 0.5
    assert policy.wait(1, retry_after=60) == 3.0


def test_retry_policy_jitter_stays_within_bounds():
    policy = RetryPolicy(duration=1.0, factor=2.0, jitter=0.1, max_wait=10.0)
    waits = [policy.wait(2) for _ in range(200)]
    assert all(1.8 <= w <= 2.2 for w in waits)
    assert len(set(waits)) > 1


@pytest.mark.parametrize(
    "kwargs", [{"max_retry": -1}, {"factor": 0.5}, {"jitter": 2.0}, {"duration": -1.0}]
)
def test_retry_policy_rejects_nonsense(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_content_cache_serves_a_digest_once_per_repository(registry, oci, sync_registry_factory):
    ref, build = oci.push_image(registry.ref("cache/a", "v1"))
    sync = sync_registry_factory()
    layer = build.manifest["layers"][0]["digest"]
    client = sync.client
    assert sync.run(client.get_blob(ref, layer)) == build.blobs[layer]
    before = client.requests
    assert sync.run(client.get_blob(ref, layer)) == build.blobs[layer]
    assert client.requests == before
    # The same digest in a repository that does not hold it is still asked for, and absent.
    other = registry.ref("cache/b").by_digest(ref.digest)
    with pytest.raises(NotFoundError):
        sync.manifest(other)
