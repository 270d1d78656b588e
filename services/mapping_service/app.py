"""mapping-service's process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mapping_service.servicer import MappingServicer
from mapping_service.tenants import TenantStore
from regalsync.contracts.mapping.v1 import mapping_pb2_grpc
from regalsync.grpc_server import GrpcServer, GrpcService
from regalsync.lifecycle import run_service
from regalsync.service_kit import MAPPING_SERVICE, serve, service_base
from regalsync.settings import CommonSettings, load_settings, setting


@dataclass(frozen=True, kw_only=True)
class MappingSettings(CommonSettings):
    grpc_port: int = setting(50061, description="Port the gRPC server binds.")


async def main(stop: asyncio.Event, settings: MappingSettings) -> None:
    """Serve configurations and transforms until ``stop`` is set."""
    async with service_base("mapping-service", settings) as base:
        servicer = MappingServicer(TenantStore(base.storage))
        server = GrpcServer(
            [GrpcService(MAPPING_SERVICE, servicer,
                         mapping_pb2_grpc.add_MappingServiceServicer_to_server)],
            host=settings.grpc_host, port=settings.grpc_port)
        await serve(server, stop, grace_seconds=settings.shutdown_grace_seconds)


def run() -> int:
    """Load settings and run until SIGTERM."""
    settings = load_settings(MappingSettings)
    return run_service(lambda stop: main(stop, settings),
                       grace_seconds=settings.shutdown_grace_seconds)
