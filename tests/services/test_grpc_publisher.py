"""regal-publisher through its gRPC contract, delivering to the Regal sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import httpx
import pytest
from grpc_services import (
    Served,
    apply_tenant,
    mapping_service,
    serve,
    tenant_directory,
    tenant_yaml,
)

from regal_publisher.publishing import Publisher
from regal_publisher.servicer import QUEUE, RegalPublisherServicer
from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.contracts.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from regalsync.grpc_server import GrpcService
from regalsync.queue_worker import QueueWorker
from regalsync.storage import Storage
from sandbox.regal.app import RunningSandbox, running_regal_sandbox
from sandbox.regal.settings import SandboxSettings

API_KEY = "acme-regal-key"


@dataclass
class PublisherUnderTest:
    regal: RunningSandbox
    stub: publisher_pb2_grpc.RegalPublisherStub
    worker: QueueWorker

    async def regal_bodies(self) -> list[dict[str, object]]:
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{self.regal.base_url}/sandbox/events")
        return [e["body"] for e in answer.json()["events"]]


@asynccontextmanager
async def running_publisher(storage: Storage) -> AsyncIterator[PublisherUnderTest]:
    async with (running_regal_sandbox(SandboxSettings(api_keys=(API_KEY,))) as regal,
                mapping_service(storage) as mapping,
                aiohttp.ClientSession() as http):
        await apply_tenant(mapping, tenant_yaml(events_url=regal.events_url))
        publisher = Publisher(http, tenant_directory(mapping))
        worker = QueueWorker(storage, QUEUE, publisher.handle, worker="test", lease_seconds=5)
        servicer = RegalPublisherServicer(storage, QUEUE, worker.wake)
        service = GrpcService("regalsync.publisher.v1.RegalPublisher", servicer,
                              publisher_pb2_grpc.add_RegalPublisherServicer_to_server)
        async with serve(service) as served:
            yield PublisherUnderTest(regal, _stub(served), worker)


def _stub(served: Served) -> publisher_pb2_grpc.RegalPublisherStub:
    return publisher_pb2_grpc.RegalPublisherStub(served.channel)


def _event(key: str, name: str = "Salesforce Contact Created") -> mapping_pb2.RegalEvent:
    body = {"userId": key, "name": name, "eventSource": "salesforce",
            "traits": {"phone": "+18565597961"}}
    return mapping_pb2.RegalEvent(idempotency_key=key, ordering_key="0038d00000A0001AAB",
                                  body_json=json.dumps(body).encode())


async def _drain(worker: QueueWorker) -> None:
    """Handle batches until the queue has nothing claimable."""
    handled = await worker.run_once()
    while handled:
        handled = await worker.run_once()


class TestDelivery:
    async def test_queued_event_reaches_regal_with_the_bare_key(
            self, storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
        """An accepted event is POSTed to Regal's events API once."""
        monkeypatch.setenv("ACME_REGAL_API_KEY", API_KEY)
        async with running_publisher(storage) as under_test:
            answer = await under_test.stub.Enqueue(
                publisher_pb2.EnqueueRequest(tenant_id="acme", events=[_event("k1")]))
            await _drain(under_test.worker)
            bodies = await under_test.regal_bodies()

        assert [r.status for r in answer.results] == [common_pb2.ITEM_STATUS_ACCEPTED]
        assert [b["userId"] for b in bodies] == ["k1"]

    async def test_redelivered_key_is_reported_duplicate_and_sent_once(
            self, storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
        """Enqueueing the same key twice sends the event once."""
        monkeypatch.setenv("ACME_REGAL_API_KEY", API_KEY)
        async with running_publisher(storage) as under_test:
            await under_test.stub.Enqueue(
                publisher_pb2.EnqueueRequest(tenant_id="acme", events=[_event("k1")]))
            again = await under_test.stub.Enqueue(
                publisher_pb2.EnqueueRequest(tenant_id="acme", events=[_event("k1")]))
            await _drain(under_test.worker)
            bodies = await under_test.regal_bodies()

        assert [r.status for r in again.results] == [common_pb2.ITEM_STATUS_DUPLICATE]
        assert len(bodies) == 1


class TestDeadLetters:
    async def test_refused_event_is_parked_and_replayed_after_a_fix(
            self, storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
        """A 401 parks the event; after fixing the key, replay delivers it."""
        monkeypatch.setenv("ACME_REGAL_API_KEY", "wrong-key")
        async with running_publisher(storage) as under_test:
            await under_test.stub.Enqueue(
                publisher_pb2.EnqueueRequest(tenant_id="acme", events=[_event("k1")]))
            await _drain(under_test.worker)
            parked = await under_test.stub.ListDeadLetters(
                common_pb2.ListDeadLettersRequest(tenant_id="acme"))
            monkeypatch.setenv("ACME_REGAL_API_KEY", API_KEY)
            replayed = await under_test.stub.ReplayDeadLetters(
                common_pb2.ReplayDeadLettersRequest(tenant_id="acme"))
            await _drain(under_test.worker)
            bodies = await under_test.regal_bodies()

        assert [(d.idempotency_key, d.reason) for d in parked.dead_letters] == [
            ("k1", "http_401")]
        assert replayed.replayed == 1
        assert [b["userId"] for b in bodies] == ["k1"]
