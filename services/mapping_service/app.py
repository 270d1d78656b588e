"""mapping-service's process."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import structlog

from mapping_service.admin_auth import AdminTokenInterceptor
from mapping_service.operations import Operations
from mapping_service.servicer import MappingServicer
from mapping_service.tenants import TenantStore
from regalsync.contracts.mapping.v1 import mapping_pb2_grpc
from regalsync.grpc_server import GrpcServer, GrpcService
from regalsync.lifecycle import run_service
from regalsync.service_kit import MAPPING_SERVICE, serve, service_base
from regalsync.settings import CommonSettings, load_settings, setting

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class MappingSettings(CommonSettings):
    grpc_port: int = setting(50061, description="Port the gRPC server binds.")
    admin_token: str | None = setting(
        None, description="Bearer token admin calls (apply, rollback, logs, status) "
                          "must carry; unset leaves them open.")


async def main(stop: asyncio.Event, settings: MappingSettings) -> None:
    """Serve configurations and transforms until ``stop`` is set."""
    async with service_base("mapping-service", settings) as base:
        tenants = TenantStore(base.storage)
        servicer = MappingServicer(tenants, Operations(base.storage, tenants, time.time))
        interceptors: list[Any] = []
        if settings.admin_token:
            interceptors.append(AdminTokenInterceptor(settings.admin_token))
        else:
            log.warning("admin_calls_unauthenticated",
                        hint="set REGALSYNC_ADMIN_TOKEN to require a token")
        server = GrpcServer(
            [GrpcService(MAPPING_SERVICE, servicer,
                         mapping_pb2_grpc.add_MappingServiceServicer_to_server)],
            host=settings.grpc_host, port=settings.grpc_port, interceptors=interceptors)
        await serve(server, stop, grace_seconds=settings.shutdown_grace_seconds)


def run() -> int:
    """Load settings and run until SIGTERM."""
    settings = load_settings(MappingSettings)
    return run_service(lambda stop: main(stop, settings),
                       grace_seconds=settings.shutdown_grace_seconds)
