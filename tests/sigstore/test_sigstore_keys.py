"""Keys as cosign reads and writes them: encrypted private PEM, public PEM, schemes."""

from __future__ import annotations

import base64
import json

import nacl.bindings
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from konflux.engine.sigstore import (
    KeyFormatError,
    KeyPasswordError,
    generate_key_pair,
    load_private_key,
    load_public_key,
)
from konflux.engine.sigstore.keys import (
    SCRYPT_LEGACY,
    PrivateKey,
    decrypt_private_key,
    encrypt_private_key,
    generate_private_key,
)


def _pem_body(pem: bytes) -> bytes:
    lines = pem.decode().strip().splitlines()
    assert all(len(line) <= 64 for line in lines[1:-1])
    return base64.b64decode("".join(lines[1:-1]))


def test_encrypted_key_has_cosign_layout():
    pair = generate_key_pair(b"s3cret", scrypt_params=SCRYPT_LEGACY)
    assert pair.private_pem.startswith(b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    doc = json.loads(_pem_body(pair.private_pem))
    assert list(doc) == ["kdf", "cipher", "ciphertext"]
    assert doc["kdf"]["name"] == "scrypt"
    assert doc["kdf"]["params"] == {"N": 32768, "r": 8, "p": 1}
    assert len(base64.b64decode(doc["kdf"]["salt"])) == 32
    assert doc["cipher"]["name"] == "nacl/secretbox"
    assert len(base64.b64decode(doc["cipher"]["nonce"])) == 24
    assert pair.public_pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")


def test_encrypted_key_round_trip_signs_verifiably():
    pair = generate_key_pair(b"s3cret", scrypt_params=SCRYPT_LEGACY)
    key = decrypt_private_key(pair.private_pem, b"s3cret")
    assert key.public.pem == pair.public_pem
    assert load_public_key(pair.public_pem.decode()).verify(key.sign(b"data"), b"data")


def test_default_scrypt_parameters_are_cosign_standard():
    pem = encrypt_private_key(generate_private_key(), b"pw")
    assert json.loads(_pem_body(pem))["kdf"]["params"]["N"] == 65536
    assert decrypt_private_key(pem, b"pw").public.algorithm == "ecdsa-secp256r1"


def test_wrong_password_is_a_clear_error():
    pair = generate_key_pair(b"right", scrypt_params=SCRYPT_LEGACY)
    with pytest.raises(KeyPasswordError, match="wrong password"):
        decrypt_private_key(pair.private_pem, b"wrong")


def test_tampered_ciphertext_is_rejected():
    pair = generate_key_pair(b"pw", scrypt_params=SCRYPT_LEGACY)
    doc = json.loads(_pem_body(pair.private_pem))
    sealed = bytearray(base64.b64decode(doc["ciphertext"]))
    sealed[-1] ^= 1
    doc["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    from konflux.engine.sigstore.keys import pem_encode

    with pytest.raises(KeyPasswordError):
        decrypt_private_key(
            pem_encode("ENCRYPTED SIGSTORE PRIVATE KEY", json.dumps(doc).encode()), b"pw"
        )


def test_unsupported_scrypt_parameters_are_refused():
    pair = generate_key_pair(b"pw", scrypt_params=SCRYPT_LEGACY)
    doc = json.loads(_pem_body(pair.private_pem))
    doc["kdf"]["params"]["N"] = 1 << 24
    from konflux.engine.sigstore.keys import pem_encode

    with pytest.raises(KeyFormatError, match="unsupported scrypt parameters"):
        decrypt_private_key(
            pem_encode("ENCRYPTED SIGSTORE PRIVATE KEY", json.dumps(doc).encode()), b"pw"
        )


def test_password_comes_from_cosign_password(tmp_path, monkeypatch):
    pair = generate_key_pair(b"from-env", scrypt_params=SCRYPT_LEGACY)
    path = tmp_path / "cosign.key"
    path.write_bytes(pair.private_pem)
    monkeypatch.setenv("COSIGN_PASSWORD", "from-env")
    assert load_private_key(str(path)).public.pem == pair.public_pem
    monkeypatch.setenv("COSIGN_PASSWORD", "other")
    with pytest.raises(KeyPasswordError, match=str(path)):
        load_private_key(str(path))


@pytest.mark.parametrize("algorithm", ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519"])
def test_each_algorithm_signs_and_verifies(algorithm, tmp_path):
    key = generate_private_key(algorithm)
    path = tmp_path / "k.pub"
    path.write_bytes(key.public.pem)
    public = load_public_key(str(path))
    signature = key.sign(b"payload")
    assert public.verify(signature, b"payload")
    assert not public.verify(signature, b"payload!")
    assert not load_public_key(generate_private_key(algorithm).public.pem).verify(
        signature, b"payload"
    )


def test_ecdsa_p384_accepts_sha256_as_cosign_load_public_key_does():
    key = generate_private_key("ecdsa-p384")
    sig = key.key.sign(b"m", ec.ECDSA(hashes.SHA256()))
    assert key.public.verify(sig, b"m")


def test_rsa_pss_signatures_verify():
    key = generate_private_key("rsa-2048")
    sig = key.key.sign(b"m", padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    assert key.public.verify(sig, b"m")


def test_ed25519ph_signatures_verify():
    key = generate_private_key("ed25519")
    seed = key.key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    _, secret = nacl.bindings.crypto_sign_seed_keypair(seed)
    state = nacl.bindings.crypto_sign_ed25519ph_state()
    nacl.bindings.crypto_sign_ed25519ph_update(state, b"m")
    sig = nacl.bindings.crypto_sign_ed25519ph_final_create(state, secret)
    assert key.public.verify(sig, b"m")
    assert not key.public.verify(sig, b"n")


def test_public_key_from_certificate_and_rsa_pkcs1_pem():
    from tests_sigstore_helpers import self_signed_pem

    key = generate_private_key()
    assert load_public_key(self_signed_pem(key)).der == key.public.der
    rsa_key = generate_private_key("rsa-2048")
    pkcs1 = rsa_key.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
    )
    assert load_public_key(pkcs1).der == rsa_key.public.der


def test_bad_key_inputs_name_the_source(tmp_path):
    with pytest.raises(KeyFormatError, match=r"missing\.pub: no such key file"):
        load_public_key(str(tmp_path / "missing.pub"))
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key")
    with pytest.raises(KeyFormatError, match=r"bad\.pub: not a PEM public key"):
        load_public_key(str(bad))
    with pytest.raises(KeyFormatError, match="a private key was given where a public key"):
        load_public_key(
            PrivateKey(ec.generate_private_key(ec.SECP256R1()))
            .key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )


def test_a_public_key_is_refused_where_a_private_key_is_needed(tmp_path):
    public = tmp_path / "k.pub"
    public.write_bytes(generate_private_key().public.pem)
    with pytest.raises(KeyFormatError, match=r"k\.pub: a public key was given where a private"):
        load_private_key(str(public), b"")
    garbage = tmp_path / "k.key"
    garbage.write_text("garbage")
    with pytest.raises(KeyFormatError, match=r"k\.key: not a PEM private key"):
        load_private_key(str(garbage), b"")
