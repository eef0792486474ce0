"""The engine's request for one `validate image` run: trust as `ec` derives it from flags and
the policy, before any image is fetched (engine/image/request.py)."""

from __future__ import annotations

import pytest

from konflux.engine.image.request import (
    NO_TRUST,
    TrustError,
    TrustFlags,
    derive_trust,
    sigstore_opts,
)
from konflux.testing import Signer


@pytest.fixture(scope="module")
def pem() -> str:
    return Signer.generate().public_pem


def test_flag_key_wins_over_the_policy_key(pem: str) -> None:
    read: list[str] = []

    def read_key(ref: str) -> str:
        read.append(ref)
        return pem

    trust = derive_trust({"publicKey": "k8s://ns/policy-key"}, TrustFlags("flag.pub"), read_key)
    assert (read, trust.key_pem, trust.keyless) == (["flag.pub"], pem, False)


def test_policy_key_is_used_without_flags(pem: str) -> None:
    trust = derive_trust({"publicKey": "policy.pub"}, TrustFlags(), lambda ref: pem)
    assert (trust.key_pem, trust.keyless) == (pem, False)


def test_keyless_flags_ignore_the_policy_key() -> None:
    flags = TrustFlags(identity="me@example.com", issuer="https://issuer.example")

    def read_key(ref: str) -> str:
        raise AssertionError(f"read {ref}: a keyless run reads no key")

    trust = derive_trust({"publicKey": "policy.pub"}, flags, read_key)
    assert (trust.key_pem, trust.keyless) == ("", True)
    assert sigstore_opts(flags, trust) == {
        "ignore_rekor": False,
        "public_key": "",
        "certificate_identity": "me@example.com",
        "certificate_oidc_issuer": "https://issuer.example",
    }


def test_keyless_identity_comes_from_the_policy() -> None:
    spec = {"identity": {"subjectRegExp": ".*@example.com", "issuer": "https://issuer.example"}}
    assert derive_trust(spec, TrustFlags(), lambda ref: "").keyless


def test_no_key_and_no_identity_is_refused() -> None:
    with pytest.raises(TrustError) as caught:
        derive_trust({}, TrustFlags(), lambda ref: "")
    assert str(caught.value) == NO_TRUST


@pytest.mark.parametrize(
    ("flags", "missing"),
    [
        (TrustFlags(identity="me@example.com"), "certificate OIDC issuer"),
        (TrustFlags(issuer="https://issuer.example"), "certificate identity"),
    ],
)
def test_half_an_identity_is_refused(flags: TrustFlags, missing: str) -> None:
    with pytest.raises(TrustError, match=f"{missing} must be provided for keyless workflow"):
        derive_trust({}, flags, lambda ref: "")
