"""Client channels: retries, deadlines, context propagation, balancing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import structlog
from conftest import TOY_SERVICE, ToyRequest, ToyServicer, toy_act, toy_service

from regalsync.channels import make_channel, resolve_target
from regalsync.grpc_server import GrpcServer


def open_channel(target: str, timeout_seconds: float = 5.0) -> Any:
    return make_channel(
        target, service_names=[TOY_SERVICE], timeout_seconds=timeout_seconds
    )


@pytest.fixture
async def second_server(logs: Any) -> AsyncIterator[tuple[GrpcServer, ToyServicer]]:
    servicer = ToyServicer()
    server = GrpcServer([toy_service(servicer)])
    await server.start()
    yield server, servicer
    await server.stop(0)


class TestRetryPolicy:
    async def test_retries_unavailable(
        self, server: GrpcServer, servicer: ToyServicer
    ) -> None:
        """A call that meets UNAVAILABLE once succeeds on the retry."""
        async with open_channel(f"127.0.0.1:{server.port}") as channel:
            reply = await toy_act(channel)(ToyRequest("flaky"))

        assert reply == "done"
        assert servicer.attempts == 2

    async def test_does_not_retry_invalid_argument(
        self, server: GrpcServer, servicer: ToyServicer
    ) -> None:
        """Bad input fails at once; retrying it would not help."""
        async with open_channel(f"127.0.0.1:{server.port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError):
                await toy_act(channel)(ToyRequest("invalid"))

        assert servicer.attempts == 1


class TestDeadline:
    async def test_default_deadline_applies(self, server: GrpcServer) -> None:
        """A call without its own timeout gets the channel's deadline."""
        async with open_channel(f"127.0.0.1:{server.port}", 0.2) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await toy_act(channel)(ToyRequest("wait"))

        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


class TestContextPropagation:
    async def test_sends_request_id_and_tenant(
        self, server: GrpcServer, servicer: ToyServicer
    ) -> None:
        """The caller's log context travels as x-request-id / x-tenant-id."""
        context = {"request_id": "req-9", "tenant": "acme"}
        async with open_channel(f"127.0.0.1:{server.port}") as channel:
            with structlog.contextvars.bound_contextvars(**context):
                await toy_act(channel)(ToyRequest("echo"))

        [seen] = servicer.metadata
        assert seen["x-request-id"] == "req-9"
        assert seen["x-tenant-id"] == "acme"

    async def test_explicit_metadata_wins(
        self, server: GrpcServer, servicer: ToyServicer
    ) -> None:
        """Metadata the caller sets itself is not overwritten."""
        async with open_channel(f"127.0.0.1:{server.port}") as channel:
            with structlog.contextvars.bound_contextvars(request_id="ctx"):
                metadata = (("x-request-id", "explicit"),)
                await toy_act(channel)(ToyRequest("echo"), metadata=metadata)

        [seen] = servicer.metadata
        assert seen["x-request-id"] == "explicit"


class TestBalancing:
    async def test_round_robin_over_address_list(
        self,
        server: GrpcServer,
        servicer: ToyServicer,
        second_server: tuple[GrpcServer, ToyServicer],
    ) -> None:
        """Calls spread over every address of a comma-separated target."""
        other, other_servicer = second_server
        target = f"127.0.0.1:{server.port},127.0.0.1:{other.port}"
        async with open_channel(target) as channel:
            await channel.channel_ready()
            for _ in range(6):
                await toy_act(channel)(ToyRequest("echo"))

        assert servicer.attempts > 0
        assert other_servicer.attempts > 0


class TestResolveTarget:
    def test_single_address_unchanged(self) -> None:
        """One host:port is left to the DNS resolver."""
        assert resolve_target("mapping:50051") == "mapping:50051"

    def test_address_list_becomes_ipv4_target(self) -> None:
        """A list of IPv4 addresses uses the ipv4: scheme."""
        target = resolve_target("127.0.0.1:5001, 127.0.0.1:5002")

        assert target == "ipv4:127.0.0.1:5001,127.0.0.1:5002"

    def test_address_list_of_names_rejected(self) -> None:
        """Host names in a list are refused with a pointer to DNS."""
        with pytest.raises(ValueError, match="IP literals"):
            resolve_target("mapping-0:5001,mapping-1:5001")
