"""Trace work across the services with OpenTelemetry, when asked to.

Tracing is on only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set: :func:`configure_tracing`
then installs an SDK tracer provider that batches spans to that OTLP gRPC
endpoint. Otherwise nothing is installed and every helper here returns
before creating a span or touching metadata, so an untraced deployment
pays one type check per call.

Where spans come from (all in shared code, so every service gets them):

* the ingress opens a server span per webhook request
  (:func:`traced_request`);
* a queue item records the span current where it was created
  (:func:`current_trace_context`, stored with the item), and the queue
  worker's span for a claimed batch continues the trace of its first
  item and links to the traces of the others (:func:`batch_span`), so
  one input stays one trace across the durable queues;
* every outgoing gRPC call gets a client span and sends its context as
  W3C ``traceparent`` metadata (:func:`client_span`);
* every incoming gRPC call continues that context in a server span
  (:func:`server_span`), so calls the handler makes are its children.

The standard ``OTEL_*`` variables apply: ``OTEL_SERVICE_NAME`` (default:
the process name), ``OTEL_TRACES_SAMPLER`` and ``OTEL_TRACES_SAMPLER_ARG``,
``OTEL_BSP_SCHEDULE_DELAY`` (ms between exports).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = [
    "Tracing",
    "batch_span",
    "client_span",
    "configure_tracing",
    "current_trace_context",
    "outbound_span",
    "server_span",
    "traced_request",
    "tracing_enabled",
]

_TRACER = "regalsync"
_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


class Tracing:
    """An installed tracer provider; :meth:`shutdown` flushes its spans."""

    def __init__(self, provider: Any) -> None:
        self._provider = provider

    def shutdown(self) -> None:
        """Export the spans still buffered and stop the exporter (blocking)."""
        self._provider.shutdown()


def configure_tracing(
    service: str, environ: Mapping[str, str] | None = None
) -> Tracing | None:
    """Install OTLP export for this process if an endpoint is configured.

    Return None, having imported nothing from the SDK, when tracing is off.
    """
    env = os.environ if environ is None else environ
    if not any(env.get(name) for name in _ENDPOINT_VARIABLES):
        return None
    # The SDK and exporter load only when tracing is on.
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or service})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)

    return Tracing(provider)


def tracing_enabled() -> bool:
    """Tell whether an SDK tracer provider is installed in this process."""
    provider = trace.get_tracer_provider()

    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def current_trace_context() -> str | None:
    """Return the current span's W3C ``traceparent``; None when untraced."""
    if not tracing_enabled():
        return None
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)

    return carrier.get("traceparent")


@contextlib.contextmanager
def batch_span(queue: str, items: int,
               trace_contexts: Iterable[str | None] = ()) -> Iterator[None]:
    """Trace the handling of one claimed batch of a queue.

    ``trace_contexts`` are the items' stored contexts: the span continues
    the first one's trace and links to every one, so each item's trace
    leads to the batch that handled it.
    """
    if not tracing_enabled():
        yield
        return
    parents = _span_contexts(trace_contexts)
    parent = trace.set_span_in_context(trace.NonRecordingSpan(parents[0])) if parents \
        else otel_context.Context()
    tracer = trace.get_tracer(_TRACER)
    attributes: dict[str, str | int] = {
        "messaging.destination.name": queue, "messaging.batch.message_count": items}
    with tracer.start_as_current_span(f"{queue} process", context=parent,
                                      kind=SpanKind.CONSUMER, attributes=attributes,
                                      links=[Link(c) for c in parents]):
        yield


def _span_contexts(trace_contexts: Iterable[str | None]) -> list[trace.SpanContext]:
    """Parse stored traceparents; drop empty, invalid and repeated ones."""
    propagator = TraceContextTextMapPropagator()
    found: dict[tuple[int, int], trace.SpanContext] = {}
    for traceparent in trace_contexts:
        if not traceparent:
            continue
        span = trace.get_current_span(propagator.extract({"traceparent": traceparent}))
        context = span.get_span_context()
        if context.is_valid:
            found.setdefault((context.trace_id, context.span_id), context)

    return list(found.values())


@contextlib.contextmanager
def server_span(method: str, metadata: Mapping[str, Any]) -> Iterator[None]:
    """Trace one incoming gRPC call, continuing the caller's trace."""
    if not tracing_enabled():
        yield
        return
    parent = propagate.extract(
        {k: v for k, v in metadata.items() if isinstance(v, str)})
    tracer = trace.get_tracer(_TRACER)
    with tracer.start_as_current_span(method.lstrip("/"), context=parent,
                                      kind=SpanKind.SERVER,
                                      attributes=_rpc_attributes(method)):
        yield


def client_span(method: str) -> tuple[dict[str, str], Callable[[Any], None]] | None:
    """Start a client span for an outgoing call; None when tracing is off.

    Return the metadata that carries the span's context and a callback
    that ends the span (hand it to the call's ``add_done_callback``).
    """
    if not tracing_enabled():
        return None
    tracer = trace.get_tracer(_TRACER)
    span = tracer.start_span(method.lstrip("/"), kind=SpanKind.CLIENT,
                             attributes=_rpc_attributes(method))
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))

    return carrier, lambda _call: span.end()


class _Request(Protocol):
    """The parts of an aiohttp request a server span reads."""

    @property
    def method(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


class _Response(Protocol):
    @property
    def status(self) -> int: ...


R = TypeVar("R", bound=_Response)


async def traced_request(request: _Request, route: str,
                         handle: Callable[[], Awaitable[R]]) -> R:
    """Run an HTTP handler inside a server span named by its route.

    The span starts a trace and records the response's status code. The
    callers are on the internet, so a ``traceparent`` they send is only
    linked, never continued: it must not decide sampling or trace ids.
    """
    if not tracing_enabled():
        return await handle()
    sent = trace.get_current_span(propagate.extract(request.headers)).get_span_context()
    links = [Link(sent)] if sent.is_valid else []
    tracer = trace.get_tracer(_TRACER)
    attributes = {"http.request.method": request.method, "http.route": route}
    with tracer.start_as_current_span(f"{request.method} {route}",
                                      context=otel_context.Context(), links=links,
                                      kind=SpanKind.SERVER, attributes=attributes) as span:
        response = await handle()
        span.set_attribute("http.response.status_code", response.status)
        return response


@contextlib.contextmanager
def outbound_span(name: str, attributes: Mapping[str, str]) -> Iterator[None]:
    """Trace one call to an outside API (Salesforce, Regal)."""
    if not tracing_enabled():
        yield
        return
    tracer = trace.get_tracer(_TRACER)
    with tracer.start_as_current_span(name, kind=SpanKind.CLIENT,
                                      attributes=dict(attributes)):
        yield


def _rpc_attributes(method: str) -> dict[str, str]:
    service, _, name = method.lstrip("/").partition("/")

    return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}
