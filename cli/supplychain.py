"""Supply-chain commands, cosign-compatible: `key generate`, `sign`, `attest`, `sbom attach`.

Thin over `konflux.engine.sigstore` (formats, signing) and `konflux.engine.oci`
(registry I/O). What these commands write is what `cosign` writes, so
`cosign verify --key cosign.pub` and `ec validate image` read it.

The lead registers the click objects `key`, `sign`, `attest` and `sbom` on the
root group. Machine output (the pushed artifact reference) goes to stdout;
progress and errors go to stderr.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml
from rich.console import Console
from rich.markup import escape

from konflux.engine.errors import KonfluxError
from konflux.engine.oci import ImageReference, RegistryClient, parse_reference
from konflux.engine.sigstore import cosign_layout as layout
from konflux.engine.sigstore.keys import ALGORITHMS, generate_key_pair, load_private_key
from konflux.engine.sigstore.payloads import predicate_from_file, resolve_predicate_type
from konflux.engine.sigstore.sign import attach_sbom, attest_image, sign_image

stderr = Console(stderr=True)
T = TypeVar("T")


class Failed(click.ClickException):
    """An error already explained to the user: exit 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        stderr.print(f"[bold red]Error:[/] {escape(self.message)}", highlight=False, soft_wrap=True)


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


def _run_with_client(
    insecure: tuple[str, ...], work: Callable[[RegistryClient], Awaitable[T]]
) -> T:
    async def main() -> T:
        async with RegistryClient(insecure=insecure) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except KonfluxError as exc:
        raise Failed(str(exc)) from None


async def _resolved(client: RegistryClient, image: str) -> ImageReference:
    # Sign the digest, never a tag that could move between reads (cosign does the same).
    return await client.resolve(parse_reference(image))


def _artifact(image: ImageReference, suffix: str, digest: str) -> str:
    tag = layout.triangulation_tag(str(image.digest), suffix)
    return f"{image.context}:{tag}@{digest}"


_insecure_option = click.option(
    "--insecure-registry",
    "insecure",
    multiple=True,
    metavar="HOST",
    help="Allow plain HTTP for HOST (loopback registries are always allowed).",
)
_key_option = click.option(
    "--key",
    "key_ref",
    required=True,
    metavar="KEY",
    help="Private key file (cosign's encrypted PEM); password from $COSIGN_PASSWORD.",
)


@click.group()
def key() -> None:
    """Manage signing keys."""


@key.command("generate")
@click.option(
    "--output-key-prefix",
    default="cosign",
    show_default=True,
    help="Write PREFIX.key and PREFIX.pub.",
)
@click.option("--algorithm", type=click.Choice(ALGORITHMS), default="ecdsa-p256", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
@click.option(
    "--secret",
    "secret",
    metavar="NAMESPACE/NAME",
    help="Print the key as Kubernetes Secrets instead (NAME with cosign.key, "
    "cosign.password, cosign.pub, as Tekton Chains reads it; and public-key with "
    "cosign.pub) and write only PREFIX.pub.",
)
def key_generate(output_key_prefix: str, algorithm: str, force: bool, secret: str | None) -> None:
    """Generate a cosign key pair (encrypted private key PEM and public key PEM)."""
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
    password = _password(confirm=True)
    try:
        pair = generate_key_pair(password, algorithm)
    except KonfluxError as exc:
        raise Failed(str(exc)) from None
    public.write_bytes(pair.public_pem)
    if target is not None:
        from konflux.controllers.chains.secrets import key_secrets

        click.echo(
            yaml.safe_dump_all(key_secrets(*target, pair, password), sort_keys=False), nl=False
        )
        stderr.print(
            f"Secrets {target[0]}/{target[1]} and {target[0]}/public-key written to stdout\n"
            f"Public key written to {public}",
            highlight=False,
        )
        return
    private.write_bytes(pair.private_pem)
    private.chmod(0o600)
    stderr.print(
        f"Private key written to {private}\nPublic key written to {public}", highlight=False
    )


@click.command()
@click.argument("image")
@_key_option
@click.option(
    "-a",
    "--annotations",
    multiple=True,
    metavar="KEY=VALUE",
    help="Extra key=value pairs for the payload's `optional` section.",
)
@_insecure_option
def sign(image: str, key_ref: str, annotations: tuple[str, ...], insecure: tuple[str, ...]) -> None:
    """Sign IMAGE and push the signature to `<repo>:sha256-<hex>.sig`."""
    extra: dict[str, str] = {}
    for item in annotations:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--annotations")
        extra[name] = value
    try:
        private = load_private_key(key_ref, _password(confirm=False))
    except KonfluxError as exc:
        raise Failed(str(exc)) from None

    async def work(client: RegistryClient) -> str:
        ref = await _resolved(client, image)
        digest = await sign_image(client, ref, private, annotations=extra or None)
        return _artifact(ref, layout.SIGNATURE_SUFFIX, digest)

    click.echo(_run_with_client(insecure, work))


@click.command()
@click.argument("image")
@_key_option
@click.option(
    "--predicate",
    "predicate_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The predicate file.",
)
@click.option(
    "--type",
    "predicate_kind",
    default="custom",
    show_default=True,
    help="slsaprovenance|slsaprovenance02|slsaprovenance1|cyclonedx|spdx|spdxjson|"
    "custom, or a predicate type URI.",
)
@_insecure_option
def attest(
    image: str, key_ref: str, predicate_path: str, predicate_kind: str, insecure: tuple[str, ...]
) -> None:
    """Attest a predicate about IMAGE and push it to `<repo>:sha256-<hex>.att`."""
    try:
        predicate_type = resolve_predicate_type(predicate_kind)
        data = Path(predicate_path).read_bytes()
        predicate = predicate_from_file(predicate_kind, data, source=predicate_path)
        private = load_private_key(key_ref, _password(confirm=False))
    except OSError as exc:
        raise Failed(f"cannot read predicate {predicate_path}: {exc.strerror}") from None
    except KonfluxError as exc:
        raise Failed(str(exc)) from None

    async def work(client: RegistryClient) -> str:
        ref = await _resolved(client, image)
        digest = await attest_image(client, ref, private, predicate_type, predicate)
        return _artifact(ref, layout.ATTESTATION_SUFFIX, digest)

    click.echo(_run_with_client(insecure, work))


@click.group()
def sbom() -> None:
    """Attach SBOMs to images."""


@sbom.command("attach")
@click.argument("image")
@click.option(
    "--sbom", "sbom_path", required=True, type=click.Path(dir_okay=False), help="The SBOM document."
)
@click.option(
    "--type",
    "sbom_kind",
    type=click.Choice(["spdx", "cyclonedx", "syft"]),
    default="spdx",
    show_default=True,
)
@_insecure_option
def sbom_attach(image: str, sbom_path: str, sbom_kind: str, insecure: tuple[str, ...]) -> None:
    """Attach an SBOM to IMAGE at `<repo>:sha256-<hex>.sbom` (as `cosign attach sbom`)."""
    try:
        document = Path(sbom_path).read_bytes()
        media_type = layout.sbom_media_type(sbom_kind, document, sbom_path)
    except OSError as exc:
        raise Failed(f"cannot read SBOM {sbom_path}: {exc.strerror}") from None
    except KonfluxError as exc:
        raise Failed(str(exc)) from None

    async def work(client: RegistryClient) -> str:
        ref = await _resolved(client, image)
        digest = await attach_sbom(client, ref, document, media_type)
        return _artifact(ref, layout.SBOM_SUFFIX, digest)

    click.echo(_run_with_client(insecure, work))
