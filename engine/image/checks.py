"""The built-in checks `validate image` runs before the policy, with `ec`'s codes and messages.

Each check yields a result: a violation when it failed, a success when it
passed (the access check reports only failures, as `ec`).
"""

from __future__ import annotations

from dataclasses import dataclass

from konflux.engine.report import Result

NO_SIGNATURE = (
    "No image signatures found matching the given public key. Verify the correct public key "
    "was provided, and a signature was created. Error: {}"
)
NO_ATTESTATION = (
    "No image attestations found matching the given public key. Verify the correct public key "
    "was provided, and one or more attestations were created. Error: {}"
)
NO_MATCHING_ATTESTATIONS = "No attestations contain a subject that match the given image."

_CHECKS = {
    "accessible": (
        "builtin.image.accessible",
        "Image URL is accessible",
        "The image URL is available and accessible.",
    ),
    "image_signature": (
        "builtin.image.signature_check",
        "Image signature check passed",
        "The image signature matches available signing materials.",
    ),
    "attestation_signature": (
        "builtin.attestation.signature_check",
        "Attestation signature check passed",
        "The attestation signature matches available signing materials.",
    ),
    "attestation_syntax": (
        "builtin.attestation.syntax_check",
        "Attestation syntax check passed",
        "The attestation has correct syntax.",
    ),
    # Ours, reported only when they fail (ec has no such checks: it logs and goes on).
    "image_files": (
        "builtin.image.files",
        "Image files readable",
        "The files of an OLM bundle image (its manifests directory) could be read.",
    ),
    "verification": (
        "builtin.image.verification",
        "Image checks completed",
        "Every check of the image ran to completion.",
    ),
}
# Checks whose passing is not listed among the successes.
SILENT_WHEN_PASSED = frozenset({"accessible", "image_files", "verification"})


@dataclass(frozen=True)
class CheckOutcome:
    """A built-in check's verdict: `error` None means it passed."""

    check: str
    error: str | None = None
    no_match: bool = False  # key-based verification found nothing signed with the key

    @property
    def passed(self) -> bool:
        return self.error is None

    def result(self, *, keyless: bool = False) -> Result:
        code, title, description = _CHECKS[self.check]
        meta = {"code": code, "title": title, "description": description}
        if self.error is None:
            return Result("Pass", meta)
        return Result(self._message(keyless), meta)

    def _message(self, keyless: bool) -> str:
        if self.check == "accessible":
            return f"Image URL is not accessible: {self.error}"
        if self.check == "image_files":
            return f"Image files could not be read: {self.error}"
        if self.check == "verification":
            return f"Image could not be checked: {self.error}"
        if self.check == "attestation_syntax":
            return f"Attestation syntax check failed: {self.error}"
        if self.no_match and not keyless:
            template = NO_SIGNATURE if self.check == "image_signature" else NO_ATTESTATION
            return template.format(self.error)
        what = "signature" if self.check == "image_signature" else "attestation"
        return f"Image {what} check failed: {self.error}"
