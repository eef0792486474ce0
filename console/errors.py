"""Typed errors of the console; each becomes an error page that says what to do."""

from __future__ import annotations

from konflux.engine.errors import KonfluxError


class ConsoleError(KonfluxError):
    """The console could not show a page; the message says why."""

    status = 500


class Unauthenticated(ConsoleError):
    """No token, or a token the API server does not accept (TokenReview)."""

    status = 401


class AccessDenied(ConsoleError):
    """A SubjectAccessReview said the user may not read what the page needs."""

    status = 403

    def __init__(self, user: str, verb: str, what: str, namespace: str, name: str = "") -> None:
        self.user, self.verb, self.what, self.namespace, self.name = (
            user,
            verb,
            what,
            namespace,
            name,
        )
        target = f"{what} {name!r}" if name else what
        where = f" in namespace {namespace!r}" if namespace else ""
        super().__init__(f"{user} may not {verb} {target}{where} (ask for a Role that grants it)")


class NotFound(ConsoleError):
    """The object a page names does not exist."""

    status = 404


class ApiUnavailable(ConsoleError):
    """The API server failed a request the console needs (review or read)."""

    status = 503
