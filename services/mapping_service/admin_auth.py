"""Require the admin token on the RPCs that change or reveal operations data.

Reads other services depend on (GetTenant, ListTenants, the transforms,
Validate and Preview) stay open inside the cluster; applying, activating,
exporting, the event log and status need ``authorization: Bearer <token>``
when a token is configured. With no token configured every call passes,
which suits a laptop; the process logs a warning at start.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import grpc

SERVICE = "/regalsync.mapping.v1.MappingService/"
ADMIN_METHODS = frozenset(SERVICE + name for name in (
    "ApplyConfiguration", "ActivateConfigurationVersion", "ListConfigurationVersions",
    "DiffConfiguration", "ExportConfiguration", "QueryEventLog", "PurgeEventLog",
    "WriteDailySummary", "GetTenantStatus",
))
AUTHORIZATION_KEY = "authorization"


# grpc ships no type information, so its base classes are Any to mypy.
class AdminTokenInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Refuse admin RPCs without the configured bearer token."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    async def intercept_service(
        self, continuation: Callable[[Any], Any], handler_call_details: Any,
    ) -> Any:
        """Pass authorised calls on; answer the others UNAUTHENTICATED."""
        if handler_call_details.method not in ADMIN_METHODS:
            return await continuation(handler_call_details)
        metadata = dict(handler_call_details.invocation_metadata or ())
        presented = str(metadata.get(AUTHORIZATION_KEY, "")).encode()
        if hmac.compare_digest(presented, self._expected):
            return await continuation(handler_call_details)
        return grpc.unary_unary_rpc_method_handler(_refuse)


async def _refuse(request: Any, context: Any) -> None:
    await context.abort(grpc.StatusCode.UNAUTHENTICATED,
                        "admin calls need a valid token (REGALSYNC_ADMIN_TOKEN)")
