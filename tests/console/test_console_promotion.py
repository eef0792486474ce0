"""What a Snapshot's pages say about its promotion: the gates' decision once the integration
controller recorded it (`gates.konflux.dev/promotion`), the console's own reading of the
conditions before, and an error for a record that is not the controllers' shape.

The decided cases are written by the integration controller's own reconcile
(`reconcile_snapshot` with the shipped gates), applied to the emulator, then served.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from console_support import (
    APP,
    SNAP_OK,
    TENANT,
    ServedConsole,
    dump_entry,
    fetch,
    k8s_object,
    small_world,
)

from konflux.controllers import constants as c
from konflux.controllers.gates import Gates
from konflux.controllers.integration import reconcile_snapshot
from konflux.controllers.operators import apply

PULL_REQUEST = {
    c.PAC_COPY_PREFIX + "event-type": "pull_request",
    c.PAC_COPY_PREFIX + "pull-request": "7",
    c.AUTO_RELEASE_LABEL: "false",
}


def snapshot(name: str, labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    body = {"application": APP, "components": []}
    meta = {"labels": {c.APPLICATION_LABEL: APP, **labels}, "annotations": annotations}
    return dump_entry(c.SNAPSHOT, k8s_object(c.SNAPSHOT, name, TENANT, body, metadata=meta))


@pytest.fixture(scope="module")
def served():
    forged = json.dumps({"promoted": True, "denied": [{"code": "x", "msg": "y"}], "gates": "g"})
    world = [
        *small_world(),
        snapshot("pushed", {}, {}),
        snapshot("from-a-pr", PULL_REQUEST, {}),
        snapshot("garbled", {}, {c.PROMOTION_ANNOTATION: "{not json"}),
        snapshot("forged", {}, {c.PROMOTION_ANNOTATION: forged}),
    ]
    with ServedConsole(world) as s:

        async def decide(cluster: Any) -> None:
            # The integration controller's own reconcile decides and records, as it would
            # once the Snapshot's tests are over (it has no scenario: at once).
            plans = await cluster.client.list(c.RELEASE_PLAN, TENANT)
            for name in ("pushed", "from-a-pr"):
                snap = await cluster.client.get(c.SNAPSHOT, TENANT, name)
                await apply(cluster.client, reconcile_snapshot(snap, [], [], {}, plans, []))

        s.call(decide)
        yield s


def page(served: ServedConsole, name: str) -> str:
    status, body, _ = fetch(served, f"/ns/{TENANT}/snapshots/{name}", "admin")
    assert status == 200, body
    section = re.search(r'<section class="promotion" id="promotion">(.*?)</section>', body, re.S)
    assert section, body
    return section.group(1)


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def application_cell(served: ServedConsole, name: str) -> str:
    """The "Released" cell of the Snapshot's row on the application page."""
    status, body, _ = fetch(served, f"/ns/{TENANT}/applications/{APP}", "admin")
    assert status == 200, body
    row = re.search(rf'<tr><td><a href="[^"]*/snapshots/{name}">.*?</tr>', body, re.S)
    assert row, body
    return text(re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)[3])


def test_promoted_snapshot_shows_its_plans_and_the_gates_digest(served):
    section = page(served, "pushed")
    digest = Gates.load().digest
    assert '<span class="badge ok"' in section and ">promoted</span>" in section
    assert "Auto-released by ReleasePlans <code>to-prod</code>" in section
    assert f"decided by gates <code>{digest}</code>" in section
    assert '<ul class="denials">' not in section and "not yet decided" not in section
    cell = application_cell(served, "pushed")
    assert cell.startswith("promoted auto-released by to-prod")


def test_denied_snapshot_shows_each_code_and_message(served):
    section = page(served, "from-a-pr")
    assert '<span class="badge bad"' in section and ">not promoted</span>" in section
    denials = re.findall(r'<li><span class="code">(.*?)</span> (.*?)</li>', section)
    assert denials == [
        (
            "gates.integration.auto_release_enabled",
            "Snapshot from-a-pr has auto-release turned off",
        ),
        ("gates.integration.push_event", "Snapshot from-a-pr is not from a push event"),
    ]
    assert f"decided by gates <code>{Gates.load().digest}</code>" in section
    assert "Auto-released" not in section
    cell = application_cell(served, "from-a-pr")
    assert "gates.integration.auto_release_enabled: Snapshot from-a-pr has auto-release" in cell
    assert "gates.integration.push_event" in cell


@pytest.mark.parametrize(
    ("name", "why"),
    [("garbled", "not JSON"), ("forged", "promoted with denials")],
)
def test_malformed_record_is_an_error_never_promoted(served, name, why):
    section = page(served, name)
    assert '<span class="badge bad"' in section and ">promotion unknown</span>" in section
    assert f"the {c.PROMOTION_ANNOTATION} annotation is unreadable: {why}" in text(section)
    assert ">promoted</span>" not in section and "decided by gates" not in section
    assert "not yet decided" not in section


def test_without_a_record_the_page_says_the_gates_have_not_decided(served):
    section = page(served, SNAP_OK)  # tested, never reconciled: no record
    assert "not yet decided by the gates" in text(section)
    assert "decided by gates <code>" not in section
    assert "not yet decided by the gates" in application_cell(served, SNAP_OK)
