"""Domain exceptions. Services raise these; the API maps them to HTTP status codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class DomainError(Exception):
    """Base of every domain error: a stable code, a message key and its parameters."""

    code = "domain_error"

    def __init__(self, message_key: str, /, **params: Any) -> None:
        super().__init__(message_key)
        self.message_key = message_key
        self.params = params


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class InvalidInput(DomainError):
    code = "invalid_input"


class Conflict(DomainError):
    code = "conflict"


class ServiceUnavailable(DomainError):
    """A remote service (a large model, a gateway) cannot answer now; the offline path stands."""

    code = "service_unavailable"


class InvalidTransition(Conflict):
    code = "invalid_transition"


@contextmanager
def referencing() -> Iterator[None]:
    """Inside, a NotFound about an id or code the request body referred to is invalid input (422),
    not a missing resource (404)."""
    try:
        yield
    except NotFound as exc:
        raise referenced(exc) from exc


def referenced(exc: NotFound) -> InvalidInput:
    """Return the InvalidInput for a NotFound raised by an id the request body referred to."""
    return InvalidInput(exc.message_key, **exc.params)
