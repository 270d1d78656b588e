"""matcher-service's process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from matcher_service.servicer import MatcherServicer
from regalsync.contracts.matcher.v1 import matcher_pb2_grpc
from regalsync.grpc_server import GrpcServer, GrpcService
from regalsync.lifecycle import run_service
from regalsync.service_kit import (
    SalesforceSettings,
    salesforce_clients,
    serve,
    service_base,
    tenant_directory,
)
from regalsync.settings import load_settings, setting

SERVICE_NAME = "regalsync.matcher.v1.MatcherService"


@dataclass(frozen=True, kw_only=True)
class MatcherSettings(SalesforceSettings):
    grpc_port: int = setting(50062, description="Port the gRPC server binds.")


async def main(stop: asyncio.Event, settings: MatcherSettings) -> None:
    """Serve Enrich and Resolve until ``stop`` is set."""
    async with (service_base("matcher-service", settings) as base,
                tenant_directory(settings) as tenants,
                salesforce_clients(settings, tenants, base.storage) as clients):
        server = GrpcServer(
            [GrpcService(SERVICE_NAME, MatcherServicer(clients),
                         matcher_pb2_grpc.add_MatcherServiceServicer_to_server)],
            host=settings.grpc_host, port=settings.grpc_port)
        await serve(server, stop, grace_seconds=settings.shutdown_grace_seconds)


def run() -> int:
    """Load settings and run until SIGTERM."""
    settings = load_settings(MatcherSettings)
    return run_service(lambda stop: main(stop, settings),
                       grace_seconds=settings.shutdown_grace_seconds)
