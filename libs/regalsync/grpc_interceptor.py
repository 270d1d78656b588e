"""Wrap every incoming gRPC call: log context, error mapping, one log line.

For the duration of a call, ``request_id`` (metadata ``x-request-id``, or a
new one) and ``tenant`` (metadata ``x-tenant-id``, or the request's
``tenant_id`` field) are bound into structlog's context variables, so every
line the handler logs carries them. A :class:`~regalsync.errors.RegalSyncError`
becomes its status code with its message; any other exception becomes
INTERNAL with a generic message, its traceback only in the log. Each call
ends with one ``grpc_call`` line: method, code, duration_ms.

Handlers must be coroutines or async generators (the asyncio server).
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import grpc
import structlog

from regalsync.errors import RegalSyncError
from regalsync.tracing import server_span

__all__ = [
    "REQUEST_ID_KEY",
    "TENANT_ID_KEY",
    "CallObserver",
    "ServerCallInterceptor",
]

REQUEST_ID_KEY = "x-request-id"
TENANT_ID_KEY = "x-tenant-id"
INTERNAL_MESSAGE = "internal error"

CallObserver = Callable[[str, grpc.StatusCode, float], None]
"""Receive (method, status code, seconds) once per finished call."""

# Probes and tooling poll these; their calls are logged at debug level.
_QUIET_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
_SAFE_ID = re.compile(r"[\w.:-]{1,128}")

logger = structlog.get_logger(__name__)


# grpc ships no type information, so its base classes are Any to mypy.
class ServerCallInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Bind log context, map domain errors and log each call once."""

    def __init__(self, observers: Sequence[CallObserver] = ()) -> None:
        self._observers = tuple(observers)

    async def intercept_service(
        self,
        continuation: Callable[[Any], Any],
        handler_call_details: Any,
    ) -> Any:
        """Return the next handler wrapped in this interceptor's call scope."""
        handler = await continuation(handler_call_details)
        if handler is None:
            return None

        return self._wrap(handler, handler_call_details)

    def _wrap(self, handler: Any, details: Any) -> Any:
        method = details.method
        metadata = dict(details.invocation_metadata or ())
        codecs = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            behavior = self._unary(handler.unary_unary, method, metadata)
            return grpc.unary_unary_rpc_method_handler(behavior, **codecs)
        if handler.unary_stream is not None:
            behavior = self._streaming(handler.unary_stream, method, metadata)
            return grpc.unary_stream_rpc_method_handler(behavior, **codecs)
        if handler.stream_unary is not None:
            behavior = self._unary(handler.stream_unary, method, metadata)
            return grpc.stream_unary_rpc_method_handler(behavior, **codecs)
        behavior = self._streaming(handler.stream_stream, method, metadata)

        return grpc.stream_stream_rpc_method_handler(behavior, **codecs)

    def _unary(
        self, inner: Any, method: str, metadata: dict[str, Any]
    ) -> Callable[[Any, Any], Any]:
        async def behavior(request: Any, context: Any) -> Any:
            async with self._scope(method, metadata, request, context):
                return await inner(request, context)

        return behavior

    def _streaming(
        self, inner: Any, method: str, metadata: dict[str, Any]
    ) -> Callable[[Any, Any], Any]:
        if not inspect.isasyncgenfunction(inner):
            # Handlers that write with context.write() return nothing.
            return self._unary(inner, method, metadata)

        async def behavior(request: Any, context: Any) -> AsyncIterator[Any]:
            async with self._scope(method, metadata, request, context):
                async for response in inner(request, context):
                    yield response

        return behavior

    @asynccontextmanager
    async def _scope(
        self,
        method: str,
        metadata: dict[str, Any],
        request: Any,
        context: Any,
    ) -> AsyncIterator[None]:
        started = time.perf_counter()
        bound = _call_context(metadata, request)
        outcome = _Outcome()
        with structlog.contextvars.bound_contextvars(**bound), server_span(method, metadata):
            try:
                yield
            except BaseException as error:
                await outcome.settle(error, context)
            finally:
                seconds = time.perf_counter() - started
                code = outcome.code or context.code() or grpc.StatusCode.OK
                self._report(method, code, seconds, outcome)

    def _report(
        self,
        method: str,
        code: grpc.StatusCode,
        seconds: float,
        outcome: _Outcome,
    ) -> None:
        for observe in self._observers:
            observe(method, code, seconds)
        fields: dict[str, Any] = {
            "method": method,
            "code": code.name,
            "duration_ms": round(seconds * 1000, 2),
        }
        if outcome.message:
            fields["error"] = outcome.message
        if outcome.unexpected is not None:
            logger.error("grpc_call", exc_info=outcome.unexpected, **fields)
        elif method.startswith(_QUIET_PREFIXES):
            logger.debug("grpc_call", **fields)
        else:
            logger.info("grpc_call", **fields)


class _Outcome:
    """Remember how a call ended, turning exceptions into statuses."""

    def __init__(self) -> None:
        self.code: grpc.StatusCode | None = None
        self.message = ""
        self.unexpected: BaseException | None = None

    async def settle(self, error: BaseException, context: Any) -> None:
        """Abort the call with the status ``error`` stands for."""
        if isinstance(error, GeneratorExit | asyncio.CancelledError):
            self.code = grpc.StatusCode.CANCELLED
        elif isinstance(error, grpc.aio.AbortError):
            pass  # the handler chose its own status
        elif isinstance(error, RegalSyncError):
            self.code = error.status_code
            self.message = str(error) or type(error).__name__
            await context.abort(self.code, self.message)
        elif isinstance(error, Exception):
            self.code = grpc.StatusCode.INTERNAL
            self.unexpected = error
            await context.abort(self.code, INTERNAL_MESSAGE)

        raise error


def _call_context(metadata: dict[str, Any], request: Any) -> dict[str, str]:
    """Pick the request id and tenant a call is logged under."""
    request_id = _safe_id(metadata.get(REQUEST_ID_KEY)) or uuid.uuid4().hex
    bound = {"request_id": request_id}
    tenant = _safe_id(metadata.get(TENANT_ID_KEY))
    if tenant is None:
        tenant = _safe_id(getattr(request, "tenant_id", None))
    if tenant is not None:
        bound["tenant"] = tenant

    return bound


def _safe_id(value: object) -> str | None:
    # Caller-supplied ids end up in every log line: keep them short and
    # free of anything that could smuggle data or break the JSON.
    if isinstance(value, str) and _SAFE_ID.fullmatch(value):
        return value

    return None
