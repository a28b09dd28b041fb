"""Errors the services raise on purpose, free of any web framework.

`mycelix.api.errors` maps each class to one HTTP status in one table; the message is the
answer, and `code` (when given) overrides the class's error code where clients branch on it
(e.g. ``price_unknown``).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a service raises for a request it cannot serve."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class InvalidRequest(DomainError):
    """The request names something that does not fit (an unknown strategy, a missing upload)."""


class Unauthenticated(DomainError):
    """The caller could not be identified (a failed sign-in)."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class Missing(DomainError):
    """What the request names does not exist (here or on chain)."""


class Conflict(DomainError):
    """The request clashes with the current state (already registered, would revert)."""


class UnsupportedMedia(DomainError):
    """An upload is not the kind of media the operation needs."""


class Unavailable(DomainError):
    """A service the request needs cannot be reached now (e.g. the shared state's Redis)."""
