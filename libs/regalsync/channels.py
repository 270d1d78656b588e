"""Open client channels to other regal-sync services.

Every channel gets:

* a retry policy for UNAVAILABLE (a replica restarting or draining). Other
  codes are not retried by the channel: RESOURCE_EXHAUSTED means a tenant's
  budget is spent, which a retry within milliseconds will not cure, and the
  caller's queue retries later. Retries are safe because every request
  carries an idempotency key;
* a default deadline for calls that set none;
* keepalive pings, so a dead peer is noticed on an idle channel;
* ``round_robin`` load balancing over every address of the target;
* the caller's ``request_id`` and ``tenant`` from structlog's context
  variables, sent as ``x-request-id`` and ``x-tenant-id`` metadata;
* when tracing is on, a client span whose context travels as
  ``traceparent`` metadata (see tracing.py).

Targets: ``host:port`` (DNS; a Kubernetes headless service resolves to every
replica), any target with a scheme (``dns:///``, ``ipv4:``, ``unix:``), or
a comma-separated list of IP addresses, ``127.0.0.1:5001,127.0.0.1:5002``,
which becomes ``ipv4:127.0.0.1:5001,127.0.0.1:5002`` for client-side
balancing without DNS.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from typing import Any

import grpc
import structlog

from regalsync.grpc_interceptor import REQUEST_ID_KEY, TENANT_ID_KEY
from regalsync.tracing import client_span

__all__ = ["ContextMetadataInterceptor", "make_channel", "resolve_target"]

_MAX_ATTEMPTS_LIMIT = 5  # gRPC caps retries at five attempts.
_KEEPALIVE_OPTIONS = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
)

# Metadata key sent for each structlog context variable.
_PROPAGATED = ((REQUEST_ID_KEY, "request_id"), (TENANT_ID_KEY, "tenant"))


def make_channel(
    target: str,
    *,
    service_names: Sequence[str],
    timeout_seconds: float,
    max_attempts: int = 4,
) -> Any:
    """Return a ``grpc.aio.Channel`` with retries, deadline and keepalive."""
    if not 1 <= max_attempts <= _MAX_ATTEMPTS_LIMIT:
        raise ValueError(f"max_attempts must be 1..{_MAX_ATTEMPTS_LIMIT}")
    config = service_config(service_names, max_attempts)
    options = [
        ("grpc.service_config", json.dumps(config)),
        ("grpc.enable_retries", 1),
        *_KEEPALIVE_OPTIONS,
    ]

    return grpc.aio.insecure_channel(
        resolve_target(target),
        options=options,
        interceptors=[ContextMetadataInterceptor(timeout_seconds)],
    )


def service_config(
    service_names: Sequence[str], max_attempts: int
) -> dict[str, Any]:
    """Build the gRPC service config: balancing and the retry policy."""
    method_config: dict[str, Any] = {
        "name": [{"service": name} for name in service_names],
    }
    if max_attempts > 1:
        method_config["retryPolicy"] = {
            "maxAttempts": max_attempts,
            "initialBackoff": "0.1s",
            "maxBackoff": "2s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        }

    return {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [method_config],
    }


def resolve_target(target: str) -> str:
    """Turn a comma-separated address list into an ``ipv4:``/``ipv6:`` target."""
    target = target.strip()
    if "," not in target or ":/" in target or target.startswith(
        ("ipv4:", "ipv6:", "unix:", "dns:")
    ):
        return target
    families = {_ip_family(address.strip()) for address in target.split(",")}
    if len(families) != 1:
        raise ValueError("an address list cannot mix IPv4 and IPv6")
    addresses = ",".join(part.strip() for part in target.split(","))

    return f"{families.pop()}:{addresses}"


def _ip_family(address: str) -> str:
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"{address!r} has no port")
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(
            f"{address!r}: a list of addresses must use IP literals; "
            "for host names use one DNS name that resolves to all replicas"
        ) from None

    return f"ipv{ip.version}"


# grpc ships no type information, so its base classes are Any to mypy.
class ContextMetadataInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.aio.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.aio.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.aio.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Send the log context's ids and a default deadline with each call."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout_seconds = timeout_seconds

    async def intercept_unary_unary(
        self, continuation: Any, client_call_details: Any, request: Any
    ) -> Any:
        """Call on with context metadata and a deadline."""
        return await self._call(continuation, client_call_details, request)

    async def intercept_unary_stream(
        self, continuation: Any, client_call_details: Any, request: Any
    ) -> Any:
        """Call on with context metadata and a deadline."""
        return await self._call(continuation, client_call_details, request)

    async def intercept_stream_unary(
        self, continuation: Any, client_call_details: Any, request_iterator: Any
    ) -> Any:
        """Call on with context metadata and a deadline."""
        return await self._call(continuation, client_call_details, request_iterator)

    async def intercept_stream_stream(
        self, continuation: Any, client_call_details: Any, request_iterator: Any
    ) -> Any:
        """Call on with context metadata and a deadline."""
        return await self._call(continuation, client_call_details, request_iterator)

    async def _call(self, continuation: Any, details: Any, request: Any) -> Any:
        method = details.method
        traced = client_span(method.decode() if isinstance(method, bytes) else method)
        trace_metadata = traced[0] if traced is not None else {}
        call = await continuation(self._details(details, trace_metadata), request)
        if traced is not None:
            call.add_done_callback(traced[1])

        return call

    def _details(self, details: Any, trace_metadata: dict[str, str]) -> Any:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        context = structlog.contextvars.get_contextvars()
        for key, name in _PROPAGATED:
            value = context.get(name)
            if isinstance(value, str) and key not in metadata:
                metadata.add(key, value)
        for key, value in trace_metadata.items():
            metadata.add(key, value)
        timeout = details.timeout
        if timeout is None:
            timeout = self._timeout_seconds

        return grpc.aio.ClientCallDetails(
            method=details.method,
            timeout=timeout,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )
