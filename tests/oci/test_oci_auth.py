"""Credentials from docker/podman config files, and the basic and bearer challenge flows."""

from __future__ import annotations

import base64
import json

import pytest

from konflux.engine.oci import (
    AuthenticationError,
    Credentials,
    DockerConfigCredentials,
    StaticCredentials,
    parse_reference,
)
from konflux.engine.oci.auth import parse_challenge


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _write(path, auths, **extra):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": auths, **extra}), encoding="utf-8")
    return path


def test_docker_config_auth_field(tmp_path):
    _write(tmp_path / "home/.docker/config.json", {"quay.io": {"auth": _auth("bob", "s:cret")}})
    store = DockerConfigCredentials(env={"HOME": str(tmp_path / "home")})
    assert store.lookup("quay.io", "org/app") == Credentials("bob", "s:cret")
    assert store.lookup("ghcr.io", "org/app") is None


def test_username_password_fields_and_docker_config_env(tmp_path):
    _write(
        tmp_path / "cfg/config.json", {"registry.example:5000": {"username": "u", "password": "p"}}
    )
    _write(
        tmp_path / "home/.docker/config.json", {"registry.example:5000": {"auth": _auth("x", "y")}}
    )
    # $DOCKER_CONFIG replaces ~/.docker, as docker does.
    store = DockerConfigCredentials(
        env={"HOME": str(tmp_path / "home"), "DOCKER_CONFIG": str(tmp_path / "cfg")}
    )
    assert store.lookup("registry.example:5000") == Credentials("u", "p")


def test_url_keys_match_by_host_and_docker_hub_aliases(tmp_path):
    _write(
        tmp_path / "home/.docker/config.json",
        {
            "https://index.docker.io/v1/": {"auth": _auth("hub", "1")},
            "https://quay.io/v2/": {"auth": _auth("quay", "2")},
        },
    )
    store = DockerConfigCredentials(env={"HOME": str(tmp_path / "home")})
    assert store.lookup("index.docker.io", "library/ubuntu").username == "hub"
    assert store.lookup("quay.io", "a/b").username == "quay"


def test_namespaced_keys_most_specific_wins(tmp_path):
    auth_file = _write(
        tmp_path / "auth.json",
        {
            "quay.io": {"auth": _auth("host", "1")},
            "quay.io/org": {"auth": _auth("org", "2")},
            "quay.io/org/app": {"auth": _auth("app", "3")},
        },
    )
    store = DockerConfigCredentials(
        env={"HOME": str(tmp_path / "nohome"), "REGISTRY_AUTH_FILE": str(auth_file)}
    )
    assert store.lookup("quay.io", "org/app").username == "app"
    assert store.lookup("quay.io", "org/other").username == "org"
    assert store.lookup("quay.io", "elsewhere/x").username == "host"


def test_docker_config_before_registry_auth_file(tmp_path):
    _write(tmp_path / "home/.docker/config.json", {"quay.io": {"auth": _auth("docker", "1")}})
    auth_file = _write(
        tmp_path / "auth.json",
        {"quay.io": {"auth": _auth("podman", "2")}, "ghcr.io": {"auth": _auth("podman", "3")}},
    )
    store = DockerConfigCredentials(
        env={"HOME": str(tmp_path / "home"), "REGISTRY_AUTH_FILE": str(auth_file)}
    )
    assert store.lookup("quay.io").username == "docker"
    assert store.lookup("ghcr.io").password == "3"


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"auth": "!!notbase64"}, "not base64"),
        ({"auth": base64.b64encode(b"nocolon").decode()}, "user:password"),
        ({"email": "x@example.com"}, "neither 'auth' nor"),
        ("text", "not an object"),
    ],
)
def test_malformed_entries_name_file_and_key(tmp_path, entry, fragment):
    path = _write(tmp_path / "auth.json", {"quay.io": entry})
    store = DockerConfigCredentials(paths=[path])
    with pytest.raises(AuthenticationError) as caught:
        store.lookup("quay.io")
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value) and "quay.io" in str(caught.value)


def test_unreadable_config_file_is_an_error(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(AuthenticationError, match="cannot read registry credentials"):
        DockerConfigCredentials(paths=[path])


def test_missing_credential_helper_is_an_error(tmp_path):
    path = _write(tmp_path / "config.json", {}, credHelpers={"quay.io": "konflux-absent"})
    with pytest.raises(AuthenticationError, match="docker-credential-konflux-absent"):
        DockerConfigCredentials(paths=[path]).lookup("quay.io")


def test_credentials_repr_hides_the_password():
    assert "hunter2" not in repr(Credentials("u", "hunter2"))


def test_parse_bearer_challenge():
    challenge = parse_challenge(
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:a/b:pull,push"'
    )
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.example/token"
    assert challenge.params["service"] == "registry.example"
    assert challenge.params["scope"] == "repository:a/b:pull,push"
    assert parse_challenge('Basic realm="x"').scheme == "basic"


def _config_for(tmp_path, host, user, password):
    return DockerConfigCredentials(
        env={
            "HOME": str(tmp_path / "nohome"),
            "DOCKER_CONFIG": str(
                _write(tmp_path / "cfg/config.json", {host: {"auth": _auth(user, password)}}).parent
            ),
        }
    )


def test_bearer_flow_with_docker_config_credentials(
    tmp_path, token_front, oci, sync_registry_factory
):
    # Push straight to the registry, then read through the token-protected front.
    _, build = oci.push_image(oci_ref(token_front, "auth/app", "v1"))
    store = _config_for(tmp_path, token_front.host, token_front.username, token_front.password)
    sync = sync_registry_factory(credentials=store)
    ref = token_front.ref("auth/app", "v1")
    assert sync.manifest(ref).raw == build.raw
    assert sync.image_config(ref) == build.config
    scopes = [s for r in token_front.token_requests for s in r["scopes"]]
    assert "repository:auth/app:pull" in scopes
    assert all(r["query"]["service"] == token_front.service for r in token_front.token_requests)
    # One token serves every pull of the repository.
    assert len(token_front.tokens) == 1


def test_bearer_flow_push_asks_for_push_scope(tmp_path, token_front, sync_registry_factory):
    store = _config_for(tmp_path, token_front.host, token_front.username, token_front.password)
    sync = sync_registry_factory(credentials=store)
    descriptor = sync.run(sync.client.push_blob(token_front.ref("auth/push"), b"payload"))
    assert sync.blob(token_front.ref("auth/push").by_digest(descriptor.digest)) == b"payload"
    assert any("repository:auth/push:pull,push" in r["scopes"] for r in token_front.token_requests)


def test_bearer_flow_with_wrong_password_is_refused(tmp_path, token_front, sync_registry_factory):
    store = _config_for(tmp_path, token_front.host, token_front.username, "wrong")
    with pytest.raises(AuthenticationError) as caught:
        sync_registry_factory(credentials=store).manifest(token_front.ref("auth/app", "v1"))
    message = str(caught.value)
    assert f"token server http://{token_front.host}/token refused user 'alice'" in message
    assert caught.value.status == 401


def test_bearer_flow_anonymous_is_refused(token_front, sync_registry_factory):
    with pytest.raises(AuthenticationError, match="refused anonymous access"):
        sync_registry_factory().manifest(token_front.ref("auth/app", "v1"))


def test_basic_auth_flow(tmp_path, token_front, oci, sync_registry_factory):
    token_front.scheme = "basic"
    _, build = oci.push_image(oci_ref(token_front, "auth/basic", "v1"))
    store = StaticCredentials(
        {token_front.host: Credentials(token_front.username, token_front.password)}
    )
    sync = sync_registry_factory(credentials=store)
    assert sync.manifest(token_front.ref("auth/basic", "v1")).raw == build.raw
    assert token_front.token_requests == []


def test_basic_auth_without_credentials_says_where_it_looked(token_front, sync_registry_factory):
    token_front.scheme = "basic"
    with pytest.raises(AuthenticationError, match=r"no credentials for 127\.0\.0\.1:\d+ were"):
        sync_registry_factory().manifest(token_front.ref("auth/basic", "v1"))


def oci_host(front) -> str:
    """The real registry behind a front (pushes go there directly)."""
    return front.upstream.removeprefix("http://")


def oci_ref(front, repository, tag):
    return parse_reference(f"{oci_host(front)}/{repository}:{tag}")


def test_identity_token_uses_the_refresh_token_grant(
    tmp_path, token_front, oci, sync_registry_factory
):
    _, build = oci.push_image(oci_ref(token_front, "auth/idtoken", "v1"))
    config = _write(
        tmp_path / "cfg/config.json",
        {token_front.host: {"identitytoken": token_front.identity_token}},
    )
    store = DockerConfigCredentials(paths=[config])
    sync = sync_registry_factory(credentials=store)
    assert sync.manifest(token_front.ref("auth/idtoken", "v1")).raw == build.raw
    (request,) = token_front.token_requests
    assert request["form"]["grant_type"] == "refresh_token"
    assert "repository:auth/idtoken:pull" in request["scopes"]
