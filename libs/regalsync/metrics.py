"""Expose Prometheus metrics over HTTP and time gRPC calls.

Each service owns one :class:`prometheus_client.CollectorRegistry` (no
process-global registry), serves it with :func:`start_metrics_server` on
the event loop, and passes :meth:`GrpcMetrics.observe` to
:class:`~regalsync.grpc_server.GrpcServer` as an observer.

:class:`ServiceMetrics` holds every metric a process records (the table
is in docs/deployment.md). ``service_base`` creates it and makes it the
current one for everything built inside its block (:func:`current_metrics`),
so shared pieces such as the queue worker and the gRPC server record into
it without each service passing it along. Outside a service (tests, the
CLI) there is none and recording is skipped.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass

import grpc
import structlog
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = [
    "GrpcMetrics",
    "MetricsServer",
    "ServiceMetrics",
    "count_events",
    "current_metrics",
    "record_delivery",
    "start_metrics_server",
    "use_metrics",
]

ScrapeHook = Callable[[], Awaitable[None]]

# Seconds from enqueue to settlement: sub-second when healthy, hours when
# a tenant's Salesforce or Regal is down and retries pile up.
_LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400)
# Seconds from the original event (Regal's originalTimestamp, Salesforce's
# commit time) to delivery: those clocks are seconds coarse and not ours,
# so the first bucket is a second.
_END_TO_END_BUCKETS = (1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400)

log = structlog.get_logger(__name__)

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


class ServiceMetrics:
    """Hold every metric one regal-sync process records.

    Label values are ids and names only (tenant ids, queue names, event
    types, status codes), never personal data.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.grpc = GrpcMetrics(registry)
        self._scrape_hooks: list[ScrapeHook] = []
        self._events = Counter(
            "regalsync_events_total",
            "Events taken in or handed out, by direction, tenant and type.",
            ["direction", "tenant", "type"], registry=registry)
        self._settled = Counter(
            "regalsync_queue_items_settled_total",
            "Queue items settled by a worker, by queue, tenant and outcome.",
            ["queue", "tenant", "outcome"], registry=registry)
        self._retries = Counter(
            "regalsync_retries_total",
            "Queue items put back for another attempt, by queue and tenant.",
            ["queue", "tenant"], registry=registry)
        self._dead = Counter(
            "regalsync_dead_letters_total",
            "Queue items given up on, by queue and tenant.",
            ["queue", "tenant"], registry=registry)
        self._lag = Histogram(
            "regalsync_queue_lag_seconds",
            "Seconds from enqueue to acknowledgement, by queue.",
            ["queue"], buckets=_LAG_BUCKETS, registry=registry)
        self._depth = Gauge(
            "regalsync_queue_depth",
            "Items in a queue by state (pending, in_flight, dead), at scrape time.",
            ["queue", "state"], registry=registry)
        self._age = Gauge(
            "regalsync_queue_oldest_age_seconds",
            "Age of the oldest pending item of a queue (0 when empty).",
            ["queue"], registry=registry)
        self._salesforce_calls = Counter(
            "regalsync_salesforce_api_calls_total",
            "Salesforce API calls, by tenant, operation and outcome.",
            ["tenant", "operation", "outcome"], registry=registry)
        self._salesforce_budget = Gauge(
            "regalsync_salesforce_api_budget_remaining",
            "Salesforce API calls left in the tenant's daily budget.",
            ["tenant"], registry=registry)
        self._regal_responses = Counter(
            "regalsync_regal_responses_total",
            "Responses from Regal's events API, by tenant and HTTP status.",
            ["tenant", "status"], registry=registry)
        self._end_to_end = Histogram(
            "regalsync_end_to_end_lag_seconds",
            "Seconds from the original event to its delivery, by destination and tenant.",
            ["destination", "tenant"], buckets=_END_TO_END_BUCKETS, registry=registry)

    def event(self, direction: str, tenant: str, event_type: str, count: int = 1) -> None:
        """Count events taken in (``in``) or handed out (``out``)."""
        self._events.labels(direction, tenant, event_type).inc(count)

    def settled(self, queue: str, tenant: str, outcome: str, count: int = 1) -> None:
        """Count queue items settled as ``ack``, ``retry``, ``dead`` or ``done``."""
        self._settled.labels(queue, tenant, outcome).inc(count)
        if outcome == "retry":
            self._retries.labels(queue, tenant).inc(count)
        elif outcome == "dead":
            self._dead.labels(queue, tenant).inc(count)

    def delivered(self, destination: str, tenant: str, event_type: str,
                  origin_at: float | None) -> None:
        """Count one event handed out to ``destination`` and its end-to-end lag.

        ``origin_at`` is the original event's epoch seconds; None (unknown)
        counts the event without a lag.
        """
        self.event("out", tenant, event_type)
        if origin_at is not None and origin_at > 0:
            self._end_to_end.labels(destination, tenant).observe(
                max(time.time() - origin_at, 0.0))

    def lag(self, queue: str, seconds: float) -> None:
        """Record how long an acknowledged item waited in its queue."""
        self._lag.labels(queue).observe(max(seconds, 0.0))

    def queue_depth(self, queue: str, *, pending: int, in_flight: int, dead: int,
                    oldest_age_seconds: float | None) -> None:
        """Set a queue's current depth and the age of its oldest item."""
        for state, value in (("pending", pending), ("in_flight", in_flight),
                             ("dead", dead)):
            self._depth.labels(queue, state).set(value)
        self._age.labels(queue).set(oldest_age_seconds or 0.0)

    def salesforce_call(self, tenant: str, operation: str, outcome: str) -> None:
        """Count one Salesforce API call (``ok`` or an error kind)."""
        self._salesforce_calls.labels(tenant, operation, outcome).inc()

    def salesforce_budget(self, tenant: str, remaining: int) -> None:
        """Set the API calls a tenant has left today."""
        self._salesforce_budget.labels(tenant).set(remaining)

    def regal_response(self, tenant: str, status: int | str) -> None:
        """Count one response from Regal by HTTP status (or ``error``)."""
        self._regal_responses.labels(tenant, str(status)).inc()

    def on_scrape(self, hook: ScrapeHook) -> None:
        """Run ``hook`` before each scrape, to refresh gauges read from storage."""
        self._scrape_hooks.append(hook)

    async def refresh(self) -> None:
        """Run the scrape hooks; a failing hook leaves its gauges as they were."""
        for hook in self._scrape_hooks:
            try:
                await hook()
            except Exception as error:
                log.warning("metrics_refresh_failed", error=type(error).__name__)


_CURRENT: contextvars.ContextVar[ServiceMetrics | None] = contextvars.ContextVar(
    "regalsync_metrics", default=None)


def current_metrics() -> ServiceMetrics | None:
    """Return the metrics of the service this code runs in, if any."""
    return _CURRENT.get()


def count_events(direction: str, tenant: str, event_types: Iterable[str]) -> None:
    """Count events of a tenant by type, in the current service if any."""
    metrics = current_metrics()
    if metrics is None:
        return
    for event_type, count in Tally(event_types).items():
        metrics.event(direction, tenant, event_type or "unknown", count)


def record_delivery(destination: str, tenant: str, event_type: str,
                    origin_at: float | None) -> None:
    """Count one delivered event and its lag, in the current service if any."""
    metrics = current_metrics()
    if metrics is not None:
        metrics.delivered(destination, tenant, event_type or "unknown", origin_at)


@contextlib.contextmanager
def use_metrics(metrics: ServiceMetrics) -> Iterator[ServiceMetrics]:
    """Make ``metrics`` current for the block and the tasks started in it."""
    token = _CURRENT.set(metrics)
    try:
        yield metrics
    finally:
        _CURRENT.reset(token)


@dataclass(frozen=True)
class MetricsServer:
    """A running ``/metrics`` endpoint."""

    port: int
    runner: web.AppRunner

    async def close(self) -> None:
        """Stop serving metrics."""
        await self.runner.cleanup()


_SCRAPE_REFRESH = web.AppKey("metrics_refresh", ServiceMetrics)


async def start_metrics_server(
    registry: CollectorRegistry, *, host: str = "127.0.0.1", port: int = 0,
    refresh: ServiceMetrics | None = None,
) -> MetricsServer:
    """Serve ``registry`` at ``/metrics``; port 0 picks a free port.

    With ``refresh``, its scrape hooks run before each scrape.
    """
    app = web.Application()
    app[_METRICS_REGISTRY] = registry
    if refresh is not None:
        app[_SCRAPE_REFRESH] = refresh
    app.router.add_get("/metrics", _metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = int(runner.addresses[0][1])

    return MetricsServer(port=bound_port, runner=runner)


async def _metrics(request: web.Request) -> web.Response:
    refresh = request.app.get(_SCRAPE_REFRESH)
    if refresh is not None:
        await refresh.refresh()
    body = generate_latest(request.app[_METRICS_REGISTRY])

    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
