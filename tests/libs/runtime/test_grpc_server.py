"""The gRPC bootstrap: health, reflection, interceptors, shutdown."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from conftest import (
    TOY_SERVICE,
    LogCapture,
    ToyRequest,
    ToyServicer,
    toy_act,
    toy_count,
    toy_service,
)
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from regalsync.grpc_server import GrpcServer

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def health_status(channel: Any, service: str = "") -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    reply = await stub.Check(health_pb2.HealthCheckRequest(service=service))

    return int(reply.status)


class TestHealth:
    async def test_not_serving_before_ready(self, channel: Any) -> None:
        """A started server is not SERVING until the service says so."""
        assert await health_status(channel) == NOT_SERVING
        assert await health_status(channel, TOY_SERVICE) == NOT_SERVING

    async def test_serving_once_ready(self, server: GrpcServer, channel: Any) -> None:
        """Overall and per-service health turn SERVING when ready."""
        await server.set_ready()

        assert await health_status(channel) == SERVING
        assert await health_status(channel, TOY_SERVICE) == SERVING

    async def test_not_serving_during_shutdown(
        self, server: GrpcServer, servicer: ToyServicer, channel: Any
    ) -> None:
        """Shutdown flips health to NOT_SERVING while calls still drain."""
        await server.set_ready()
        in_flight = asyncio.ensure_future(toy_act(channel)(ToyRequest("wait")))
        await servicer.entered.wait()
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=TOY_SERVICE)
        )
        assert (await watch.read()).status == SERVING

        stopping = asyncio.ensure_future(server.stop(5))

        assert (await watch.read()).status == NOT_SERVING
        servicer.release.set()
        assert await in_flight == "done"
        watch.cancel()
        await stopping


class TestReflection:
    async def test_lists_every_service(self, channel: Any) -> None:
        """Reflection names the service, health and reflection itself."""
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        replies = stub.ServerReflectionInfo(iter([request]))

        reply = await replies.read()

        names = {s.name for s in reply.list_services_response.service}
        assert names == {
            TOY_SERVICE,
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
        }


class TestErrorMapping:
    async def test_invalid_input_is_invalid_argument(self, channel: Any) -> None:
        """A domain InvalidInput reaches the caller as INVALID_ARGUMENT."""
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await toy_act(channel)(ToyRequest("invalid"))

        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.details() == "tenant_id is required"

    async def test_unexpected_error_is_generic_internal(self, channel: Any) -> None:
        """An unknown exception becomes INTERNAL without its details."""
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await toy_act(channel)(ToyRequest("crash"))

        assert caught.value.code() == grpc.StatusCode.INTERNAL
        assert caught.value.details() == "internal error"

    async def test_stream_error_is_generic_internal(self, channel: Any) -> None:
        """A streaming handler that fails mid-stream ends with INTERNAL."""
        received = []
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for number in toy_count(channel)(ToyRequest("crash")):
                received.append(number)

        assert received == ["1"]
        assert caught.value.code() == grpc.StatusCode.INTERNAL


class TestCallLog:
    async def test_one_line_per_call(self, channel: Any, logs: LogCapture) -> None:
        """Each call logs one grpc_call line with method, code and timing."""
        metadata = (("x-request-id", "req-42"),)
        await toy_act(channel)(ToyRequest("echo"), metadata=metadata)

        [line] = await logs.logged("grpc_call")
        assert line["method"] == f"/{TOY_SERVICE}/Act"
        assert line["code"] == "OK"
        assert line["request_id"] == "req-42"
        assert line["duration_ms"] >= 0

    async def test_handler_lines_carry_context(
        self, channel: Any, logs: LogCapture
    ) -> None:
        """Lines logged by a handler carry the request id and tenant."""
        metadata = (("x-request-id", "req-7"),)
        await toy_act(channel)(ToyRequest("echo", tenant_id="acme"), metadata=metadata)

        [line] = logs.events("toy_handled")
        assert line["request_id"] == "req-7"
        assert line["tenant"] == "acme"

    async def test_tenant_from_metadata(self, channel: Any, logs: LogCapture) -> None:
        """The x-tenant-id header names the tenant when present."""
        metadata = (("x-tenant-id", "globex"),)
        await toy_act(channel)(ToyRequest("echo"), metadata=metadata)

        [line] = await logs.logged("grpc_call")
        assert line["tenant"] == "globex"

    async def test_request_id_generated(self, channel: Any, logs: LogCapture) -> None:
        """A call without x-request-id is logged under a fresh id."""
        await toy_act(channel)(ToyRequest("echo"))
        await toy_act(channel)(ToyRequest("echo"))

        ids = {line["request_id"] for line in await logs.logged("grpc_call", count=2)}
        assert len(ids) == 2
        assert all(len(request_id) == 32 for request_id in ids)

    async def test_failed_call_logs_code(self, channel: Any, logs: LogCapture) -> None:
        """A mapped domain error is logged once with its status code."""
        with pytest.raises(grpc.aio.AioRpcError):
            await toy_act(channel)(ToyRequest("invalid"))

        [line] = await logs.logged("grpc_call")
        assert line["code"] == "INVALID_ARGUMENT"
        assert line["level"] == "info"

    async def test_handler_abort_logged(self, channel: Any, logs: LogCapture) -> None:
        """A status the handler sets itself is the one logged."""
        with pytest.raises(grpc.aio.AioRpcError):
            await toy_act(channel)(ToyRequest("flaky"))

        [line] = await logs.logged("grpc_call")
        assert line["code"] == "UNAVAILABLE"

    async def test_crash_logged_redacted(self, channel: Any, logs: LogCapture) -> None:
        """An unexpected error logs its traceback, personal data masked."""
        with pytest.raises(grpc.aio.AioRpcError):
            await toy_act(channel)(ToyRequest("crash"))

        [line] = await logs.logged("grpc_call")
        assert line["level"] == "error"
        assert "RuntimeError: lookup of [phone] failed" in line["exception"]
        # The whole number, not "555" alone: a timestamp or duration may hold that.
        assert "415 555 0100" not in logs.text
        assert "4155550100" not in logs.text

    async def test_stream_logged_once(self, channel: Any, logs: LogCapture) -> None:
        """A streaming call logs one line when the stream ends."""
        received = [n async for n in toy_count(channel)(ToyRequest("echo"))]

        [line] = await logs.logged("grpc_call")
        assert received == ["1", "2", "3"]
        assert line["method"] == f"/{TOY_SERVICE}/Count"
        assert line["code"] == "OK"

    async def test_health_checks_logged_at_debug(
        self, channel: Any, logs: LogCapture
    ) -> None:
        """Probe traffic stays out of the info-level log."""
        await health_status(channel)

        [line] = await logs.logged("grpc_call")
        assert line["level"] == "debug"


class TestConnectionAge:
    async def test_old_connections_are_cycled(self, servicer: ToyServicer) -> None:
        """Past its maximum age a connection is closed, and the next call reconnects.

        Reconnecting is when a client resolves the service's name again
        and so finds the pods a scale-up added.
        """
        server = GrpcServer([toy_service(servicer)], max_connection_age_seconds=0.3,
                            max_connection_age_grace_seconds=0.3)
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
                assert await toy_act(channel)(ToyRequest("ok")) == "done"
                assert channel.get_state() == grpc.ChannelConnectivity.READY

                await asyncio.wait_for(
                    channel.wait_for_state_change(grpc.ChannelConnectivity.READY), 10)

                assert await toy_act(channel)(ToyRequest("ok")) == "done"
        finally:
            await server.stop(0)
