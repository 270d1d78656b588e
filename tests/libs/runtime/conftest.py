"""A toy gRPC service and log capture for the shared runtime's tests."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
import structlog
from google.protobuf.wrappers_pb2 import StringValue

from regalsync.errors import InvalidInput
from regalsync.grpc_server import GrpcServer, GrpcService
from regalsync.logs import configure_logging

TOY_SERVICE = "regalsync.test.Toy"


@dataclass
class ToyRequest:
    """A request with a tenant id field, like the product's messages."""

    action: str
    tenant_id: str = ""


def decode(raw: bytes) -> ToyRequest:
    return ToyRequest(**json.loads(raw))


def encode(request: ToyRequest) -> bytes:
    return json.dumps(request.__dict__).encode()


@dataclass
class ToyServicer:
    """Behave as each test needs, and remember what it saw."""

    attempts: int = 0
    metadata: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    async def act(self, request: ToyRequest, context: Any) -> StringValue:
        self.attempts += 1
        self.metadata.append(dict(context.invocation_metadata()))
        structlog.get_logger("toy").info("toy_handled", action=request.action)
        if request.action == "invalid":
            raise InvalidInput("tenant_id is required")
        if request.action == "crash":
            raise RuntimeError("lookup of +1 415 555 0100 failed")
        if request.action == "flaky" and self.attempts == 1:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")
        if request.action == "wait":
            self.entered.set()
            await self.release.wait()

        return StringValue(value="done")

    async def count(
        self, request: ToyRequest, context: Any
    ) -> AsyncIterator[StringValue]:
        for number in ("1", "2", "3"):
            if request.action == "crash" and number == "2":
                raise RuntimeError("stream broke")
            yield StringValue(value=number)


def toy_service(servicer: ToyServicer) -> GrpcService:
    """Describe the toy servicer as a generated add_*_to_server would."""

    def add_to_server(impl: ToyServicer, server: Any) -> None:
        codecs = {
            "request_deserializer": decode,
            "response_serializer": StringValue.SerializeToString,
        }
        handlers = {
            "Act": grpc.unary_unary_rpc_method_handler(impl.act, **codecs),
            "Count": grpc.unary_stream_rpc_method_handler(impl.count, **codecs),
        }
        generic = grpc.method_handlers_generic_handler(TOY_SERVICE, handlers)
        server.add_generic_rpc_handlers((generic,))

    return GrpcService(TOY_SERVICE, servicer, add_to_server)


def read_text(raw: bytes) -> str:
    return StringValue.FromString(raw).value


def toy_act(channel: Any) -> Any:
    """Return a callable for the toy service's unary method."""
    return channel.unary_unary(
        f"/{TOY_SERVICE}/Act", request_serializer=encode, response_deserializer=read_text
    )


def toy_count(channel: Any) -> Any:
    """Return a callable for the toy service's streaming method."""
    return channel.unary_stream(
        f"/{TOY_SERVICE}/Count", request_serializer=encode, response_deserializer=read_text
    )


class _WatchedStream(io.StringIO):
    """A log stream that says when a line was written (from the event loop)."""

    def __init__(self) -> None:
        super().__init__()
        self.written = asyncio.Event()

    def write(self, text: str) -> int:
        size = super().write(text)
        self.written.set()
        return size


class LogCapture:
    """JSON log lines written since logging was configured."""

    def __init__(self, stream: _WatchedStream) -> None:
        self._stream = stream

    @property
    def text(self) -> str:
        return self._stream.getvalue()

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.text.splitlines() if line]

        return [line for line in lines if name is None or line["event"] == name]

    async def logged(self, name: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait until ``count`` lines named ``name`` are written, then return them.

        A gRPC server logs a call after its answer is sent, so the client
        can hold the answer a moment before the line exists.
        """
        async with asyncio.timeout(5):
            while True:
                self._stream.written.clear()
                if len(found := self.events(name)) >= count:
                    return found
                await self._stream.written.wait()


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    stream = _WatchedStream()
    configure_logging("json", "debug", "test", stream=stream)
    structlog.contextvars.clear_contextvars()
    yield LogCapture(stream)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == "regalsync":
            root.removeHandler(handler)
    structlog.reset_defaults()


@pytest.fixture
def servicer() -> ToyServicer:
    return ToyServicer()


@pytest.fixture
async def server(servicer: ToyServicer, logs: LogCapture) -> AsyncIterator[GrpcServer]:
    grpc_server = GrpcServer([toy_service(servicer)])
    await grpc_server.start()
    yield grpc_server
    servicer.release.set()
    await grpc_server.stop(0)


@pytest.fixture
async def channel(server: GrpcServer) -> AsyncIterator[Any]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as opened:
        yield opened
