"""Keyless (Fulcio) signatures: trusted roots, certificate chains, identities.

A keyless cosign signature carries its signing certificate (and chain) in
layer annotations. It is trusted when

1. the certificate chains to a certificate authority of the sigstore
   `TrustedRoot` (protobuf-specs `TrustedRoot` JSON: `certificateAuthorities[]
   .certChain.certificates[].rawBytes`, `tlogs[].publicKey.rawBytes`) and every
   certificate of the chain was valid at the signing time — the Rekor
   integrated time proven by the bundle's SET, never the wall clock alone
   (cosign `CheckExpiry`, sigstore-python `_verify_chain_at_time`);
2. it is a code-signing certificate; and
3. its identity matches what the caller expects: a SAN equal to
   `--certificate-identity` (or matching `--certificate-identity-regexp`) and the
   OIDC issuer of Fulcio's extension 1.3.6.1.4.1.57264.1.8 (or the older .1.1)
   equal to `--certificate-oidc-issuer` (or matching `-regexp`), as cosign's
   `CheckCertificatePolicy`.

Not checked here: embedded SCTs (cosign's `--insecure-ignore-sct` behaviour).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from .errors import TrustedRootError
from .keys import PublicKey, _pem_blocks

OID_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
OID_OTHERNAME_SAN = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7")

# ec's certificate metadata keys (conforma/cli internal/signature/certificate.go):
# raw-string extensions (v1) and DER UTF8String extensions (v2).
_RAW_EXTENSIONS = {
    "Fulcio Issuer": "1.1",
    "Fulcio GitHub Workflow Trigger": "1.2",
    "Fulcio GitHub Workflow SHA": "1.3",
    "Fulcio GitHub Workflow Name": "1.4",
    "Fulcio GitHub Workflow Repository": "1.5",
    "Fulcio GitHub Workflow Ref": "1.6",
}
_UTF8_EXTENSIONS = {
    "Fulcio Issuer (V2)": "1.8",
    "Fulcio Build Signer URI": "1.9",
    "Fulcio Build Signer Digest": "1.10",
    "Fulcio Runner Environment": "1.11",
    "Fulcio Source Repository URI": "1.12",
    "Fulcio Source Repository Digest": "1.13",
    "Fulcio Source Repository Ref": "1.14",
    "Fulcio Source Repository Identifier": "1.15",
    "Fulcio Source Repository Owner URI": "1.16",
    "Fulcio Source Repository Owner Identifier": "1.17",
    "Fulcio Build Config URI": "1.18",
    "Fulcio Build Config Digest": "1.19",
    "Fulcio Build Trigger": "1.20",
    "Fulcio Run Invocation URI": "1.21",
}


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class CertificateAuthority:
    certificates: tuple[x509.Certificate, ...]  # leaf-most first, root last
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def valid_at(self, t: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= t) and (
            self.valid_until is None or t <= self.valid_until
        )


@dataclass(frozen=True)
class TransparencyLog:
    key: PublicKey
    base_url: str = ""


@dataclass(frozen=True)
class TrustedRoot:
    """The parts of a sigstore TrustedRoot this layer uses."""

    certificate_authorities: tuple[CertificateAuthority, ...] = ()
    tlogs: tuple[TransparencyLog, ...] = ()
    source: str = "trusted root"

    @property
    def rekor_keys(self) -> list[PublicKey]:
        return [t.key for t in self.tlogs]


def parse_trusted_root(
    data: bytes | str | dict[str, Any], *, source: str = "trusted root"
) -> TrustedRoot:
    """Read a TrustedRoot JSON document (protobuf-specs `dev.sigstore.trustroot.v1`)."""
    try:
        doc = data if isinstance(data, dict) else json.loads(data)
    except ValueError as exc:
        raise TrustedRootError(f"{source}: not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise TrustedRootError(f"{source}: not a TrustedRoot object")
    cas = []
    try:
        for i, ca in enumerate(doc.get("certificateAuthorities") or []):
            certs = tuple(
                x509.load_der_x509_certificate(base64.b64decode(c["rawBytes"]))
                for c in ca["certChain"]["certificates"]
            )
            if not certs:
                raise TrustedRootError(f"{source}: certificateAuthorities[{i}] has no certificates")
            valid = ca.get("validFor") or {}
            cas.append(
                CertificateAuthority(certs, _time(valid.get("start")), _time(valid.get("end")))
            )
        tlogs = []
        for tl in doc.get("tlogs") or []:
            from cryptography.hazmat.primitives import serialization

            key = serialization.load_der_public_key(base64.b64decode(tl["publicKey"]["rawBytes"]))
            tlogs.append(
                TransparencyLog(
                    PublicKey(key, f"{source} tlog"),  # type: ignore[arg-type]
                    str(tl.get("baseUrl", "")),
                )
            )
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise TrustedRootError(f"{source}: malformed TrustedRoot: {exc!r}") from exc
    if not cas and not tlogs:
        raise TrustedRootError(f"{source}: no certificate authorities and no transparency logs")
    return TrustedRoot(tuple(cas), tuple(tlogs), source)


def load_trusted_root(path: str | None = None) -> TrustedRoot:
    """`--trusted-root FILE`, or the sigstore public-good root shipped with konflux."""
    if path:
        p = Path(path)
        try:
            return parse_trusted_root(p.read_bytes(), source=str(p))
        except OSError as exc:
            raise TrustedRootError(f"cannot read trusted root {path}: {exc.strerror}") from exc
    return _shipped_trusted_root()


# Sigstore's public-good TrustedRoot (Fulcio CAs, Rekor and CT keys), as its TUF repository
# (tuf-repo-cdn.sigstore.dev) published it; the copy sigstore-python 4.5.1 embeds. Shipped
# here rather than read from the `sigstore` package: that package exposes the root only
# behind its private `_store/` directory or its TUF client (network, a user cache), so we
# keep the file ourselves and drop the dependency. Refresh: docs/sigstore.md.
PUBLIC_GOOD_ROOT = Path(__file__).parent / "roots" / "public-good.json"


@functools.cache
def _shipped_trusted_root() -> TrustedRoot:
    # Parsed once per process: it only changes when the package is upgraded.
    try:
        data = PUBLIC_GOOD_ROOT.read_bytes()
    except OSError as exc:
        raise TrustedRootError(
            f"no trusted root: pass --trusted-root FILE (the shipped root {PUBLIC_GOOD_ROOT} "
            f"is unreadable: {exc.strerror})"
        ) from exc
    return parse_trusted_root(data, source="the shipped sigstore public-good root")


@dataclass(frozen=True)
class Identity:
    """One acceptable signer; unset fields do not constrain (cosign `Identity`)."""

    subject: str | None = None
    subject_regexp: str | None = None
    issuer: str | None = None
    issuer_regexp: str | None = None

    def describe(self) -> str:
        parts = [
            f"{k}={v}"
            for k, v in (
                ("subject", self.subject),
                ("subjectRegExp", self.subject_regexp),
                ("issuer", self.issuer),
                ("issuerRegExp", self.issuer_regexp),
            )
            if v
        ]
        return ", ".join(parts) or "any"


def _der_utf8(value: bytes) -> str:
    # A DER UTF8String (tag 0x0c) with short or long length form.
    if len(value) < 2 or value[0] != 0x0C:
        raise ValueError("not a DER UTF8String")
    n = value[1]
    offset = 2
    if n & 0x80:
        size = n & 0x7F
        n = int.from_bytes(value[2 : 2 + size], "big")
        offset = 2 + size
    return value[offset : offset + n].decode()


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> bytes | None:
    try:
        ext = cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None
    value = ext.value
    return value.value if isinstance(value, x509.UnrecognizedExtension) else None


def oidc_issuer(cert: x509.Certificate) -> str:
    """Fulcio's issuer extension: the DER v2 (.1.8) if present, else the raw v1 (.1.1)."""
    v2 = _extension(cert, OID_ISSUER_V2)
    if v2:
        try:
            return _der_utf8(v2)
        except ValueError:
            pass
    v1 = _extension(cert, OID_ISSUER_V1)
    return v1.decode(errors="replace") if v1 else ""


def _san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def subject_alternative_names(cert: x509.Certificate) -> list[str]:
    """All SAN values as cosign's `GetSubjectAlternateNames`: DNS, email, IP, URI, OtherName."""
    san = _san(cert)
    if san is None:
        return []
    out: list[str] = []
    out += san.get_values_for_type(x509.DNSName)
    out += san.get_values_for_type(x509.RFC822Name)
    out += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    out += san.get_values_for_type(x509.UniformResourceIdentifier)
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id == OID_OTHERNAME_SAN:
            try:
                out.append(_der_utf8(other.value))
            except ValueError:
                continue
    return out


def check_identity(cert: x509.Certificate, identities: Sequence[Identity]) -> str | None:
    """None when some identity matches the certificate (or none is required), else why not."""
    if not identities:
        return None
    issuer = oidc_issuer(cert)
    sans = subject_alternative_names(cert)
    for ident in identities:
        try:
            if ident.issuer_regexp:
                issuer_ok = re.search(ident.issuer_regexp, issuer) is not None
            elif ident.issuer:
                issuer_ok = ident.issuer == issuer
            else:
                issuer_ok = True
            if ident.subject_regexp:
                rx = re.compile(ident.subject_regexp)
                subject_ok = any(rx.search(s) for s in sans)
            elif ident.subject:
                subject_ok = ident.subject in sans
            else:
                subject_ok = True
        except re.error as exc:
            return f"malformed identity regular expression in {ident.describe()}: {exc}"
        if issuer_ok and subject_ok:
            return None
    return (
        "none of the expected identities matched what was in the certificate, "
        f"got subjects [{', '.join(sans)}] with issuer {issuer}"
    )


def parse_certificates(pem: str | bytes, *, where: str) -> list[x509.Certificate]:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        return [
            x509.load_der_x509_certificate(der)
            for kind, der in _pem_blocks(data)
            if kind == "CERTIFICATE"
        ]
    except ValueError as exc:
        raise TrustedRootError(f"{where}: cannot parse certificate: {exc}") from exc


def _fmt(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_expiry(
    cert: x509.Certificate, chain: Sequence[x509.Certificate], at: datetime
) -> str | None:
    """cosign's `CheckExpiry`: leaf and issuers valid at `at`."""
    if cert.not_valid_after_utc < at:
        return (
            f"certificate expired before observed time: {_fmt(cert.not_valid_after_utc)} "
            f"is before {_fmt(at)}"
        )
    if cert.not_valid_before_utc > at:
        return (
            f"certificate was issued after observed time: {_fmt(cert.not_valid_before_utc)} "
            f"is after {_fmt(at)}"
        )
    for c in chain:
        if c.not_valid_after_utc < at or c.not_valid_before_utc > at:
            return (
                f"issuing CA certificate {c.subject.rfc4514_string()} not valid at "
                f"{_fmt(at)} ({_fmt(c.not_valid_before_utc)} .. {_fmt(c.not_valid_after_utc)})"
            )
    return None


def verify_chain(
    cert: x509.Certificate,
    root: TrustedRoot,
    at: datetime,
    *,
    untrusted: Sequence[x509.Certificate] = (),
) -> tuple[list[x509.Certificate], str | None]:
    """(issuing chain without the leaf, None) when `cert` chains to a CA of `root` valid at
    `at`; else ([], reason)."""
    cas = [ca for ca in root.certificate_authorities if ca.valid_at(at)]
    if not cas:
        return [], (
            f"no certificate authority of {root.source} is valid at {_fmt(at)}"
            if root.certificate_authorities
            else f"{root.source} has no certificate authorities"
        )
    # Fulcio certificates carry code-signing, not client-auth: allow any EKU in the
    # path policy and check code-signing below (as sigstore-python does).
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    last_error = "certificate does not chain to the trusted root"
    for ca in cas:
        verifier = (
            PolicyBuilder()
            .store(Store(list(ca.certificates)))
            .time(at)
            .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
            .build_client_verifier()
        )
        try:
            chain = verifier.verify(cert, list(untrusted) + list(ca.certificates)).chain[1:]
        except (VerificationError, ValueError) as exc:
            last_error = f"certificate chain verification failed: {exc}"
            continue
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            return [], "certificate has no extended key usage (code signing required)"
        if ExtendedKeyUsageOID.CODE_SIGNING not in eku:
            return [], "certificate extended key usage does not contain code signing"
        return chain, None
    return [], f"{last_error} ({root.source})"


def certificate_metadata(cert: x509.Certificate) -> dict[str, str]:
    """ec's `metadata` of a signature made with a certificate."""
    meta = {
        "Subject": cert.subject.rfc4514_string(),
        "Issuer": cert.issuer.rfc4514_string(),
        "Serial Number": format(cert.serial_number, "x"),
        "Not Before": _fmt(cert.not_valid_before_utc),
        "Not After": _fmt(cert.not_valid_after_utc),
    }
    san = _san(cert)
    if san is not None:
        groups = {
            "DNS Names": san.get_values_for_type(x509.DNSName),
            "Email Addresses": san.get_values_for_type(x509.RFC822Name),
            "IP addresses": [str(i) for i in san.get_values_for_type(x509.IPAddress)],
            "URIs": san.get_values_for_type(x509.UniformResourceIdentifier),
        }
        parts = [f"{k}:{', '.join(v)}" for k, v in groups.items() if v]
        for other in san.get_values_for_type(x509.OtherName):
            if other.type_id == OID_OTHERNAME_SAN:
                with contextlib.suppress(ValueError):
                    parts.append(f"OtherName:{_der_utf8(other.value)}")
        meta["Subject Alternative Name"] = "; ".join(sorted(parts))
    for name, suffix in _RAW_EXTENSIONS.items():
        raw = _extension(cert, x509.ObjectIdentifier(f"1.3.6.1.4.1.57264.{suffix}"))
        if raw:
            meta[name] = raw.decode(errors="replace")
    for name, suffix in _UTF8_EXTENSIONS.items():
        raw = _extension(cert, x509.ObjectIdentifier(f"1.3.6.1.4.1.57264.{suffix}"))
        if raw:
            with contextlib.suppress(ValueError):
                meta[name] = _der_utf8(raw)
    return {k: v for k, v in meta.items() if v}


@dataclass(frozen=True)
class KeylessPolicy:
    """What a keyless verification trusts: a root and the acceptable identities."""

    trusted_root: TrustedRoot
    identities: tuple[Identity, ...] = field(default_factory=tuple)
