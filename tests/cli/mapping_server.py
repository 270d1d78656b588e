"""A real mapping-service on port 0, on its own event loop, for CLI tests.

The CLI runs ``asyncio.run`` itself, so tests stay synchronous and the
server lives on a background thread's loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from mapping_service.admin_auth import AdminTokenInterceptor
from mapping_service.operations import Operations
from mapping_service.servicer import MappingServicer
from mapping_service.tenants import TenantStore
from regalsync.contracts.mapping.v1 import mapping_pb2_grpc
from regalsync.grpc_server import GrpcServer, GrpcService
from regalsync.service_kit import MAPPING_SERVICE
from regalsync.storage import Storage, open_storage
from regalsync.storage.clock import ManualClock

T = TypeVar("T")
ADMIN_TOKEN = "test-admin-token"


class MappingServer:
    """A running mapping-service, its storage and its clock."""

    def __init__(self, loop: asyncio.AbstractEventLoop, storage: Storage,
                 clock: ManualClock, address: str) -> None:
        self._loop = loop
        self.storage = storage
        self.clock = clock
        self.address = address

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)


@contextmanager
def mapping_server(state_dir: Path, token: str | None = ADMIN_TOKEN) -> Iterator[MappingServer]:
    """Serve mapping-service on 127.0.0.1 port 0 until the block ends."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    clock = ManualClock()

    async def start() -> tuple[Storage, GrpcServer]:
        storage = await open_storage(f"sqlite:///{state_dir / 'cli.db'}", clock=clock)
        tenants = TenantStore(storage)
        servicer = MappingServicer(tenants, Operations(storage, tenants, clock), clock=clock)
        server = GrpcServer(
            [GrpcService(MAPPING_SERVICE, servicer,
                         mapping_pb2_grpc.add_MappingServiceServicer_to_server)],
            interceptors=[AdminTokenInterceptor(token)] if token else [])
        await server.start()
        await server.set_ready()
        return storage, server

    storage, server = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    try:
        yield MappingServer(loop, storage, clock, f"127.0.0.1:{server.port}")
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(0), loop).result(30)
        asyncio.run_coroutine_threadsafe(storage.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
