"""What every regal-sync process sets up the same way before its own work.

Logging, storage, Prometheus metrics and the channel to mapping-service,
opened in one place and closed in reverse order on the way out.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from prometheus_client import CollectorRegistry

from regalsync.channels import make_channel
from regalsync.contracts.mapping.v1 import mapping_pb2_grpc
from regalsync.grpc_server import GrpcServer
from regalsync.logs import configure_logging
from regalsync.metrics import ServiceMetrics, start_metrics_server, use_metrics
from regalsync.salesforce.budget import ApiBudget
from regalsync.salesforce.connections import ConnectionVault
from regalsync.salesforce.registry import SalesforceClients
from regalsync.settings import CommonSettings, doc, setting
from regalsync.storage import Storage, open_storage
from regalsync.tenants import TenantDirectory
from regalsync.tracing import configure_tracing

MAPPING_SERVICE = "regalsync.mapping.v1.MappingService"

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class ClientSettings(CommonSettings):
    """Settings of a service that calls mapping-service for tenants."""

    mapping_address: str = setting(
        "127.0.0.1:50061", description="mapping-service address (host:port, comma list).")
    grpc_timeout_seconds: float = setting(
        10.0, description="Default deadline of outgoing gRPC calls.")
    queue_lease_seconds: float = setting(
        30.0, description="How long a claimed queue batch stays with one worker; after a "
        "crash its items return to the queue when the lease runs out.")


@dataclass(frozen=True)
class ServiceBase:
    storage: Storage
    registry: CollectorRegistry
    metrics: ServiceMetrics | None = None


def _spare_start_up_objects_from_collection() -> None:
    """Keep the objects of start-up out of every later garbage collection.

    Modules, protobuf descriptors and the like live as long as the process,
    yet each full collection walked them all: tens of milliseconds with the
    event loop stopped, which webhooks waiting for their answer felt as
    tail latency. Frozen, they are never scanned again; what the service
    allocates from here on is collected as before.
    """
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def service_base(name: str, settings: CommonSettings) -> AsyncIterator[ServiceBase]:
    """Configure logging, tracing, storage and metrics for one process.

    The service's :class:`ServiceMetrics` is current for the whole block,
    so queue workers and gRPC servers built inside it record into it.
    """
    configure_logging(settings.log_format, settings.log_level, name)
    _spare_start_up_objects_from_collection()
    async with AsyncExitStack() as stack:
        tracing = configure_tracing(name)
        if tracing is not None:
            # Flushing may wait on the collector: keep it off the loop.
            stack.push_async_callback(asyncio.to_thread, tracing.shutdown)
        storage = await open_storage(settings.storage_url)
        stack.push_async_callback(storage.close)
        registry = CollectorRegistry()
        service_metrics = ServiceMetrics(registry)
        stack.enter_context(use_metrics(service_metrics))
        if settings.metrics_port is not None:
            metrics = await start_metrics_server(
                registry, host=settings.grpc_host, port=settings.metrics_port,
                refresh=service_metrics)
            stack.push_async_callback(metrics.close)
            log.info("metrics_serving", port=metrics.port)
        yield ServiceBase(storage, registry, service_metrics)


@asynccontextmanager
async def tenant_directory(settings: ClientSettings) -> AsyncIterator[TenantDirectory]:
    """Open a channel to mapping-service and wrap it in a tenant cache."""
    channel: Any = make_channel(settings.mapping_address, service_names=[MAPPING_SERVICE],
                                timeout_seconds=settings.grpc_timeout_seconds)
    try:
        yield TenantDirectory(mapping_pb2_grpc.MappingServiceStub(channel))
    finally:
        await channel.close()


async def serve(
    server: GrpcServer, stop: asyncio.Event, *, grace_seconds: float,
    background: Sequence[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = (),
) -> None:
    """Start ``server`` and the background loops; drain all on ``stop``.

    The server stops first (health flips to NOT_SERVING, in-flight calls
    finish), then the loops finish the batch in hand and return.
    """
    await server.start()
    tasks: list[asyncio.Task[None]] = [asyncio.create_task(loop(stop)) for loop in background]
    await server.set_ready()
    try:
        await stop.wait()
    finally:
        await server.stop(grace_seconds / 2)
        done, pending = await asyncio.wait(tasks, timeout=grace_seconds / 2) if tasks else (
            set(), set())
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                log.error("background_loop_failed", error=repr(task.exception()))


@dataclass(frozen=True, kw_only=True)
class SalesforceSettings(ClientSettings):
    """Settings of a service that calls Salesforce."""

    salesforce_ca_bundle: str | None = setting(
        None, description="CA bundle that verifies Salesforce (default: system CAs).")
    salesforce_client_tag: str = setting(
        "regalsync", description="Sforce-Call-Options client id on every call.")
    salesforce_threads: int = setting(
        8, description="Threads that run the synchronous Salesforce client.")
    secrets_dir: Path | None = setting(
        None, description="Directory of mounted secret files for ${NAME} references.")
    # Kept out of repr: settings objects may end up in logs or tracebacks.
    token_key: str | None = field(default=None, repr=False, metadata=doc(
        "Fernet key(s), comma separated, newest first, that seal the refresh tokens "
        "of connected orgs (docs/connecting-an-org.md); unset: no org can be connected."))


@asynccontextmanager
async def salesforce_clients(
    settings: SalesforceSettings, tenants: TenantDirectory, storage: Storage | None = None,
) -> AsyncIterator[SalesforceClients]:
    """Build per-tenant Salesforce clients on a bounded thread pool.

    With ``storage``, connected orgs' stored tokens are used and every
    call is counted against its tenant's API budget.
    """
    executor = ThreadPoolExecutor(settings.salesforce_threads, "salesforce")
    budget = ApiBudget(storage) if storage is not None else None
    vault = ConnectionVault(storage, settings.token_key) if storage is not None else None
    try:
        yield SalesforceClients(
            tenants, executor=executor, ca_bundle=settings.salesforce_ca_bundle,
            call_options_client=settings.salesforce_client_tag,
            secrets_dir=settings.secrets_dir, vault=vault, budget=budget)
    finally:
        if budget is not None:
            await budget.close()
        executor.shutdown(wait=False, cancel_futures=True)
