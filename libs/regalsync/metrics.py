"""Expose Prometheus metrics over HTTP and time gRPC calls.

Each service owns one :class:`prometheus_client.CollectorRegistry` (no
process-global registry), serves it with :func:`start_metrics_server` on
the event loop, and passes :meth:`GrpcMetrics.observe` to
:class:`~regalsync.grpc_server.GrpcServer` as an observer.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
)

__all__ = ["GrpcMetrics", "MetricsServer", "start_metrics_server"]

_METRICS_REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)


class GrpcMetrics:
    """Record a latency histogram of server calls per method and code."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._latency = Histogram(
            "regalsync_grpc_server_handling_seconds",
            "Time to handle a gRPC call, by method and status code.",
            ["method", "code"],
            registry=registry,
        )

    def observe(self, method: str, code: grpc.StatusCode, seconds: float) -> None:
        """Add one finished call to the histogram."""
        self._latency.labels(method=method, code=code.name).observe(seconds)


@dataclass(frozen=True)
class MetricsServer:
    """A running ``/metrics`` endpoint."""

    port: int
    runner: web.AppRunner

    async def close(self) -> None:
        """Stop serving metrics."""
        await self.runner.cleanup()


async def start_metrics_server(
    registry: CollectorRegistry, *, host: str = "127.0.0.1", port: int = 0
) -> MetricsServer:
    """Serve ``registry`` at ``/metrics``; port 0 picks a free port."""
    app = web.Application()
    app[_METRICS_REGISTRY] = registry
    app.router.add_get("/metrics", _metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = int(runner.addresses[0][1])

    return MetricsServer(port=bound_port, runner=runner)


async def _metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[_METRICS_REGISTRY])

    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
