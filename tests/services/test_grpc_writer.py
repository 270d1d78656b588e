"""salesforce-writer through its gRPC contract, writing to the Salesforce sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grpc_services import serve
from salesforce_org import in_thread, salesforce_org

from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.contracts.writer.v1 import writer_pb2, writer_pb2_grpc
from regalsync.grpc_server import GrpcService
from regalsync.queue_worker import QueueWorker
from regalsync.storage import Storage
from salesforce_writer.servicer import QUEUE, SalesforceWriterServicer
from salesforce_writer.writing import Writer

WRITER = "regalsync.writer.v1.SalesforceWriter"


class TestWriter:
    async def test_queued_update_is_applied_to_the_record(
            self, storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """An accepted update write changes the Salesforce record."""
        async with salesforce_org(storage, tmp_path, monkeypatch) as org:
            sf = await in_thread(org.admin)
            created = await in_thread(lambda: sf.Contact.create({"LastName": "Before"}))
            worker = QueueWorker(storage, QUEUE, Writer(org.clients).handle, worker="test",
                                 lease_seconds=5)
            servicer = SalesforceWriterServicer(storage, QUEUE, worker.wake)
            service = GrpcService(WRITER, servicer,
                                  writer_pb2_grpc.add_SalesforceWriterServicer_to_server)
            async with serve(service) as served:
                answer = await writer_pb2_grpc.SalesforceWriterStub(served.channel).Enqueue(
                    writer_pb2.EnqueueRequest(tenant_id="acme", writes=[
                        mapping_pb2.SalesforceWrite(
                            idempotency_key="w1", ordering_key=created["id"],
                            kind=mapping_pb2.WRITE_KIND_UPDATE, object_type="Contact",
                            record_id=created["id"],
                            fields_json=json.dumps({"LastName": "After"}).encode())]))
                handled = await worker.run_once()
                while handled:
                    handled = await worker.run_once()
            record = await in_thread(lambda: sf.Contact.get(created["id"]))

        assert [r.status for r in answer.results] == [common_pb2.ITEM_STATUS_ACCEPTED]
        assert record["LastName"] == "After"

    async def test_write_without_tenant_is_refused(
            self, storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A batch without a tenant id is INVALID_ARGUMENT, and nothing is queued."""
        import grpc

        async with salesforce_org(storage, tmp_path, monkeypatch) as org:
            worker = QueueWorker(storage, QUEUE, Writer(org.clients).handle, worker="test")
            servicer = SalesforceWriterServicer(storage, QUEUE, worker.wake)
            service = GrpcService(WRITER, servicer,
                                  writer_pb2_grpc.add_SalesforceWriterServicer_to_server)
            async with serve(service) as served:
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await writer_pb2_grpc.SalesforceWriterStub(served.channel).Enqueue(
                        writer_pb2.EnqueueRequest(writes=[mapping_pb2.SalesforceWrite(
                            idempotency_key="w1")]))

        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (await storage.depth(QUEUE)).pending == 0
