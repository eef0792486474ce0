"""Every option of every `konflux` command, declared once, each with its help text.

Commands compose these (`@options.VALIDATE_INPUT`); flags shared by several
commands (`--policy`, `--output`, `--effective-time`, the retry knobs, ...) are
one object each, so a flag reads and defaults the same everywhere. Choices come
from `konflux.engine.choices`; nothing here imports the engine's heavy parts,
so `konflux --help` stays quick.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from konflux.cli.go_values import GoDuration
from konflux.controllers.constants import DEFAULT_OPERATORS, OPERATORS
from konflux.engine.choices import (
    FILTER_TYPES,
    IMAGE_FORMATS,
    INPUT_FORMATS,
    KEY_ALGORITHMS,
    PREDICATE_KINDS,
    SBOM_KINDS,
)

Decorator = Callable[[Any], Any]


def compose(*decorators: Decorator) -> Decorator:
    """Apply options in the order written (click lists them in `--help` in that order)."""

    def apply(f: Any) -> Any:
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


# -- the root command ---------------------------------------------------------------------------

LIMIT = click.option(
    "--limit",
    "limit_settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Raise (or lower) a read limit for this run, e.g. extract-bytes=1GiB "
    "(docs/limits.md). Repeatable.",
)

# -- shared by validate input and validate image ------------------------------------------------

POLICY = click.option(
    "--policy",
    "-p",
    "policy_ref",
    required=True,
    metavar="POLICY",
    help="The EnterpriseContractPolicy: a file, a directory holding policy.yaml, "
    "inline JSON/YAML, a git URL (git::URL//DIR?ref=REV), or the resource in the cluster "
    "(NAME or NAMESPACE/NAME). Relative source paths in it resolve against the current "
    "directory.",
)


def output(formats: tuple[str, ...], *, per_target_options: bool) -> Decorator:
    suffix = "[?show-successes=BOOL]" if per_target_options else ""
    return click.option(
        "--output",
        "-o",
        "outputs",
        multiple=True,
        metavar=f"FORMAT[=PATH]{suffix}",
        help=f"Write the report as FORMAT to stdout, or to PATH. Repeatable. "
        f"Formats: {', '.join(formats)}. Default: text.",
    )


STRICT = click.option(
    "--strict/--no-strict",
    default=True,
    show_default=True,
    help="Exit 1 when the report has a violation; --no-strict exits 0 after writing it.",
)
EFFECTIVE_TIME_HELP = "now, RFC 3339 (2026-01-02T15:04:05Z) or YYYY-MM-DD (UTC)"
ALLOW_PAST = click.option(
    "--allow-past-effective-time",
    is_flag=True,
    help="Accept an --effective-time in the past (rules that became effective since "
    "are then ignored).",
)
INFO = click.option(
    "--info", is_flag=True, help="Report every metadata key of each result (title, solution, ...)."
)
SHOW_SUCCESSES = click.option(
    "--show-successes", is_flag=True, help="List the rules that passed in the report, too."
)
SHOW_WARNINGS = click.option(
    "--show-warnings/--no-show-warnings",
    default=True,
    show_default=True,
    help="Include warnings in the report.",
)
EXTRA_RULE_DATA = click.option(
    "--extra-rule-data",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set rule data KEY for every source (over its ruleData). Repeatable, or "
    "comma-separated. A VALUE naming a .json/.yaml/.yml file stands for its text.",
)
COLOR = compose(
    click.option(
        "--color",
        is_flag=True,
        help="Colour the text report even when stdout is not a terminal.",
    ),
    click.option(
        "--no-color",
        is_flag=True,
        help="No colour in the text report even on a terminal (NO_COLOR does the same).",
    ),
)
SHOW_POLICY_DOCS_LINK = click.option(
    "--show-policy-docs-link",
    is_flag=True,
    help="End the text report with a link to the policy documentation when it has "
    "violations or warnings.",
)
FILTER_TYPE = click.option(
    "--filter-type",
    type=click.Choice(FILTER_TYPES),
    default=FILTER_TYPES[0],
    show_default=True,
    help="How rules are selected: by the sources' include/exclude only, or ec-policy: "
    "also by the ruleData pipeline_intention.",
)


def workers(what: str) -> Decorator:
    return click.option(
        "--workers",
        default=5,
        show_default=True,
        type=click.IntRange(1, 64),
        help=f"How many {what} are checked at the same time, each on its own evaluator.",
    )


INSECURE_REGISTRY = click.option(
    "--insecure-registry",
    "insecure",
    multiple=True,
    metavar="HOST",
    help="Allow plain HTTP for HOST. Repeatable. Loopback registries are always allowed.",
)

# -- validate input -------------------------------------------------------------------------------

VALIDATE_INPUT = compose(
    click.argument("files", nargs=-1),
    click.option("--file", "-f", "extra_files", multiple=True, hidden=True),
    POLICY,
    output(INPUT_FORMATS, per_target_options=False),
    STRICT,
    click.option(
        "--effective-time",
        default="now",
        show_default=True,
        help=f"The time rules are evaluated at: {EFFECTIVE_TIME_HELP}.",
    ),
    ALLOW_PAST,
    INFO,
    SHOW_SUCCESSES,
    SHOW_WARNINGS,
    workers("inputs"),
    EXTRA_RULE_DATA,
    FILTER_TYPE,
    click.option(
        "--server",
        "server_mode",
        is_flag=True,
        help="Serve ec's HTTP API (POST /v1/validate/input, /live, /ready) for this policy "
        "instead of validating files; no authentication: bind to loopback or put a proxy "
        "in front.",
    ),
    click.option(
        "--server-address",
        default="127.0.0.1",
        show_default=True,
        help="The address --server listens on (0.0.0.0: every IPv4 address).",
    ),
    click.option(
        "--server-port",
        default=8080,
        show_default=True,
        type=click.IntRange(0, 65535),
        help="The port --server listens on.",
    ),
    COLOR,
    SHOW_POLICY_DOCS_LINK,
)

VALIDATE_POLICY = compose(
    click.argument("policy_ref", metavar="POLICY", required=False),
    click.option(
        "--policy",
        "-p",
        "policy_option",
        metavar="POLICY",
        help="The policy, as ec takes it (the argument also works).",
    ),
)

# `ec`'s registry retry knobs; the defaults are `konflux.engine.oci.RetryPolicy`'s (a test
# keeps them equal: importing the registry client here would load aiohttp at startup).
RETRY = (
    (
        "max-retry",
        3,
        click.IntRange(min=0),
        "N",
        "Retries of a registry request after the first attempt (429, 5xx, connection errors).",
    ),
    ("duration", 1.0, GoDuration(), "DURATION", "The wait before the first retry (1s, 500ms)."),
    ("factor", 2.0, click.FloatRange(min=1), "F", "Each further wait is the previous one times F."),
    (
        "jitter",
        0.1,
        click.FloatRange(0, 1),
        "J",
        "Each wait varies randomly by up to this fraction.",
    ),
    ("max-wait", 3.0, GoDuration(), "DURATION", "No single wait is longer than this (3s)."),
)

# -- validate image -------------------------------------------------------------------------------

VALIDATE_IMAGE = compose(
    click.option("--image", "-i", "image", metavar="REF", help="An image reference to validate."),
    click.option(
        "--images",
        metavar="SNAPSHOT",
        help="A Snapshot or Snapshot spec to validate: a file, or inline JSON/YAML.",
    ),
    click.option(
        "--snapshot",
        metavar="NAME",
        help="A Snapshot resource in the cluster (NAME or NAMESPACE/NAME), or an inline "
        "Snapshot spec.",
    ),
    click.option(
        "--file-path", "-f", metavar="FILE", hidden=True, help="Deprecated: use --images."
    ),
    click.option(
        "--json-input", "-j", metavar="JSON", hidden=True, help="Deprecated: use --images."
    ),
    POLICY,
    click.option(
        "--public-key",
        "-k",
        metavar="KEY",
        help="The public key signatures and attestations must verify with: a PEM file, "
        "inline PEM, or k8s://[NAMESPACE/]NAME (the Secret's cosign.pub). Default: the "
        "policy's publicKey.",
    ),
    click.option(
        "--certificate-identity",
        metavar="ID",
        help="Keyless: the identity (SAN) the signing certificate must name.",
    ),
    click.option(
        "--certificate-identity-regexp",
        metavar="RE",
        help="Keyless: a regular expression the certificate's identity must match.",
    ),
    click.option(
        "--certificate-oidc-issuer",
        metavar="URL",
        help="Keyless: the OIDC issuer the certificate must name.",
    ),
    click.option(
        "--certificate-oidc-issuer-regexp",
        metavar="RE",
        help="Keyless: a regular expression the certificate's OIDC issuer must match.",
    ),
    click.option(
        "--trusted-root",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="A sigstore TrustedRoot JSON (Fulcio CAs, Rekor keys). Default: sigstore's "
        "public-good root, shipped with konflux.",
    ),
    click.option(
        "--rekor-url",
        metavar="URL",
        help="Recorded as the policy's rekorUrl (data.config.default_sigstore_opts); "
        "never contacted.",
    ),
    click.option(
        "--rekor-public-key",
        metavar="KEY",
        help="The Rekor public key (PEM file or inline) that verifies Rekor bundles.",
    ),
    click.option("--ignore-rekor", is_flag=True, help="Do not check Rekor bundles."),
    click.option(
        "--skip-image-sig-check",
        is_flag=True,
        help="Do not verify image signatures (attestations are still verified).",
    ),
    click.option(
        "--skip-att-sig-check",
        is_flag=True,
        help="Read attestations without verifying their signatures: for debugging a "
        "policy only, nothing about them is trusted.",
    ),
    output(IMAGE_FORMATS, per_target_options=True),
    click.option(
        "--output-file",
        metavar="FILE",
        hidden=True,
        help="Deprecated (ec's -o): write the JSON report to FILE.",
    ),
    COLOR,
    SHOW_POLICY_DOCS_LINK,
    STRICT,
    click.option(
        "--effective-time",
        default="now",
        show_default=True,
        help=f"The time rules are evaluated at: {EFFECTIVE_TIME_HELP}, or attestation "
        "(the latest build finish time among the attestations).",
    ),
    ALLOW_PAST,
    EXTRA_RULE_DATA,
    workers("images"),
    INFO,
    SHOW_SUCCESSES,
    SHOW_WARNINGS,
    click.option(
        "--timeout",
        default="5m",
        show_default=True,
        type=GoDuration(),
        metavar="DURATION",
        help="Fail the run when it takes longer than this (5m, 90s; plain seconds too); "
        "0: no limit.",
    ),
    FILTER_TYPE,
    click.option(
        "--vsa-signing-key",
        metavar="KEY",
        help="A private key (cosign format, password from $COSIGN_PASSWORD; or "
        "k8s://NAMESPACE/NAME for the Secret's cosign.key and cosign.password): VSAs and "
        "the vsa output become signed DSSE envelopes.",
    ),
    click.option("--vsa", "vsa", is_flag=True, help="Write a VSA for each validated image."),
    click.option(
        "--attestation-format",
        default="dsse",
        show_default=True,
        metavar="FORMAT",
        help="--vsa writes signed DSSE envelopes (dsse, needs --vsa-signing-key) or the "
        "bare statements (predicate).",
    ),
    click.option(
        "--attestation-output-dir",
        metavar="DIR",
        help="Where --vsa writes its files. Default: a new temporary directory.",
    ),
    click.option(
        "--vsa-upload",
        multiple=True,
        metavar="BACKEND",
        help="Also store each VSA: local@DIR (vsa-<time>-<hash>.json files, as ec names "
        "them), or oci (an attestation on the image; needs --vsa-signing-key). Repeatable.",
    ),
    click.option(
        "--vsa-public-key",
        metavar="KEY",
        help="The key stored VSAs must be signed with, for --vsa-expiration.",
    ),
    click.option(
        "--vsa-expiration",
        default="168h",
        show_default=True,
        metavar="DURATION",
        help="An image with a stored VSA (in a --vsa-upload backend) younger than this, for "
        "the same policy, is not validated again; 0 turns this off.",
    ),
    click.option(
        "--policy-key",
        metavar="KEY",
        help="A public key (PEM file or inline) every oci:: policy bundle must be signed with.",
    ),
    INSECURE_REGISTRY,
    *(
        click.option(
            f"--retry-{name}",
            default=default,
            show_default=True,
            type=kind,
            metavar=metavar,
            help=text,
        )
        for name, default, kind, metavar, text in RETRY
    ),
)

# -- policy test, inspect, bundle, track-task ------------------------------------------------------

POLICY_TEST = compose(
    click.argument("paths", nargs=-1, metavar="[PATH]..."),
    click.option(
        "--run",
        "-r",
        "run_filter",
        metavar="REGEX",
        help="Only the tests whose data.<package>.<name> matches REGEX.",
    ),
    click.option(
        "--data",
        "-d",
        multiple=True,
        metavar="PATH",
        help="A data file or directory, merged at the root of data. Repeatable.",
    ),
    click.option("--coverage", is_flag=True, help="Report line coverage per file."),
    click.option(
        "--threshold",
        type=click.FloatRange(0, 100),
        default=0.0,
        metavar="PCT",
        help="Fail when the total coverage is below PCT percent (implies --coverage).",
    ),
    click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="How results are printed.",
    ),
    click.option("--verbose", "-v", is_flag=True, help="List every test, not only failing ones."),
)

POLICY_INSPECT = compose(
    click.option(
        "--source",
        "-s",
        "sources",
        multiple=True,
        metavar="URL",
        help="A policy source: a path, file::, git::, github.com/... or oci:: URL. Repeatable.",
    ),
    click.option(
        "--policy",
        "-p",
        "policy_ref",
        metavar="POLICY",
        help="Inspect the policy sources of this EnterpriseContractPolicy instead.",
    ),
    click.option(
        "--output",
        "-o",
        "fmt",
        default="text",
        show_default=True,
        help="How rules are listed: text, json, names, short-names or markdown (an unknown "
        "one exits 1, as ec).",
    ),
    click.option(
        "--rule",
        "rule_filter",
        metavar="NAME",
        help="Only this rule: its code, package.short_name or short_name.",
    ),
    click.option("--package", "package_filter", metavar="PKG", help="Only rules of this package."),
    click.option(
        "--collection",
        "collection_filter",
        metavar="NAME",
        help="Only rules listed in this collection.",
    ),
)

BUNDLE_DIRECTORY = click.argument("directory", type=click.Path(exists=True, file_okay=False))
BUNDLE_BUILD = compose(
    BUNDLE_DIRECTORY,
    click.option(
        "--output",
        "-o",
        required=True,
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="The tarball to write (bundle.tar.gz).",
    ),
    click.option(
        "--revision",
        default="dev",
        show_default=True,
        help="The revision recorded in the bundle's .manifest.",
    ),
)
BUNDLE_PUSH = compose(
    BUNDLE_DIRECTORY,
    click.argument("reference"),
    click.option(
        "--revision",
        help="The bundle's version annotation. Default: the reference's tag.",
    ),
)
BUNDLE_PULL = compose(
    click.argument("reference"),
    click.argument("directory", type=click.Path(file_okay=False)),
    click.option("--force", is_flag=True, help="Replace files that already exist in DIRECTORY."),
)
TRACK_TASK = compose(
    click.argument("reference"),
    click.option(
        "--data",
        "data_file",
        required=True,
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="The trusted-task rule data file to update (YAML), created when missing.",
    ),
    click.option(
        "--effective-on",
        metavar="TIME",
        help="RFC 3339 time the new record takes effect. Default: now.",
    ),
)

# -- supply chain ---------------------------------------------------------------------------------

SIGNING_KEY = click.option(
    "--key",
    "key_ref",
    required=True,
    metavar="KEY",
    help="The private key file (cosign's encrypted PEM), or inline PEM; password from "
    "$COSIGN_PASSWORD.",
)
KEY_GENERATE = compose(
    click.option(
        "--output-key-prefix",
        default="cosign",
        show_default=True,
        metavar="PREFIX",
        help="Write PREFIX.key (the encrypted private key) and PREFIX.pub.",
    ),
    click.option(
        "--algorithm",
        type=click.Choice(KEY_ALGORITHMS),
        default=KEY_ALGORITHMS[0],
        show_default=True,
        help="The key type.",
    ),
    click.option("--force", is_flag=True, help="Overwrite existing key files."),
    click.option(
        "--secret",
        metavar="NAMESPACE/NAME",
        help="Print the key as Kubernetes Secrets on stdout instead: NAME with cosign.key, "
        "cosign.password and cosign.pub (as Tekton Chains reads it) and public-key with "
        "cosign.pub. Only PREFIX.pub is written.",
    ),
)
SIGN = compose(
    click.argument("image"),
    SIGNING_KEY,
    click.option(
        "-a",
        "--annotations",
        multiple=True,
        metavar="KEY=VALUE",
        help="Extra key=value pairs for the payload's `optional` section. Repeatable.",
    ),
    INSECURE_REGISTRY,
)
ATTEST = compose(
    click.argument("image"),
    SIGNING_KEY,
    click.option(
        "--predicate",
        "predicate_path",
        required=True,
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="The predicate file.",
    ),
    click.option(
        "--type",
        "predicate_kind",
        default="custom",
        show_default=True,
        metavar="TYPE",
        help=f"The predicate type: one of {', '.join(PREDICATE_KINDS)}, or a predicate "
        "type URI. custom wraps the file's text as {Data, Timestamp}.",
    ),
    INSECURE_REGISTRY,
)
SBOM_ATTACH = compose(
    click.argument("image"),
    click.option(
        "--sbom",
        "sbom_path",
        required=True,
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="The SBOM document.",
    ),
    click.option(
        "--type",
        "sbom_kind",
        type=click.Choice(SBOM_KINDS),
        default=SBOM_KINDS[0],
        show_default=True,
        help="The SBOM's format (sets the layer's media type).",
    ),
    INSECURE_REGISTRY,
)

# -- demo, dev ------------------------------------------------------------------------------------

DEMO = click.option(
    "--output",
    "-o",
    "outputs",
    multiple=True,
    default=("text",),
    show_default=True,
    metavar="FORMAT[=PATH]",
    help="Passed to validate image --output. Repeatable.",
)
DEV_SIMULATE = compose(
    click.option(
        "--failing",
        is_flag=True,
        help="Include the component that violates the policy (tests informational); "
        "the managed pipeline's policy check then fails the Release.",
    ),
    click.option(
        "--forged",
        is_flag=True,
        help="The tenant builds an image on its laptop, signs and attests it with its own "
        "key and a provenance copied from a real build; the release refuses it.",
    ),
    click.option(
        "--output",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="How the outcome is printed.",
    ),
    click.option(
        "--console",
        "with_console",
        is_flag=True,
        help="Serve the web console over the simulated cluster while the flow runs, and "
        "after it until interrupted (docs/console.md).",
    ),
    click.option(
        "--console-port",
        type=click.IntRange(0, 65535),
        default=8080,
        show_default=True,
        help="The web console's port on 127.0.0.1.",
    ),
)
DEV_REGISTRY = compose(
    click.option(
        "--port",
        type=click.IntRange(1, 65535),
        default=5000,
        show_default=True,
        help="Serve on 127.0.0.1:PORT.",
    ),
    click.option(
        "--storage",
        type=click.Path(file_okay=False),
        metavar="DIR",
        help="Keep the registry's content in DIR. Default: a temporary directory, removed "
        "at the end.",
    ),
)
DEV_IMAGE = compose(
    click.argument("reference"),
    click.option(
        "--label",
        "labels",
        multiple=True,
        metavar="KEY=VALUE",
        help="A config label of the image. Repeatable.",
    ),
    click.option(
        "--base",
        metavar="REF",
        help="Name REF (pinned to its digest) as the base image in the manifest annotations.",
    ),
    click.option(
        "--file",
        "files",
        multiple=True,
        metavar="PATH=TEXT",
        help="A file of the image's one layer. Repeatable. Default: one file of random bytes.",
    ),
    click.option(
        "--platform",
        "platforms",
        multiple=True,
        metavar="OS/ARCH",
        help="Push an image index with one image per platform instead. Repeatable.",
    ),
    INSECURE_REGISTRY,
)

# -- webhook --------------------------------------------------------------------------------------

KUBECONFIG_HELP = (
    "Kubeconfig file. Default: $KUBECONFIG, then the in-cluster service account, then "
    "~/.kube/config (docs/kubernetes.md)."
)
KUBECONFIG = click.option(
    "--kubeconfig",
    type=click.Path(exists=True, dir_okay=False),
    metavar="FILE",
    help=KUBECONFIG_HELP,
)
CONTEXT = click.option(
    "--context", default=None, help="Kubeconfig context. Default: its current-context."
)
WEBHOOK_SERVE = compose(
    click.option(
        "--tls-cert",
        type=click.Path(exists=True, dir_okay=False),
        required=True,
        metavar="FILE",
        help="The serving certificate (PEM); reloaded when it changes.",
    ),
    click.option(
        "--tls-key",
        type=click.Path(exists=True, dir_okay=False),
        required=True,
        metavar="FILE",
        help="The serving key (PEM); reloaded when it changes.",
    ),
    click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=8443,
        show_default=True,
        help="The port to listen on (0: any free port).",
    ),
    click.option(
        "--host",
        default="0.0.0.0",
        show_default=True,
        help="The address to listen on (0.0.0.0: every IPv4 address).",
    ),
    click.option(
        "--policy",
        "policy",
        default=None,
        metavar="POLICY",
        help="An EnterpriseContractPolicy whose sources hold the admission rules.",
    ),
    click.option(
        "--bundle",
        default=None,
        metavar="DIR|oci::REF",
        help="The admission rules: a directory or an OCI bundle. Default: the shipped "
        "rego/admission.",
    ),
    click.option(
        "--kubeconfig",
        default=None,
        metavar="FILE",
        help=f"For the rules' lookups. {KUBECONFIG_HELP}",
    ),
    CONTEXT,
    click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=2,
        show_default=True,
        help="Evaluator threads (one OPA engine each); requests queued meanwhile are batched.",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=8.0,
        show_default=True,
        metavar="SECONDS",
        help="Per-request deadline (keep it below the API server's timeoutSeconds).",
    ),
    click.option(
        "--max-body",
        type=click.IntRange(min=1),
        default=3 * 1024 * 1024,
        show_default=True,
        metavar="BYTES",
        help="The largest accepted request body.",
    ),
    click.option(
        "--read-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=5.0,
        show_default=True,
        metavar="SECONDS",
        help="Time a client has for the TLS handshake, then for each request's headers and body.",
    ),
    click.option(
        "--max-reading",
        type=click.IntRange(min=1),
        default=64,
        show_default=True,
        metavar="N",
        help="Connections being read at once; one more closes the one reading longest.",
    ),
    click.option(
        "--cache-ttl",
        type=click.FloatRange(min=0),
        default=5.0,
        show_default=True,
        metavar="SECONDS",
        help="How long a Kubernetes lookup answer is reused.",
    ),
)
WEBHOOK_CERTS = compose(
    click.option(
        "--dns",
        "names",
        multiple=True,
        required=True,
        metavar="NAME",
        help="A DNS name (or IP) of the webhook Service. Repeatable.",
    ),
    click.option(
        "--out",
        type=click.Path(file_okay=False),
        required=True,
        metavar="DIR",
        help="The directory for ca.crt, ca.key, tls.crt and tls.key.",
    ),
    click.option(
        "--days",
        type=click.IntRange(min=1),
        default=365,
        show_default=True,
        help="How long the certificates are valid.",
    ),
)

# -- controllers ----------------------------------------------------------------------------------

CONTROLLERS_RUN = compose(
    click.option(
        "--only",
        default=",".join(DEFAULT_OPERATORS),
        show_default=True,
        metavar="NAMES",
        help=f"Comma-separated operators to run, of {','.join(OPERATORS)}. The chains "
        "signer runs apart, in its own namespace: ask for it alone.",
    ),
    click.option(
        "--namespace",
        "namespaces",
        multiple=True,
        help="Watch only this namespace. Repeatable. Default: every namespace.",
    ),
    KUBECONFIG,
    CONTEXT,
    click.option("--standalone", is_flag=True, help="No peering (leader election) with replicas."),
    click.option(
        "--peering-name",
        default="konflux-controllers",
        show_default=True,
        help="The KopfPeering object replicas elect a leader through.",
    ),
    click.option(
        "--registry",
        default="localhost:5000",
        show_default=True,
        metavar="HOST",
        help="The OCI registry new ImageRepositories point at.",
    ),
    click.option(
        "--pac-dir",
        type=click.Path(file_okay=False),
        default=None,
        metavar="DIR",
        help="Also write the proposed .tekton/ PipelineRuns under this directory.",
    ),
    click.option(
        "--chains-namespace",
        default="konflux-chains",
        show_default=True,
        metavar="NS",
        help="chains: the signer's namespace (its Secret signing-secrets, ConfigMap "
        "chains-config and per-run state).",
    ),
    click.option(
        "--insecure-registry",
        "insecure",
        multiple=True,
        metavar="HOST",
        help="chains: allow plain HTTP to HOST (loopback registries always are). Repeatable.",
    ),
    click.option(
        "--gates",
        metavar="DIR|oci::REF[@DIGEST]",
        default=None,
        help="The gates bundle deciding whether a Release may start and a Snapshot is "
        "promoted (packages gates.release, gates.integration). Default: the shipped "
        "rego/gates.",
    ),
    click.option(
        "--gates-key",
        metavar="KEY",
        default=None,
        help="A public key (PEM file or inline) the oci:: gates bundle must be signed with.",
    ),
)
GC_SNAPSHOTS = compose(
    click.option(
        "--namespace",
        "namespaces",
        multiple=True,
        help="Only this namespace. Repeatable. Default: every namespace.",
    ),
    KUBECONFIG,
    CONTEXT,
    click.option(
        "--keep-push",
        type=click.IntRange(min=0),
        default=500,
        show_default=True,
        help="Snapshots of push builds kept per namespace.",
    ),
    click.option(
        "--keep-pr",
        type=click.IntRange(min=0),
        default=70,
        show_default=True,
        help="Snapshots of pull-request builds kept per namespace.",
    ),
    click.option(
        "--keep-per-component",
        type=click.IntRange(min=0),
        default=5,
        show_default=True,
        help="Newest Snapshots kept for each component, whatever the totals.",
    ),
    click.option("--dry-run", is_flag=True, help="Print what would be deleted; delete nothing."),
    click.option("--server", default=None, hidden=True, help="API URL, no credentials (tests)."),
)


# -- ec's other commands: test, inspect, fetch, init, track, validate vsa, version --------------

TEST = compose(
    click.argument("paths", nargs=-1, metavar="PATH..."),
    click.option(
        "--policy",
        "-p",
        "policies",
        multiple=True,
        metavar="PATH",
        help="Rego policy files or directories (repeatable, comma-separated). Default: policy.",
    ),
    click.option(
        "--data",
        "-d",
        multiple=True,
        metavar="PATH",
        help="Data files or directories, mounted by directory as opa mounts them.",
    ),
    click.option(
        "--namespace",
        "-n",
        "namespaces",
        multiple=True,
        metavar="NS",
        help="Namespaces (packages) to test; patterns like 'app.*' too. Default: main.",
    ),
    click.option("--all-namespaces", is_flag=True, help="Test every namespace of the policies."),
    click.option(
        "--combine", is_flag=True, help="Evaluate every file together, as one input list."
    ),
    click.option(
        "--output",
        "-o",
        default="stdout",
        show_default=True,
        metavar="FORMAT[=PATH]",
        help="stdout, json, tap, table, junit, github, azuredevops or appstudio.",
    ),
    click.option("--fail-on-warn", is_flag=True, help="Exit 1 on warnings, and 2 on failures."),
    click.option(
        "--no-fail",
        is_flag=True,
        help="Exit 0 even when a policy fails (and, with appstudio, on errors).",
    ),
    click.option("--no-color", is_flag=True, help="No colour in the standard text output."),
    click.option(
        "--suppress-exceptions", is_flag=True, help="Leave exceptions out of the text output."
    ),
    click.option("--quiet", is_flag=True, help="Print nothing when every check passes."),
    click.option("--parser", default="", metavar="NAME", help="Parse every file with NAME."),
    click.option(
        "--ignore", default="", metavar="REGEX", help="Paths to skip when walking directories."
    ),
    click.option(
        "--junit-hide-message", is_flag=True, help="JUnit test names without the message."
    ),
    click.option(
        "--rego-version",
        default="v1",
        show_default=True,
        help="The Rego syntax of the policies; only v1 is supported.",
    ),
)

INSPECT_FORMATS = ("json", "text", "names", "short-names", "markdown")
INSPECT_POLICY = compose(
    POLICY_INSPECT,
    click.option(
        "--dest",
        "-d",
        metavar="DIR",
        help="Fetch the sources into DIR (policy/<id>) and keep them there.",
    ),
)
INSPECT_POLICY_DATA = compose(
    click.option(
        "--source",
        "-s",
        "sources",
        multiple=True,
        required=True,
        metavar="URL",
        help="A data source (path, file::, git::, github.com/..., oci::). Repeatable.",
    ),
    click.option(
        "--dest",
        "-d",
        metavar="DIR",
        help="Fetch the sources into DIR (policy/<id>) and keep them there.",
    ),
    click.option(
        "--output",
        "-o",
        "fmt",
        default="json",
        show_default=True,
        help="json or yaml.",
    ),
)
FETCH_POLICY = compose(
    click.option(
        "--source",
        "-s",
        "sources",
        multiple=True,
        required=True,
        metavar="URL",
        help="A policy source, fetched into DEST/policy/<id>. Repeatable.",
    ),
    click.option(
        "--data-source",
        "data_sources",
        multiple=True,
        metavar="URL",
        help="A data source, fetched into DEST/data/<id>. Repeatable.",
    ),
    click.option(
        "--dest", "-d", default=".", show_default=True, metavar="DIR", help="Where to fetch to."
    ),
    click.option(
        "--work-dir",
        "-w",
        is_flag=True,
        help="Fetch into a new temporary directory instead of --dest.",
    ),
)
INIT_POLICIES = click.option(
    "--dest-dir",
    "-d",
    default="",
    metavar="DIR",
    help="Write DIR/sample.rego (DIR is created). Default: print the policy.",
)
TRACK_BUNDLE = compose(
    click.option(
        "--bundle",
        "-b",
        "bundles",
        multiple=True,
        metavar="REF",
        help="A Tekton bundle image to track (recorded when it holds a Task). Repeatable.",
    ),
    click.option(
        "--git",
        "-g",
        "gits",
        multiple=True,
        metavar="git+URL//PATH@REV",
        help="A task file in git to track. Repeatable.",
    ),
    click.option(
        "--input",
        "-i",
        "input_",
        default="",
        metavar="FILE|oci:REF",
        help="Existing tracking data to extend.",
    ),
    click.option(
        "--output",
        "-o",
        default="",
        metavar="FILE|oci:REF",
        help="Write the result to FILE, or push it as a data bundle. Default: stdout.",
    ),
    click.option("--replace", "-r", is_flag=True, help="Write the result back to --input."),
    click.option(
        "--prune/--no-prune",
        "-p",
        default=True,
        show_default=True,
        help="Drop the records that have expired.",
    ),
    click.option(
        "--freshen", is_flag=True, help="Re-resolve every tracked bundle tag and git path."
    ),
    click.option(
        "--in-effect-days",
        default=60,
        show_default=True,
        type=click.IntRange(0),
        help="Days an older record stays valid once a newer one is added.",
    ),
)
VALIDATE_VSA = compose(
    click.argument("identifier", required=False),
    click.option(
        "--vsa", "-v", "vsa_identifier", metavar="FILE|IMAGE", help="A VSA file, or an image."
    ),
    click.option(
        "--images", metavar="SNAPSHOT", help="A Snapshot: check each component's stored VSA."
    ),
    POLICY,
    click.option(
        "--vsa-retrieval",
        multiple=True,
        metavar="BACKEND",
        help="Where to look for VSAs: file@DIR (or local@DIR), or oci. Default: oci.",
    ),
    click.option(
        "--vsa-public-key",
        metavar="KEY",
        help="The key VSAs must be signed with (file, inline PEM or k8s://).",
    ),
    click.option(
        "--ignore-signature-verification",
        is_flag=True,
        help="Accept VSAs without checking their signature.",
    ),
    click.option(
        "--vsa-expiration",
        default="168h",
        show_default=True,
        metavar="DURATION",
        help="The oldest VSA accepted (24h, 7d, 1w).",
    ),
    click.option(
        "--no-fallback",
        is_flag=True,
        help="Fail images without a valid VSA instead of validating them.",
    ),
    click.option(
        "--fallback-public-key",
        metavar="KEY",
        help="The image signing key for the fallback validation. Default: --vsa-public-key.",
    ),
    STRICT,
    click.option(
        "--output",
        "-o",
        "outputs",
        multiple=True,
        metavar="FORMAT",
        help="json or text. Default: text.",
    ),
)
VERSION = compose(
    click.option("--json", "-j", "as_json", is_flag=True, help="Print it as JSON."),
    click.option("--short", "-s", is_flag=True, help="Print only the version."),
)


# -- console --------------------------------------------------------------------------------------

CONSOLE_SERVE = compose(
    KUBECONFIG,
    CONTEXT,
    click.option(
        "--host", default="127.0.0.1", show_default=True, help="The address to listen on."
    ),
    click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=None,
        help="The port. Default: 8443 with TLS, else 8080.",
    ),
    click.option(
        "--tls-cert",
        type=click.Path(exists=True, dir_okay=False),
        metavar="FILE",
        help="The serving certificate (PEM), with --tls-key; reloaded when it changes.",
    ),
    click.option(
        "--tls-key",
        type=click.Path(exists=True, dir_okay=False),
        metavar="FILE",
        help="The serving key (PEM), with --tls-cert.",
    ),
    click.option(
        "--plain-http",
        is_flag=True,
        help="Serve without TLS on a non-loopback address (behind a TLS-terminating proxy).",
    ),
    click.option(
        "--session-key-file",
        type=click.Path(exists=True, dir_okay=False),
        metavar="FILE",
        help="32-byte key (raw or 64 hex digits) sealing session cookies; give replicas the "
        "same one. Default: a new key per process (a restart logs everyone out).",
    ),
    click.option(
        "--read-ttl",
        type=float,
        default=2.0,
        show_default=True,
        help="Seconds a read from the API server is reused (shared by all users).",
    ),
    click.option(
        "--review-ttl",
        type=float,
        default=10.0,
        show_default=True,
        help="Seconds a TokenReview or SubjectAccessReview answer is reused.",
    ),
    click.option(
        "--vsa-public-key",
        "vsa_public_keys",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False),
        metavar="FILE",
        help="PEM public key a VSA result must be signed with for its verdict to be shown "
        "(repeatable). Without one, a VSA is shown as 'signature not checked'.",
    ),
    click.option(
        "--allow-local-sources",
        is_flag=True,
        hidden=True,
        help="Load local policy source paths (development only: they name the console's files).",
    ),
)
