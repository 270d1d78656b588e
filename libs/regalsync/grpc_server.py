"""Run an asyncio gRPC server the way every regal-sync service does.

The server registers the service's own servicers, the standard health
service and reflection. Health answers NOT_SERVING, overall and per
service, until the caller says the service is ready; on shutdown it flips
back to NOT_SERVING before in-flight calls are drained, so probes and
load balancers stop sending work first.

Connections live at most ``max_connection_age_seconds`` (5 minutes by
default, give or take the 10 % jitter gRPC adds): the server then asks
the client to reconnect (HTTP/2 GOAWAY) and lets calls in flight finish
within the grace. Reconnecting makes a client resolve the service's DNS
name again, so pods added by a scale-up start receiving calls within
minutes instead of never (channels.py balances round-robin over every
address it resolved).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from regalsync.grpc_interceptor import CallObserver, ServerCallInterceptor
from regalsync.metrics import current_metrics

__all__ = ["HEALTH_SERVICE", "GrpcServer", "GrpcService", "serve_until"]

HEALTH_SERVICE: str = health_pb2.DESCRIPTOR.services_by_name[
    "Health"
].full_name

# Clients ping idle channels every 30 s (see channels.py); allow it.
_SERVER_OPTIONS = (
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 20_000),
)
MAX_CONNECTION_AGE_SECONDS = 300.0
# Longer than any call between services takes (their deadline is 10 s by
# default), so cycling a connection never cuts a call short.
MAX_CONNECTION_AGE_GRACE_SECONDS = 30.0

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class GrpcService:
    """One gRPC service a server exposes.

    ``name`` is the full proto name (``regalsync.mapping.v1.MappingService``)
    used by health and reflection; ``add_to_server`` is the generated
    ``add_<Service>Servicer_to_server`` function.
    """

    name: str
    servicer: object
    add_to_server: Callable[[Any, Any], None]


class GrpcServer:
    """Own a ``grpc.aio`` server with health, reflection and interceptors."""

    def __init__(
        self,
        services: Sequence[GrpcService],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        observers: Sequence[CallObserver] = (),
        interceptors: Sequence[Any] = (),
        max_connection_age_seconds: float = MAX_CONNECTION_AGE_SECONDS,
        max_connection_age_grace_seconds: float = MAX_CONNECTION_AGE_GRACE_SECONDS,
    ) -> None:
        self._services = tuple(services)
        self._address = _address(host, port)
        self._options = (
            *_SERVER_OPTIONS,
            ("grpc.max_connection_age_ms", int(max_connection_age_seconds * 1000)),
            ("grpc.max_connection_age_grace_ms",
             int(max_connection_age_grace_seconds * 1000)),
        )
        # Inside a service, its gRPC latency histogram observes every call.
        metrics = current_metrics()
        if metrics is not None:
            observers = (*observers, metrics.grpc.observe)
        self._interceptors = (ServerCallInterceptor(observers), *interceptors)
        self._health = health.aio.HealthServicer()
        self._server: Any = None
        self._port = 0

    @property
    def port(self) -> int:
        """Return the port the server is bound to (0 before start)."""
        return self._port

    @property
    def service_names(self) -> list[str]:
        """Return every service name reflection lists."""
        own = [service.name for service in self._services]

        return [*own, HEALTH_SERVICE, reflection.SERVICE_NAME]

    async def start(self) -> int:
        """Bind, start answering NOT_SERVING and return the bound port."""
        server = grpc.aio.server(
            interceptors=self._interceptors, options=self._options
        )
        for service in self._services:
            service.add_to_server(service.servicer, server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection(self.service_names, server)
        await self._set_status(health_pb2.HealthCheckResponse.NOT_SERVING)
        self._port = server.add_insecure_port(self._address)
        await server.start()
        self._server = server
        logger.info("grpc_server_started", port=self._port,
                    services=[s.name for s in self._services])

        return self._port

    async def set_ready(self, ready: bool = True) -> None:
        """Report SERVING (or NOT_SERVING again) on the health service."""
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if ready
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        await self._set_status(status)

    async def stop(self, grace_seconds: float) -> None:
        """Flip health to NOT_SERVING, then drain calls for up to the grace."""
        if self._server is None:
            return
        await self._health.enter_graceful_shutdown()
        logger.info("grpc_server_stopping", grace_seconds=grace_seconds)
        await self._server.stop(grace_seconds)
        self._server = None
        logger.info("grpc_server_stopped")

    async def _set_status(self, status: int) -> None:
        for name in ("", *(service.name for service in self._services)):
            await self._health.set(name, status)


async def serve_until(
    server: GrpcServer, stop: asyncio.Event, *, grace_seconds: float
) -> None:
    """Start ``server``, report it ready, and stop it once ``stop`` is set.

    For services with nothing to prepare after binding; others call
    :meth:`GrpcServer.set_ready` themselves when their dependencies are up.
    """
    await server.start()
    try:
        await server.set_ready()
        await stop.wait()
    finally:
        await server.stop(grace_seconds)


def _address(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"

    return f"{host}:{port}"
