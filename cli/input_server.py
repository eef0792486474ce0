"""`konflux validate input --server`: run `ec`'s HTTP API for one policy until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from typing import Any

import click

from konflux.cli.cluster_refs import load_policy_ref
from konflux.engine import Settings, parse_effective_time
from konflux.webhooks import jsonlog
from konflux.webhooks.input_service import InputService, ServiceConfig, serve


def run_input_server(
    policy_ref: str,
    *,
    effective_time: str,
    allow_past: bool,
    extra_rule_data: dict[str, Any],
    filter_type: str,
    info: bool,
    show_successes: bool,
    show_warnings: bool,
    address: str,
    port: int,
) -> None:
    try:
        when = parse_effective_time(effective_time, allow_past=allow_past)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--effective-time") from None
    # As ec: a long-running service logs JSON lines at info level on stderr.
    jsonlog.configure(logging.INFO)
    service = InputService(
        ServiceConfig(
            policy=load_policy_ref(policy_ref),
            settings=Settings(
                effective_time=when, extra_rule_data=extra_rule_data, filter_type=filter_type
            ),
            info=info,
            show_successes=show_successes,
            show_warnings=show_warnings,
        )
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(service, address, port))
    except OSError as exc:  # the port: anything later is answered over HTTP
        from konflux.cli.command import Failed

        if exc.errno == errno.EADDRINUSE:
            raise Failed(
                f"cannot listen on {address}:{port}: the address is already in use"
            ) from None
        raise Failed(f"cannot listen on {address}:{port}: {exc.strerror or exc}") from None
