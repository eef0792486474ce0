"""A SLSA Verification Summary Attestation (VSA v1) for a validated Snapshot.

The statement's subjects are the validated images; the predicate records the
verifier, the time, the policy and the outcome per the SLSA VSA spec
(https://slsa.dev/spec/v1.0/verification_summary). Signing it (DSSE) is done
by the caller with a key, so this module stays pure.
"""

from __future__ import annotations

import json
from typing import Any

from konflux.engine.output.documents import rfc3339, sorted_targets
from konflux.engine.report import Report
from konflux.engine.sigstore.payloads import VSA
from konflux.engine.vsa_store import policy_digest

VSA_PREDICATE = VSA  # the one spelling, kept with the other predicate types
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
VERIFIER_ID = "https://github.com/konflux-ci/konflux-python"


def vsa_statement(report: Report) -> dict[str, Any]:
    subjects = []
    for t in sorted_targets(report):
        ref = t.image or t.name
        repo, _, digest = ref.partition("@")
        algo, _, value = digest.partition(":")
        subjects.append(
            {"name": repo, "digest": {algo: value}} if value else {"name": ref, "digest": {}}
        )
    return {
        "_type": STATEMENT_V1,
        "subject": subjects,
        "predicateType": VSA_PREDICATE,
        "predicate": {
            "verifier": {"id": VERIFIER_ID, "version": {"konflux": report.version}},
            "timeVerified": rfc3339(report.created),
            "resourceUri": report.snapshot or (subjects[0]["name"] if subjects else ""),
            "policy": {
                "uri": "EnterpriseContractPolicy",
                "digest": {"sha256": policy_digest(report.policy)},
            },
            "verificationResult": "PASSED" if report.success else "FAILED",
            # Which SLSA level a pass proves depends on the policy's rules: claim none.
            "verifiedLevels": [],
            "slsaVersion": "1.0",
            "effectiveTime": rfc3339(report.effective_time),
        },
    }


def signed_vsa(report: Report, key: Any) -> str:
    """The VSA statement in a DSSE envelope signed with `key` (a sigstore `PrivateKey`)."""
    from konflux.engine.sigstore.dsse import sign_envelope

    payload = json.dumps(vsa_statement(report), separators=(",", ":")).encode()
    return sign_envelope(payload, key).to_json().decode()
