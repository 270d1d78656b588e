"""Trace work across the services with OpenTelemetry, when asked to.

Tracing is on only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set: :func:`configure_tracing`
then installs an SDK tracer provider that batches spans to that OTLP gRPC
endpoint. Otherwise nothing is installed and every helper here returns
before creating a span or touching metadata, so an untraced deployment
pays one type check per call.

Where spans come from (all in shared code, so every service gets them):

* the queue worker opens one span per claimed batch; in the ingress that
  span is the root of the trace of the inputs in the batch;
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
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

__all__ = [
    "Tracing",
    "batch_span",
    "client_span",
    "configure_tracing",
    "server_span",
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


@contextlib.contextmanager
def batch_span(queue: str, items: int) -> Iterator[None]:
    """Trace the handling of one claimed batch of a queue."""
    if not tracing_enabled():
        yield
        return
    tracer = trace.get_tracer(_TRACER)
    attributes: dict[str, str | int] = {
        "messaging.destination.name": queue, "messaging.batch.message_count": items}
    with tracer.start_as_current_span(f"{queue} process", kind=SpanKind.CONSUMER,
                                      attributes=attributes):
        yield


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


def _rpc_attributes(method: str) -> dict[str, str]:
    service, _, name = method.lstrip("/").partition("/")

    return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}
