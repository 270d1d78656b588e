"""The SalesforceWriter gRPC contract, over the durable write queue."""

from __future__ import annotations

import grpc

from regalsync.contracts.writer.v1 import writer_pb2, writer_pb2_grpc
from regalsync.queue_api import DeadLetterApi, enqueue_batch
from regalsync.storage import QueueItem

QUEUE = "salesforce_writes"


class SalesforceWriterServicer(DeadLetterApi, writer_pb2_grpc.SalesforceWriterServicer):
    """Accept writes only once they are stored; report duplicates as such."""

    async def Enqueue(
        self, request: writer_pb2.EnqueueRequest, context: grpc.aio.ServicerContext,
    ) -> writer_pb2.EnqueueResponse:
        items = [QueueItem(tenant=request.tenant_id, idempotency_key=w.idempotency_key,
                           ordering_key=w.ordering_key or w.idempotency_key,
                           payload=w.SerializeToString())
                 for w in request.writes]
        results = await enqueue_batch(self._queues, self._queue, request.tenant_id, items)
        self._on_enqueued()
        return writer_pb2.EnqueueResponse(results=results)
