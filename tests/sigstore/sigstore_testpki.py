"""Test-only sigstore material made with real crypto: our own Fulcio-like CA, a
Rekor log key, and TrustedRoot documents naming them. Nothing here touches the network."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from konflux.engine.sigstore.keys import PrivateKey

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ISSUER = "https://token.actions.example.test"
IDENTITY = "https://github.example.test/org/repo/.github/workflows/build.yaml@refs/heads/main"

OID_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


def der_utf8(text: str) -> bytes:
    raw = text.encode()
    assert len(raw) < 128
    return bytes([0x0C, len(raw)]) + raw


@dataclass
class CA:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "konflux-test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def make_root(cn: str = "test-fulcio-root") -> CA:
    key = ec.generate_private_key(ec.SECP384R1())
    name = _name(cn)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA384())
    )
    return CA(key, cert)


def make_intermediate(root: CA, cn: str = "test-fulcio-intermediate") -> CA:
    key = ec.generate_private_key(ec.SECP384R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(root.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2021, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2039, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()),
            critical=False,
        )
        .sign(root.key, hashes.SHA384())
    )
    return CA(key, cert)


def make_leaf(
    issuer: CA,
    signer: PrivateKey,
    *,
    identity: str = IDENTITY,
    oidc_issuer: str = ISSUER,
    not_before: datetime = T0,
    lifetime: timedelta = timedelta(minutes=10),
) -> x509.Certificate:
    """A Fulcio-shaped code-signing certificate for `signer`'s key (URI or email SAN,
    critical, empty subject; issuer in extensions .1.1 (raw) and .1.8 (DER))."""
    san: x509.GeneralName = (
        x509.RFC822Name(identity)
        if "@" in identity and "://" not in identity
        else x509.UniformResourceIdentifier(identity)
    )
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(issuer.cert.subject)
        .public_key(signer.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + lifetime)
        .add_extension(x509.SubjectAlternativeName([san]), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(signer.key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.UnrecognizedExtension(OID_ISSUER_V1, oidc_issuer.encode()), critical=False
        )
        .add_extension(
            x509.UnrecognizedExtension(OID_ISSUER_V2, der_utf8(oidc_issuer)), critical=False
        )
        .sign(issuer.key, hashes.SHA384())
    )


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def trusted_root(chains: list[list[x509.Certificate]], rekor_keys: list[PrivateKey]) -> str:
    """A sigstore TrustedRoot JSON naming our CAs (leaf-most first) and Rekor keys."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    doc = {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [
            {
                "baseUrl": "https://rekor.example.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(k.public.der),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2020-01-01T00:00:00Z"},
                },
                "logId": {
                    "keyId": b64(
                        bytes.fromhex(__import__("hashlib").sha256(k.public.der).hexdigest())
                    )
                },
            }
            for k in rekor_keys
        ],
        "certificateAuthorities": [
            {
                "subject": {"organization": "konflux-test", "commonName": "test"},
                "uri": "https://fulcio.example.test",
                "certChain": {
                    "certificates": [
                        {"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))} for c in chain
                    ]
                },
                "validFor": {"start": "2020-01-01T00:00:00Z"},
            }
            for chain in chains
        ],
        "ctlogs": [],
        "timestampAuthorities": [],
    }
    return json.dumps(doc)
