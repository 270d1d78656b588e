"""Start regal-sync's gRPC services in-process on port 0 for unit tests.

Each service gets a real ``GrpcServer`` (health, reflection, interceptors)
around its real servicer, on real storage; the sandboxes run in the same
event loop. Nothing of the services' own code is mocked.
"""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from mapping_service.servicer import MappingServicer
from mapping_service.tenants import TenantStore
from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc
from regalsync.grpc_server import GrpcServer, GrpcService
from regalsync.storage import Storage
from regalsync.tenants import TenantDirectory

MAPPING = "regalsync.mapping.v1.MappingService"


@dataclass
class Served:
    server: GrpcServer
    channel: Any

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"


@asynccontextmanager
async def serve(service: GrpcService) -> AsyncIterator[Served]:
    """Serve one service on a free port and open a channel to it."""
    server = GrpcServer([service], port=0)
    await server.start()
    await server.set_ready()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        yield Served(server, channel)
    finally:
        await channel.close()
        await server.stop(0)


@asynccontextmanager
async def mapping_service(storage: Storage) -> AsyncIterator[Served]:
    """Run mapping-service over ``storage``."""
    servicer = MappingServicer(TenantStore(storage))
    async with serve(GrpcService(MAPPING, servicer,
                                 mapping_pb2_grpc.add_MappingServiceServicer_to_server)) as s:
        yield s


def tenant_directory(mapping: Served) -> TenantDirectory:
    """Return the cache other services use to read tenants."""
    return TenantDirectory(mapping_pb2_grpc.MappingServiceStub(mapping.channel), ttl_seconds=0)


def tenant_yaml(*, login_url: str = "https://login.salesforce.com",
                events_url: str = "https://events.regalvoice.com/events",
                username: str = "integration@example.com",
                flow: str = "client_credentials") -> str:
    """Return a small valid tenant document (Lead and Contact mapped)."""
    secret_key = "private_key" if flow == "jwt_bearer" else "client_secret"
    return textwrap.dedent(f"""\
        tenant: acme
        salesforce:
          login_url: {login_url}
          auth:
            flow: {flow}
            client_id: ${{ACME_SF_CLIENT_ID}}
            username: {username}
            {secret_key}: ${{ACME_SF_SECRET}}
        regal:
          events_url: {events_url}
          api_key: ${{ACME_REGAL_API_KEY}}
          webhook_token: ${{ACME_WEBHOOK_TOKEN}}
        configurations:
          - name: Main
            active: true
            desired_objects: leads_and_contacts
            create_records_when_unmatched: false
            update_salesforce_from_regal: true
            log_calls_and_sms_as_tasks: false
            object_mappings:
              - object: Lead
                active: true
                attributes:
                  - {{regal: traits.phone, salesforce: Phone}}
                  - {{regal: traits.lastName, salesforce: LastName}}
              - object: Contact
                active: true
                attributes:
                  - {{regal: traits.phone, salesforce: Phone}}
                  - {{regal: traits.firstName, salesforce: FirstName}}
                  - {{regal: traits.lastName, salesforce: LastName}}
        """)


async def apply_tenant(mapping: Served, text: str) -> mapping_pb2.ApplyResult:
    """Apply a tenant document through the public contract."""
    stub = mapping_pb2_grpc.MappingServiceStub(mapping.channel)
    result: mapping_pb2.ApplyResult = await stub.ApplyConfiguration(
        mapping_pb2.ConfigurationDocument(text=text, source="test"))
    return result


def state_dir(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir(exist_ok=True)
    return path
