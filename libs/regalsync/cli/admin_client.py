"""Reach mapping-service (and the matcher) from the command line.

The address comes from ``--mapping-address`` or ``REGALSYNC_MAPPING_ADDRESS``;
admin calls carry ``REGALSYNC_ADMIN_TOKEN`` (or ``--token``) as a bearer token.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc

from regalsync.channels import make_channel
from regalsync.cli import exit_codes
from regalsync.cli.output import CommandFailed, Output
from regalsync.contracts.mapping.v1 import mapping_pb2_grpc
from regalsync.contracts.matcher.v1 import matcher_pb2_grpc

MAPPING_SERVICE = "regalsync.mapping.v1.MappingService"
MATCHER_SERVICE = "regalsync.matcher.v1.MatcherService"
_EXIT_FOR = {
    grpc.StatusCode.INVALID_ARGUMENT: exit_codes.INVALID,
    grpc.StatusCode.FAILED_PRECONDITION: exit_codes.INVALID,
    grpc.StatusCode.NOT_FOUND: exit_codes.NOT_FOUND,
    grpc.StatusCode.UNAUTHENTICATED: exit_codes.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED: exit_codes.UNAUTHENTICATED,
    grpc.StatusCode.UNAVAILABLE: exit_codes.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: exit_codes.UNAVAILABLE,
}


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """Add the options every command that talks to the services takes."""
    parser.add_argument(
        "--mapping-address", default=os.environ.get("REGALSYNC_MAPPING_ADDRESS",
                                                    "127.0.0.1:50061"),
        help="mapping-service host:port (env REGALSYNC_MAPPING_ADDRESS)")
    parser.add_argument(
        "--token", default=os.environ.get("REGALSYNC_ADMIN_TOKEN", ""),
        help="admin token (env REGALSYNC_ADMIN_TOKEN)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for each call (default 30)")


class Mapping:
    """A mapping-service stub whose calls carry the admin token."""

    def __init__(self, stub: mapping_pb2_grpc.MappingServiceStub, token: str,
                 timeout: float) -> None:
        self.stub = stub
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._timeout = timeout

    async def call(self, method: str, request: Any) -> Any:
        """Call one unary RPC by name."""
        rpc: Callable[..., Any] = getattr(self.stub, method)
        return await rpc(request, metadata=self._metadata, timeout=self._timeout)


@asynccontextmanager
async def mapping_client(args: argparse.Namespace) -> AsyncIterator[Mapping]:
    """Open a channel to mapping-service for one command."""
    channel: Any = make_channel(args.mapping_address, service_names=[MAPPING_SERVICE],
                                timeout_seconds=args.timeout, max_attempts=2)
    try:
        yield Mapping(mapping_pb2_grpc.MappingServiceStub(channel), args.token,
                      args.timeout)
    finally:
        await channel.close()


@asynccontextmanager
async def matcher_client(
    address: str, deadline_seconds: float,
) -> AsyncIterator[matcher_pb2_grpc.MatcherServiceStub]:
    """Open a channel to matcher-service (previews read Salesforce through it)."""
    channel: Any = make_channel(address, service_names=[MATCHER_SERVICE],
                                timeout_seconds=deadline_seconds, max_attempts=2)
    try:
        yield matcher_pb2_grpc.MatcherServiceStub(channel)
    finally:
        await channel.close()


def report_rpc_error(out: Output, error: grpc.aio.AioRpcError) -> int:
    """Print a failed call and return the exit code it stands for."""
    code = error.code()
    out.error(error.details() or code.name, code.name.lower())
    return _EXIT_FOR.get(code, exit_codes.FAILED)


async def guarded(out: Output, work: Awaitable[int]) -> int:
    """Run a command, turning the expected failures into exit codes."""
    try:
        return await work
    except grpc.aio.AioRpcError as error:
        return report_rpc_error(out, error)
    except CommandFailed as error:
        out.error(str(error), error.code)
        return error.exit_code
    except OSError as error:
        out.error(str(error), "io_error")
        return exit_codes.FAILED
