"""Tracing is off unless an OTLP endpoint is configured, and then costs nothing."""

from __future__ import annotations

import subprocess
import sys

from regalsync.tracing import (
    client_span,
    configure_tracing,
    current_trace_context,
    tracing_enabled,
)


def test_no_endpoint_installs_nothing() -> None:
    """Without OTEL_EXPORTER_OTLP_ENDPOINT no tracer provider is installed."""
    assert configure_tracing("matcher-service", environ={}) is None
    assert tracing_enabled() is False


def test_untraced_calls_carry_no_trace_metadata() -> None:
    """With tracing off, outgoing calls get no span and no traceparent."""
    assert client_span("/regalsync.mapping.v1.MappingService/GetTenant") is None


def test_tracing_off_never_loads_the_sdk() -> None:
    """A service without an endpoint does not even import the OpenTelemetry SDK."""
    probe = ("import sys; from regalsync.tracing import configure_tracing; "
             "configure_tracing('x', environ={}); "
             "print('opentelemetry.sdk.trace' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_an_endpoint_turns_tracing_on() -> None:
    """With an endpoint, the process has an SDK provider named after the service."""
    probe = ("from regalsync.tracing import configure_tracing, tracing_enabled; "
             "from opentelemetry import trace; "
             "t = configure_tracing('matcher-service', "
             "environ={'OTEL_EXPORTER_OTLP_ENDPOINT': 'http://127.0.0.1:9'}); "
             "print(tracing_enabled(), "
             "trace.get_tracer_provider().resource.attributes['service.name']); "
             "t.shutdown()")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.split() == ["True", "matcher-service"]


def test_untraced_queue_items_carry_no_context() -> None:
    """With tracing off, a queue item is made without a trace context."""
    from regalsync.storage import QueueItem

    assert current_trace_context() is None
    assert QueueItem("acme", "k", "o", b"x").trace_context is None


def test_traced_queue_items_carry_the_current_span() -> None:
    """With tracing on, an item made inside a span records that span's traceparent."""
    probe = ("from opentelemetry import trace; "
             "from regalsync.tracing import configure_tracing; "
             "from regalsync.storage import QueueItem; "
             "t = configure_tracing('x', environ={'OTEL_EXPORTER_OTLP_ENDPOINT': "
             "'http://127.0.0.1:9'}); "
             "span = trace.get_tracer('t').start_span('s'); "
             "ctx = trace.set_span_in_context(span); "
             "from opentelemetry import context; token = context.attach(ctx); "
             "item = QueueItem('acme', 'k', 'o', b'x'); "
             "print(item.trace_context.split('-')[1:3] == "
             "[format(span.get_span_context().trace_id, '032x'), "
             "format(span.get_span_context().span_id, '016x')])")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "True"
