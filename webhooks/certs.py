"""A CA and a serving certificate for the webhook, for clusters without cert-manager.

ECDSA P-256 keys; the serving certificate names the Service's DNS names (and
any IP addresses given) and is signed by the generated CA, whose certificate
goes into the webhook configurations' `caBundle`.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from konflux.webhooks.errors import CertificateError


@dataclass(frozen=True)
class CertFiles:
    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_ca(common_name: str = "konflux-webhook-ca", days: int = 3650):
    """(certificate, key) of a new self-signed CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_serving(ca_cert, ca_key, names: list[str], days: int = 365):
    """(certificate, key) for `names` (DNS names or IP addresses), signed by the CA."""
    if not names:
        raise CertificateError("a serving certificate needs at least one DNS name (--dns)")
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _write(path: Path, data: bytes, private: bool = False) -> None:
    # Write then rename, so a reloading server never reads half a file.
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    if private:
        os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_serving(
    out: Path, ca_cert, ca_key, names: list[str], days: int = 365
) -> tuple[Path, Path]:
    """Write tls.crt and tls.key for `names` into `out` (the key first: see CertReloader)."""
    cert, key = make_serving(ca_cert, ca_key, names, days)
    _write(out / "tls.key", _pem_key(key), private=True)
    _write(out / "tls.crt", cert.public_bytes(serialization.Encoding.PEM))
    return out / "tls.crt", out / "tls.key"


def generate(out: Path, names: list[str], days: int = 365) -> CertFiles:
    """A new CA (ca.crt, ca.key) and a serving pair (tls.crt, tls.key) in `out`."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        ca_cert, ca_key = make_ca()
        _write(out / "ca.key", _pem_key(ca_key), private=True)
        _write(out / "ca.crt", ca_cert.public_bytes(serialization.Encoding.PEM))
        cert, key = write_serving(out, ca_cert, ca_key, names, days)
    except OSError as exc:
        raise CertificateError(f"cannot write certificates to {out}: {exc}") from None
    return CertFiles(out / "ca.crt", out / "ca.key", cert, key)
