"""ingress-gateway's process: HTTP edge, change intake and the inbox loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import structlog
from aiohttp import web

from ingress_gateway.backfill import ROUTE as BACKFILL_ROUTE
from ingress_gateway.backfill import Backfills
from ingress_gateway.change_intake import TenantSubscription
from ingress_gateway.flows import Downstream
from ingress_gateway.inbox import QUEUE, is_webhook
from ingress_gateway.oauth_connect import ConnectSettings, add_routes
from ingress_gateway.outbound_flow import subscribed_objects
from ingress_gateway.pipeline import Pipeline
from ingress_gateway.polling import TenantPoller
from ingress_gateway.webhooks import WebhookHandler
from regalsync.channels import make_channel
from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc
from regalsync.contracts.matcher.v1 import matcher_pb2_grpc
from regalsync.contracts.publisher.v1 import publisher_pb2_grpc
from regalsync.contracts.writer.v1 import writer_pb2_grpc
from regalsync.lifecycle import run_service
from regalsync.queue_worker import QueueWorker, worker_name
from regalsync.salesforce.registry import SalesforceClients
from regalsync.service_kit import (
    salesforce_clients,
    service_base,
    tenant_directory,
)
from regalsync.settings import load_settings, setting
from regalsync.storage import Storage, open_storage
from regalsync.tenants import TenantDirectory

log = structlog.get_logger(__name__)

STATUS_KEY = web.AppKey("subscriptions", dict)


@dataclass(frozen=True, kw_only=True)
class IngressSettings(ConnectSettings):
    http_host: str = setting("127.0.0.1", description="Address the HTTP edge binds.")
    http_port: int = setting(8080, description="Port of the HTTP edge.")
    webhook_token_header: str = setting(
        "X-Regal-Webhook-Token", description="Header that carries a tenant's webhook token.")
    max_body_bytes: int = setting(1_048_576, description="Largest webhook body accepted.")
    pubsub_address: str = setting(
        "api.pubsub.salesforce.com:7443", description="Salesforce Pub/Sub API address.")
    matcher_address: str = setting("127.0.0.1:50062", description="matcher-service address.")
    publisher_address: str = setting("127.0.0.1:50063", description="regal-publisher address.")
    writer_address: str = setting("127.0.0.1:50064", description="salesforce-writer address.")
    tenant_poll_seconds: float = setting(
        2.0, description="How often new tenants are looked for.")
    inbox_max_pending: int = setting(
        100_000, description="Inbox backlog past which webhooks get 429 (0: no limit).")
    inbox_gather_seconds: float = setting(
        0.4, description="How long a fresh, small inbox batch of webhooks waits for more, "
        "so webhooks posted one at a time share Salesforce calls.")
    inbox_change_gather_seconds: float = setting(
        0.3, description="How long a fresh, small inbox batch of Salesforce changes waits "
        "for more, so that a trickle of small Pub/Sub batches shares one read of the "
        "records and one pass through the pipeline. Under a third of the one-second delivery "
        "goal; a full batch does not wait.")
    inbox_batches_in_flight: int = setting(
        4, description="Inbox batches driven through the pipeline at once, so one "
        "batch waiting on matcher or Salesforce does not hold up the next. With slow "
        "Salesforce calls this bounds what the ingress hands on (batches in flight times "
        "200 per round of matching): raise it to 8 when calls take a second.")


async def main(stop: asyncio.Event, settings: IngressSettings) -> None:
    """Serve webhooks, take change events and drain the inbox until stopped."""
    async with (service_base("ingress-gateway", settings) as base,
                _edge_storage(settings, base.storage) as edge_storage,
                tenant_directory(settings) as tenants,
                salesforce_clients(settings, tenants, base.storage) as clients,
                _downstream(settings) as downstream):
        worker = QueueWorker(base.storage, QUEUE,
                             Pipeline(base.storage, tenants, downstream).handle,
                             worker=worker_name("ingress-gateway"),
                             lease_seconds=settings.queue_lease_seconds,
                             batches_in_flight=settings.inbox_batches_in_flight,
                             gather_seconds=lambda item: (
                                 settings.inbox_gather_seconds if is_webhook(item)
                                 else settings.inbox_change_gather_seconds))
        subscriptions: dict[str, TenantSubscription] = {}
        runner = await _start_http(settings, edge_storage, tenants, worker.wake, subscriptions,
                                   clients)
        tasks = [asyncio.create_task(worker.run(stop)),
                 asyncio.create_task(_discover_tenants(
                     settings, base.storage, tenants, clients, subscriptions, worker.wake,
                     stop))]
        log.info("ingress_ready", http_port=settings.http_port)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await asyncio.wait(tasks, timeout=settings.shutdown_grace_seconds / 2)


@asynccontextmanager
async def _edge_storage(settings: IngressSettings,
                        shared: Storage) -> AsyncIterator[Storage]:
    """Give the HTTP edge, which records webhooks, a SQLite connection of its own.

    A SQLite connection runs one transaction at a time, and a webhook's
    acknowledgement must not wait behind the pipeline's claims and
    acknowledgements. PostgreSQL's pool already gives each its own.
    """
    if shared.backend_name != "sqlite":
        yield shared
        return
    storage = await open_storage(settings.storage_url, apply_migrations=False)
    try:
        yield storage
    finally:
        await storage.close()


async def _start_http(settings: IngressSettings, storage: Storage, tenants: TenantDirectory,
                      wake: Any, subscriptions: dict[str, TenantSubscription],
                      clients: SalesforceClients) -> web.AppRunner:
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[STATUS_KEY] = subscriptions
    handler = WebhookHandler(storage, tenants, token_header=settings.webhook_token_header,
                             on_accepted=wake, max_pending=settings.inbox_max_pending)
    app.router.add_post("/v1/tenants/{tenant}/regal/webhooks", handler)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/v1/status", _status)
    add_routes(app, storage, tenants, settings)
    app.router.add_post(BACKFILL_ROUTE, Backfills(
        storage, tenants, clients, admin_token=settings.admin_token, on_accepted=wake).handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    return runner


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _status(request: web.Request) -> web.Response:
    subscriptions = request.app[STATUS_KEY]
    return web.json_response({"subscriptions": {
        tenant: ("live" if s.live else "connecting") for tenant, s in subscriptions.items()}})


@dataclass
class _TenantIntake:
    """One tenant's change subscription and poller, and what they were built from."""

    connection: bytes
    stop: asyncio.Event
    tasks: list[asyncio.Task[None]]


async def _discover_tenants(
    settings: IngressSettings, storage: Storage, tenants: TenantDirectory,
    clients: SalesforceClients, subscriptions: dict[str, TenantSubscription],
    wake: Any, stop: asyncio.Event,
) -> None:
    """Start each tenant's change intake; restart it when its connection changes."""
    roots = _read(settings.salesforce_ca_bundle)
    intakes: dict[str, _TenantIntake] = {}
    while not stop.is_set():
        try:
            for listed in await tenants.list():
                if not listed.read_plans:
                    continue
                # The cached view, the same one the Salesforce client is built from.
                tenant = await tenants.get(listed.tenant_id)
                connection = tenant.salesforce.SerializeToString(deterministic=True)
                current = intakes.get(tenant.tenant_id)
                if current is not None and current.connection == connection:
                    continue
                if current is not None:
                    log.info("tenant_intake_restarting", tenant=tenant.tenant_id)
                    await _stop_intake(current)
                intakes[tenant.tenant_id] = await _start_intake(
                    settings, storage, tenants, clients, subscriptions, wake, roots,
                    tenant, connection)
        except grpc.aio.AioRpcError as error:
            log.warning("tenant_discovery_failed", code=error.code().name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.tenant_poll_seconds)
    for intake in intakes.values():
        await _stop_intake(intake)


async def _start_intake(
    settings: IngressSettings, storage: Storage, tenants: TenantDirectory,
    clients: SalesforceClients, subscriptions: dict[str, TenantSubscription], wake: Any,
    roots: bytes | None, tenant: mapping_pb2.Tenant, connection: bytes,
) -> _TenantIntake:
    client = await clients.get(tenant.tenant_id)
    subscription = TenantSubscription(
        tenant.tenant_id, storage, client.tokens,
        address=tenant.salesforce.pubsub_address or settings.pubsub_address,
        root_certificates=roots, holder=worker_name("ingress-gateway"),
        client_tag=settings.salesforce_client_tag, on_accepted=wake,
        salesforce=client, watched=subscribed_objects(tenants, tenant.tenant_id))
    subscriptions[tenant.tenant_id] = subscription
    poller = TenantPoller(tenant.tenant_id, storage, tenants, client,
                          holder=worker_name("ingress-gateway"), on_accepted=wake)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(subscription.run(stop)), asyncio.create_task(poller.run(stop))]
    return _TenantIntake(connection, stop, tasks)


async def _stop_intake(intake: _TenantIntake) -> None:
    intake.stop.set()
    await asyncio.wait(intake.tasks, timeout=5)


@contextlib.asynccontextmanager
async def _downstream(settings: IngressSettings) -> Any:
    timeout = settings.grpc_timeout_seconds
    channels = {
        "mapping": make_channel(settings.mapping_address, timeout_seconds=timeout,
                                service_names=["regalsync.mapping.v1.MappingService"]),
        "matcher": make_channel(settings.matcher_address, timeout_seconds=timeout,
                                service_names=["regalsync.matcher.v1.MatcherService"]),
        "publisher": make_channel(settings.publisher_address, timeout_seconds=timeout,
                                  service_names=["regalsync.publisher.v1.RegalPublisher"]),
        "writer": make_channel(settings.writer_address, timeout_seconds=timeout,
                               service_names=["regalsync.writer.v1.SalesforceWriter"]),
    }
    try:
        yield Downstream(
            mapping=mapping_pb2_grpc.MappingServiceStub(channels["mapping"]),
            matcher=matcher_pb2_grpc.MatcherServiceStub(channels["matcher"]),
            publisher=publisher_pb2_grpc.RegalPublisherStub(channels["publisher"]),
            writer=writer_pb2_grpc.SalesforceWriterStub(channels["writer"]))
    finally:
        for channel in channels.values():
            await channel.close()


def _read(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path else None


def run() -> int:
    """Load settings and run until SIGTERM."""
    settings = load_settings(IngressSettings)
    return run_service(lambda stop: main(stop, settings),
                       grace_seconds=settings.shutdown_grace_seconds)
