"""salesforce-writer's process: the Enqueue API plus the write loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from regalsync.contracts.writer.v1 import writer_pb2_grpc
from regalsync.grpc_server import GrpcServer, GrpcService
from regalsync.lifecycle import run_service
from regalsync.queue_worker import QueueWorker, worker_name
from regalsync.service_kit import (
    SalesforceSettings,
    salesforce_clients,
    serve,
    service_base,
    tenant_directory,
)
from regalsync.settings import load_settings, setting
from salesforce_writer.pauses import TenantPauses
from salesforce_writer.servicer import QUEUE, SalesforceWriterServicer
from salesforce_writer.writing import Writer, WriterPolicy

SERVICE_NAME = "regalsync.writer.v1.SalesforceWriter"


@dataclass(frozen=True, kw_only=True)
class WriterSettings(SalesforceSettings):
    grpc_port: int = setting(50064, description="Port the gRPC server binds.")
    writer_batch_size: int = setting(
        400, description="Writes claimed per batch. Each webhook usually makes two writes "
        "(its Task and its event record), so 400 fills one 200-record Collection of each.")
    writer_gather_seconds: float = setting(
        0.5, description="How long a fresh, small batch of writes waits for more, so "
        "each Salesforce call carries more records.")
    writer_batches_in_flight: int = setting(
        2, description="Batches written at once, so Salesforce's latency on one batch "
        "does not hold up the next.")
    writer_limit_pause_seconds: float = setting(
        300.0, description="How long a tenant's writes pause after REQUEST_LIMIT_EXCEEDED.")


async def main(stop: asyncio.Event, settings: WriterSettings) -> None:
    """Serve Enqueue and apply queued writes until ``stop`` is set."""
    async with (service_base("salesforce-writer", settings) as base,
                tenant_directory(settings) as tenants,
                salesforce_clients(settings, tenants, base.storage) as clients):
        policy = WriterPolicy(limit_pause_seconds=settings.writer_limit_pause_seconds)
        writer = Writer(clients, policy, pauses=TenantPauses(base.storage),
                        postpone=lambda ids, seconds, reason: base.storage.postpone(
                            QUEUE, ids, delay_seconds=seconds, reason=reason))
        worker = QueueWorker(base.storage, QUEUE, writer.handle,
                             worker=worker_name("salesforce-writer"),
                             batch_size=settings.writer_batch_size,
                             lease_seconds=settings.queue_lease_seconds,
                             gather_seconds=settings.writer_gather_seconds,
                             batches_in_flight=settings.writer_batches_in_flight)
        servicer = SalesforceWriterServicer(base.storage, QUEUE, worker.wake)
        server = GrpcServer(
            [GrpcService(SERVICE_NAME, servicer,
                         writer_pb2_grpc.add_SalesforceWriterServicer_to_server)],
            host=settings.grpc_host, port=settings.grpc_port)
        await serve(server, stop, grace_seconds=settings.shutdown_grace_seconds,
                    background=[worker.run])


def run() -> int:
    """Load settings and run until SIGTERM."""
    settings = load_settings(WriterSettings)
    return run_service(lambda stop: main(stop, settings),
                       grace_seconds=settings.shutdown_grace_seconds)
