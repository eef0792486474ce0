"""Supply-chain commands, cosign-compatible: `key generate`, `sign`, `attest`, `sbom attach`.

Thin over `konflux.engine.sigstore` (formats, signing) and `konflux.engine.oci`
(registry I/O). What these commands write is what `cosign` writes, so
`cosign verify --key cosign.pub` and `ec validate image` read it.

`konflux.cli.main` registers `key`, `sign`, `attest` and `sbom` on the root
group. Machine output (the pushed artifact reference) goes to stdout;
progress and errors go to stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from konflux.cli import options
from konflux.cli.command import Command, Failed, Group

T = TypeVar("T")


def _password(confirm: bool) -> bytes:
    # cosign: $COSIGN_PASSWORD when set (even empty), else ask on a terminal.
    if "COSIGN_PASSWORD" in os.environ:
        return os.environ["COSIGN_PASSWORD"].encode()
    if sys.stdin.isatty():
        return click.prompt(
            "Enter password for private key",
            hide_input=True,
            confirmation_prompt=confirm,
            default="",
            show_default=False,
            err=True,
        ).encode()
    raise Failed("no password: set $COSIGN_PASSWORD (it may be empty)")


def _run_with_client(insecure: tuple[str, ...], work: Callable[[Any], Awaitable[T]]) -> T:
    import asyncio

    from konflux.engine.oci import RegistryClient

    async def main() -> T:
        async with RegistryClient(insecure=insecure) as client:
            return await work(client)

    return asyncio.run(main())


async def _resolved(client: Any, image: str) -> Any:
    from konflux.engine.oci import parse_reference

    # Sign the digest, never a tag that could move between reads (cosign does the same).
    return await client.resolve(parse_reference(image))


def _artifact(image: Any, suffix: str, digest: str) -> str:
    from konflux.engine.sigstore import cosign_layout as layout

    tag = layout.triangulation_tag(str(image.digest), suffix)
    return f"{image.context}:{tag}@{digest}"


@click.group(cls=Group)
def key() -> None:
    """Manage signing keys."""


@key.command("generate")
@options.KEY_GENERATE
def key_generate(output_key_prefix: str, algorithm: str, force: bool, secret: str | None) -> None:
    """Generate a cosign key pair (encrypted private key PEM and public key PEM), or print
    it as the Kubernetes Secrets the Chains-style signer reads (`--secret`)."""
    from konflux.cli.console import stderr
    from konflux.engine.sigstore.keys import generate_key_pair

    private, public = Path(f"{output_key_prefix}.key"), Path(f"{output_key_prefix}.pub")
    target = None
    if secret is not None:
        namespace, sep, name = secret.partition("/")
        if not sep or not namespace or not name or "/" in name:
            raise click.BadParameter(f"{secret!r} is not NAMESPACE/NAME", param_hint="--secret")
        target = (namespace, name)
    for path in (public,) if target else (private, public):
        if path.exists() and not force:
            raise Failed(f"{path} already exists (use --force to overwrite)")
        if not path.parent.is_dir():
            raise Failed(f"cannot write {path}: no such directory {path.parent}")
    password = _password(confirm=True)
    pair = generate_key_pair(password, algorithm)
    public.write_bytes(pair.public_pem)
    if target is not None:
        import yaml

        from konflux.controllers.chains.secrets import key_secrets

        secrets = key_secrets(*target, pair, password)
        click.echo(yaml.safe_dump_all(secrets, sort_keys=False), nl=False)
        stderr().print(
            f"Secret {target[0]}/{target[1]} written to stdout\n"
            f"Secret {target[0]}/public-key written to stdout\n"
            f"Public key written to {public}",
            highlight=False,
        )
        return
    private.write_bytes(pair.private_pem)
    private.chmod(0o600)
    stderr().print(
        f"Private key written to {private}\nPublic key written to {public}", highlight=False
    )


@click.command(cls=Command)
@options.SIGN
def sign(image: str, key_ref: str, annotations: tuple[str, ...], insecure: tuple[str, ...]) -> None:
    """Sign IMAGE and push the signature to `<repo>:sha256-<hex>.sig`."""
    from konflux.engine.sigstore import cosign_layout as layout
    from konflux.engine.sigstore.keys import load_private_key
    from konflux.engine.sigstore.sign import sign_image

    extra: dict[str, str] = {}
    for item in annotations:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="'--annotations'")
        extra[name] = value
    private = load_private_key(key_ref, _password(confirm=False))

    async def work(client: Any) -> str:
        ref = await _resolved(client, image)
        digest = await sign_image(client, ref, private, annotations=extra or None)
        return _artifact(ref, layout.SIGNATURE_SUFFIX, digest)

    click.echo(_run_with_client(insecure, work))


@click.command(cls=Command)
@options.ATTEST
def attest(
    image: str, key_ref: str, predicate_path: str, predicate_kind: str, insecure: tuple[str, ...]
) -> None:
    """Attest a predicate about IMAGE and push it to `<repo>:sha256-<hex>.att`."""
    from konflux.engine.sigstore import cosign_layout as layout
    from konflux.engine.sigstore.keys import load_private_key
    from konflux.engine.sigstore.payloads import predicate_from_file, resolve_predicate_type
    from konflux.engine.sigstore.sign import attest_image

    predicate_type = resolve_predicate_type(predicate_kind)
    try:
        data = Path(predicate_path).read_bytes()
    except OSError as exc:
        raise Failed(f"cannot read predicate {predicate_path}: {exc.strerror}") from None
    predicate = predicate_from_file(predicate_kind, data, source=predicate_path)
    private = load_private_key(key_ref, _password(confirm=False))

    async def work(client: Any) -> str:
        ref = await _resolved(client, image)
        digest = await attest_image(client, ref, private, predicate_type, predicate)
        return _artifact(ref, layout.ATTESTATION_SUFFIX, digest)

    click.echo(_run_with_client(insecure, work))


@click.group(cls=Group)
def sbom() -> None:
    """Attach SBOMs to images."""


@sbom.command("attach")
@options.SBOM_ATTACH
def sbom_attach(image: str, sbom_path: str, sbom_kind: str, insecure: tuple[str, ...]) -> None:
    """Attach an SBOM to IMAGE at `<repo>:sha256-<hex>.sbom` (as `cosign attach sbom`)."""
    from konflux.engine.sigstore import cosign_layout as layout
    from konflux.engine.sigstore.sign import attach_sbom

    try:
        document = Path(sbom_path).read_bytes()
    except OSError as exc:
        raise Failed(f"cannot read SBOM {sbom_path}: {exc.strerror}") from None
    media_type = layout.sbom_media_type(sbom_kind, document, sbom_path)

    async def work(client: Any) -> str:
        ref = await _resolved(client, image)
        digest = await attach_sbom(client, ref, document, media_type)
        return _artifact(ref, layout.SBOM_SUFFIX, digest)

    click.echo(_run_with_client(insecure, work))
