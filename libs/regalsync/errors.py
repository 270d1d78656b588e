"""Domain errors, each with the gRPC status code a caller receives.

Domain code raises these without knowing about gRPC; the server
interceptor turns them into statuses. Their message goes to the caller,
so it must name ids and fields, never personal data or secrets. Any other
exception becomes INTERNAL with a generic message.
"""

from __future__ import annotations

from typing import ClassVar

import grpc

__all__ = [
    "AlreadyExists",
    "BudgetExhausted",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "NotReady",
    "RegalSyncError",
    "Unavailable",
]


class RegalSyncError(Exception):
    """Base of the errors a caller may see, with their status code."""

    status_code: ClassVar[grpc.StatusCode] = grpc.StatusCode.INTERNAL


class InvalidInput(RegalSyncError):
    """Reject a request whose content is wrong; retrying will not help."""

    status_code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(RegalSyncError):
    """Report that a tenant, configuration or record does not exist."""

    status_code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(RegalSyncError):
    """Refuse to create what already exists under that key."""

    status_code = grpc.StatusCode.ALREADY_EXISTS


class Conflict(RegalSyncError):
    """Refuse a change the current state does not allow (e.g. a stale
    version)."""

    status_code = grpc.StatusCode.FAILED_PRECONDITION


class Unavailable(RegalSyncError):
    """Signal a transient failure; the caller should retry."""

    status_code = grpc.StatusCode.UNAVAILABLE


class NotReady(Unavailable):
    """Signal that the service is still starting or draining."""


class BudgetExhausted(RegalSyncError):
    """Report that a tenant's API budget or rate limit is used up."""

    status_code = grpc.StatusCode.RESOURCE_EXHAUSTED
