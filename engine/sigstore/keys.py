"""Signing keys as cosign reads and writes them.

Public keys are PEM (`PUBLIC KEY`, `RSA PUBLIC KEY`, or a `CERTIFICATE` whose
key is used) read from a file or given inline. Private keys are cosign's
encrypted PEM (`ENCRYPTED SIGSTORE PRIVATE KEY`, or the older
`ENCRYPTED COSIGN PRIVATE KEY`): a PKCS #8 DER key sealed by
go-securesystemslib's `encrypted` package, i.e. the JSON document

    {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<b64>"},
     "cipher":{"name":"nacl/secretbox","nonce":"<b64>"},"ciphertext":"<b64>"}

with a 32-byte scrypt key and a 24-byte secretbox nonce
(https://github.com/secure-systems-lab/go-securesystemslib, `encrypted/encrypted.go`).

Signature schemes follow cosign/sigstore's defaults: ECDSA with SHA-256 (and
the curve's own hash, which `LoadDefaultVerifier` picks for P-384/P-521), RSA
PKCS #1 v1.5 with SHA-256 (PSS accepted on verification), Ed25519 (pure, and
Ed25519ph as cosign uses for keys loaded from disk).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nacl.bindings
import nacl.exceptions
import nacl.secret
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from konflux.engine.choices import KEY_ALGORITHMS

from .errors import KeyFormatError, KeyPasswordError

SIGSTORE_PRIVATE_KEY_PEM = "ENCRYPTED SIGSTORE PRIVATE KEY"
COSIGN_PRIVATE_KEY_PEM = "ENCRYPTED COSIGN PRIVATE KEY"

# go-securesystemslib accepts exactly these scrypt parameter sets on decryption
# (anything else could be a denial of service planted in the key file).
SCRYPT_LEGACY = (32768, 8, 1)
SCRYPT_STANDARD = (65536, 8, 1)
SCRYPT_OWASP = (131072, 8, 1)
_SCRYPT_ACCEPTED = {SCRYPT_LEGACY, SCRYPT_STANDARD, SCRYPT_OWASP}

ALGORITHMS = KEY_ALGORITHMS

PublicKeyType = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKeyType = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

_PRIVATE_KEY_PEMS = frozenset(
    {
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "RSA PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "ENCRYPTED SIGSTORE PRIVATE KEY",
        "ENCRYPTED COSIGN PRIVATE KEY",
    }
)
_PUBLIC_KEY_PEMS = frozenset({"PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE"})

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)


def _curve_hash(curve: ec.EllipticCurve) -> hashes.HashAlgorithm:
    if isinstance(curve, ec.SECP384R1):
        return hashes.SHA384()
    if isinstance(curve, ec.SECP521R1):
        return hashes.SHA512()
    return hashes.SHA256()


@dataclass(frozen=True)
class PublicKey:
    """A verification key, with the PEM it was read from normalised to SPKI."""

    key: PublicKeyType
    source: str = "inline key"

    @property
    def pem(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def der(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def algorithm(self) -> str:
        k = self.key
        if isinstance(k, ec.EllipticCurvePublicKey):
            return f"ecdsa-{k.curve.name}"
        if isinstance(k, rsa.RSAPublicKey):
            return f"rsa-{k.key_size}"
        return "ed25519"

    def verify(self, signature: bytes, data: bytes) -> bool:
        """True when `signature` is a valid signature of `data` under this key.

        Several schemes are tried per key type because cosign's verifiers differ
        by how the key was loaded (SHA-256 hardcoded vs. the curve's hash;
        PKCS #1 v1.5 vs. PSS; pure Ed25519 vs. Ed25519ph); each is sound on its own.
        """
        k = self.key
        attempts: list[object] = []
        if isinstance(k, ec.EllipticCurvePublicKey):
            attempts = [ec.ECDSA(hashes.SHA256())]
            if not isinstance(_curve_hash(k.curve), hashes.SHA256):
                attempts.append(ec.ECDSA(_curve_hash(k.curve)))
            for alg in attempts:
                try:
                    k.verify(signature, data, alg)  # type: ignore[arg-type]
                    return True
                except InvalidSignature:
                    continue
            return False
        if isinstance(k, rsa.RSAPublicKey):
            for pad in (
                padding.PKCS1v15(),
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
            ):
                try:
                    k.verify(signature, data, pad, hashes.SHA256())
                    return True
                except InvalidSignature:
                    continue
            return False
        if isinstance(k, ed25519.Ed25519PublicKey):
            try:
                k.verify(signature, data)
                return True
            except InvalidSignature:
                pass
            return _ed25519ph_verify(self.raw_ed25519(), signature, data)
        return False

    def raw_ed25519(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _ed25519ph_verify(public: bytes, signature: bytes, data: bytes) -> bool:
    # Ed25519ph (RFC 8032 5.1, prehash SHA-512): what cosign signs with for
    # Ed25519 keys loaded from disk. `cryptography` has no Ed25519ph; libsodium does.
    if len(signature) != 64:
        return False
    state = nacl.bindings.crypto_sign_ed25519ph_state()
    nacl.bindings.crypto_sign_ed25519ph_update(state, data)
    try:
        return bool(nacl.bindings.crypto_sign_ed25519ph_final_verify(state, signature, public))
    except nacl.exceptions.BadSignatureError:
        return False


@dataclass(frozen=True)
class PrivateKey:
    """A signing key; signatures use the scheme cosign's default signer uses."""

    key: PrivateKeyType

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key(), "private key")

    def sign(self, data: bytes) -> bytes:
        k = self.key
        if isinstance(k, ec.EllipticCurvePrivateKey):
            return k.sign(data, ec.ECDSA(_curve_hash(k.curve)))
        if isinstance(k, rsa.RSAPrivateKey):
            return k.sign(data, padding.PKCS1v15(), hashes.SHA256())
        # Pure Ed25519: what sigstore's default verifier for an Ed25519 public key checks.
        return k.sign(data)

    def pkcs8(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@dataclass(frozen=True)
class KeyPair:
    """PEM bytes of a freshly generated key pair, as `cosign generate-key-pair` writes them."""

    private_pem: bytes
    public_pem: bytes


def _pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    blocks = []
    for m in _PEM_BLOCK.finditer(data):
        body = b"".join(
            line
            for line in m.group(2).split()
            if b":" not in line  # skip PEM headers
        )
        try:
            blocks.append((m.group(1).decode(), base64.b64decode(body, validate=True)))
        except ValueError as exc:
            raise KeyFormatError(f"PEM block {m.group(1).decode()!r} is not valid base64") from exc
    return blocks


def pem_encode(kind: str, der: bytes) -> bytes:
    """PEM-encode `der` with 64-character lines, as Go's `pem.EncodeToMemory`."""
    b64 = base64.b64encode(der).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    body = "\n".join(lines)
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n".encode()


def read_key_material(ref: str | bytes) -> tuple[bytes, str]:
    """Key bytes and a description of where they came from: inline PEM or a file path."""
    if isinstance(ref, bytes):
        return ref, "inline key"
    if "-----BEGIN" in ref:
        return ref.encode(), "inline key"
    path = Path(ref).expanduser()
    try:
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise KeyFormatError(f"{ref}: no such key file (and not an inline PEM key)") from None
    except IsADirectoryError:
        raise KeyFormatError(f"{ref}: is a directory, expected a PEM key file") from None
    except OSError as exc:
        raise KeyFormatError(f"cannot read key file {ref}: {exc.strerror or exc}") from exc


def load_public_key(ref: str | bytes) -> PublicKey:
    """Read a PEM public key (or a certificate's key) from a file path or inline PEM text."""
    data, source = read_key_material(ref)
    blocks = _pem_blocks(data)
    if not blocks:
        raise KeyFormatError(f"{source}: not a PEM public key (no BEGIN PUBLIC KEY block)")
    kind, der = blocks[0]
    if kind in _PRIVATE_KEY_PEMS:
        raise KeyFormatError(
            f"{source}: a private key was given where a public key is needed "
            "(use the .pub file of the pair)"
        )
    try:
        if kind == "PUBLIC KEY":
            key = serialization.load_der_public_key(der)
        elif kind == "RSA PUBLIC KEY":
            key = serialization.load_pem_public_key(pem_encode(kind, der))
        elif kind == "CERTIFICATE":
            key = x509.load_der_x509_certificate(der).public_key()
        else:
            raise KeyFormatError(
                f"{source}: PEM block {kind!r} is not a public key "
                "(expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)"
            )
    except ValueError as exc:
        raise KeyFormatError(f"{source}: cannot parse {kind}: {exc}") from exc
    if not isinstance(key, PublicKeyType):
        raise KeyFormatError(
            f"{source}: unsupported key type {type(key).__name__} (ECDSA, RSA or Ed25519)"
        )
    return PublicKey(key, source)


def generate_private_key(algorithm: str = "ecdsa-p256") -> PrivateKey:
    """A new key; `ecdsa-p256` is cosign's default."""
    if algorithm.startswith("ecdsa-"):
        curves = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1()}
        curve = curves.get(algorithm.removeprefix("ecdsa-"))
        if curve is not None:
            return PrivateKey(ec.generate_private_key(curve))
    elif algorithm in ("rsa-2048", "rsa-3072", "rsa-4096"):
        return PrivateKey(rsa.generate_private_key(65537, int(algorithm.removeprefix("rsa-"))))
    elif algorithm == "ed25519":
        return PrivateKey(ed25519.Ed25519PrivateKey.generate())
    raise KeyFormatError(f"unknown key algorithm {algorithm!r} (one of {', '.join(ALGORITHMS)})")


def _scrypt(password: bytes, salt: bytes, params: tuple[int, int, int]) -> bytes:
    n, r, p = params
    # hashlib refuses above maxmem; scrypt needs 128*r*n bytes (128 MiB for OWASP).
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=32, maxmem=256 * 1024 * 1024)


def encrypt_private_key(
    key: PrivateKey,
    password: bytes,
    *,
    pem_type: str = SIGSTORE_PRIVATE_KEY_PEM,
    scrypt_params: tuple[int, int, int] = SCRYPT_STANDARD,
) -> bytes:
    """cosign's encrypted private key PEM for `key` under `password`."""
    salt = os.urandom(32)
    nonce = os.urandom(nacl.secret.SecretBox.NONCE_SIZE)
    box = nacl.secret.SecretBox(_scrypt(password, salt, scrypt_params))
    sealed = box.encrypt(key.pkcs8(), nonce).ciphertext
    n, r, p = scrypt_params
    # Field order and spelling as Go's json.Marshal of securesystemslib's struct.
    document = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": n, "r": r, "p": p},
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    return pem_encode(pem_type, json.dumps(document, separators=(",", ":")).encode())


def decrypt_private_key(data: bytes, password: bytes, *, source: str = "private key") -> PrivateKey:
    """Open cosign's encrypted PEM; unencrypted PKCS #8 / SEC1 / PKCS #1 PEM is accepted too."""
    blocks = _pem_blocks(data)
    if not blocks:
        raise KeyFormatError(f"{source}: not a PEM private key (no BEGIN ... PRIVATE KEY block)")
    kind, der = blocks[0]
    if kind in _PUBLIC_KEY_PEMS:
        raise KeyFormatError(
            f"{source}: a public key was given where a private key is needed "
            "(use the .key file of the pair)"
        )
    if kind in ("PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"):
        try:
            raw = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyFormatError(f"{source}: cannot parse {kind}: {exc}") from exc
        return _wrap_private(raw, source)
    if kind not in (SIGSTORE_PRIVATE_KEY_PEM, COSIGN_PRIVATE_KEY_PEM):
        raise KeyFormatError(
            f"{source}: unsupported PEM type {kind!r} (expected {SIGSTORE_PRIVATE_KEY_PEM})"
        )
    try:
        doc = json.loads(der)
        kdf, cipher = doc["kdf"], doc["cipher"]
        if kdf["name"] != "scrypt":
            raise KeyFormatError(f"{source}: unknown kdf {kdf['name']!r}")
        if cipher["name"] != "nacl/secretbox":
            raise KeyFormatError(f"{source}: unknown cipher {cipher['name']!r}")
        params = (int(kdf["params"]["N"]), int(kdf["params"]["r"]), int(kdf["params"]["p"]))
        salt = base64.b64decode(kdf["salt"])
        nonce = base64.b64decode(cipher["nonce"])
        sealed = base64.b64decode(doc["ciphertext"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFormatError(f"{source}: malformed encrypted key document: {exc}") from exc
    if params not in _SCRYPT_ACCEPTED:
        raise KeyFormatError(f"{source}: unsupported scrypt parameters N={params[0]}")
    if len(nonce) != nacl.secret.SecretBox.NONCE_SIZE:
        raise KeyFormatError(f"{source}: incorrect nonce size {len(nonce)}")
    try:
        plain = nacl.secret.SecretBox(_scrypt(password, salt, params)).decrypt(sealed, nonce)
    except nacl.exceptions.CryptoError:
        raise KeyPasswordError(
            f"{source}: decryption failed: wrong password (set $COSIGN_PASSWORD)"
        ) from None
    try:
        raw = serialization.load_der_private_key(plain, password=None)
    except ValueError as exc:
        raise KeyFormatError(f"{source}: decrypted key is not PKCS #8: {exc}") from exc
    return _wrap_private(raw, source)


def _wrap_private(raw: object, source: str) -> PrivateKey:
    if not isinstance(raw, PrivateKeyType):
        raise KeyFormatError(f"{source}: unsupported private key type {type(raw).__name__}")
    return PrivateKey(raw)


def load_private_key(ref: str | bytes, password: bytes | None = None) -> PrivateKey:
    """Read a private key from a file path or inline PEM; the password defaults to
    `$COSIGN_PASSWORD` (empty when unset, as cosign)."""
    data, source = read_key_material(ref)
    if password is None:
        password = os.environ.get("COSIGN_PASSWORD", "").encode()
    return decrypt_private_key(data, password, source=source)


def generate_key_pair(
    password: bytes,
    algorithm: str = "ecdsa-p256",
    *,
    scrypt_params: tuple[int, int, int] = SCRYPT_STANDARD,
) -> KeyPair:
    """A new key pair as cosign writes it: encrypted private PEM, SPKI public PEM."""
    key = generate_private_key(algorithm)
    return KeyPair(
        encrypt_private_key(key, password, scrypt_params=scrypt_params),
        key.public.pem,
    )
