"""regal-publisher's process: the Enqueue API plus the delivery loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from regal_publisher.delivery import Backoff
from regal_publisher.publishing import Publisher
from regal_publisher.rate_limit import TenantRateLimits
from regal_publisher.replicas import ReplicaMembership
from regal_publisher.servicer import QUEUE, RegalPublisherServicer
from regalsync.contracts.publisher.v1 import publisher_pb2_grpc
from regalsync.grpc_server import GrpcServer, GrpcService
from regalsync.lifecycle import run_service
from regalsync.queue_worker import QueueWorker, worker_name
from regalsync.service_kit import ClientSettings, serve, service_base, tenant_directory
from regalsync.settings import load_settings, setting

SERVICE_NAME = "regalsync.publisher.v1.RegalPublisher"


@dataclass(frozen=True, kw_only=True)
class PublisherSettings(ClientSettings):
    grpc_port: int = setting(50063, description="Port the gRPC server binds.")
    publisher_concurrency: int = setting(
        32, description="Regal requests in flight at once per process.")
    publisher_batch_size: int = setting(200, description="Events claimed per batch.")
    publisher_batches_in_flight: int = setting(
        4, description="Batches delivered at once, so a tenant held to its rate limit "
        "does not hold up the next batch (requests stay capped by the concurrency).")
    publisher_retry_base_seconds: float = setting(
        1.0, description="First retry delay after a transient Regal failure; doubles "
        "with each attempt (with jitter) unless Regal sends Retry-After.")
    publisher_retry_cap_seconds: float = setting(
        120.0, description="Longest delay between two attempts of one event.")
    publisher_max_attempts: int = setting(
        1000, description="Attempts before an event is parked as a dead letter "
        "(at the cap, 1000 attempts ride out well over a day of Regal outage).")


async def main(stop: asyncio.Event, settings: PublisherSettings) -> None:
    """Serve Enqueue and deliver queued events until ``stop`` is set."""
    async with (service_base("regal-publisher", settings) as base,
                tenant_directory(settings) as tenants,
                aiohttp.ClientSession() as http):
        # The queue worker's name is unique to this process: it names the
        # replica among the publishers that share each tenant's rate.
        replica_id = worker_name("regal-publisher")
        limits = TenantRateLimits()
        membership = ReplicaMembership(base.storage, limits, replica_id)
        publisher = Publisher(
            http, tenants, concurrency=settings.publisher_concurrency,
            backoff=Backoff(settings.publisher_retry_base_seconds,
                            settings.publisher_retry_cap_seconds),
            limits=limits)
        worker = QueueWorker(base.storage, QUEUE, publisher.handle,
                             worker=replica_id,
                             batch_size=settings.publisher_batch_size,
                             lease_seconds=settings.queue_lease_seconds,
                             max_attempts=settings.publisher_max_attempts,
                             batches_in_flight=settings.publisher_batches_in_flight)
        servicer = RegalPublisherServicer(base.storage, QUEUE, worker.wake)
        server = GrpcServer(
            [GrpcService(SERVICE_NAME, servicer,
                         publisher_pb2_grpc.add_RegalPublisherServicer_to_server)],
            host=settings.grpc_host, port=settings.grpc_port)

        async def deliver(stopping: asyncio.Event) -> None:
            # As a member only: the lease goes once the worker has settled
            # its batches and their requests have left Regal's window.
            async with membership.taking_part():
                await worker.run(stopping)

        await serve(server, stop, grace_seconds=settings.shutdown_grace_seconds,
                    background=[deliver])


def run() -> int:
    """Load settings and run until SIGTERM."""
    settings = load_settings(PublisherSettings)
    return run_service(lambda stop: main(stop, settings),
                       grace_seconds=settings.shutdown_grace_seconds)
