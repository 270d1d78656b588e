"""The RegalPublisher gRPC contract, over the durable queue."""

from __future__ import annotations

import grpc

from regalsync.contracts.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from regalsync.queue_api import DeadLetterApi, enqueue_batch
from regalsync.storage import QueueItem

QUEUE = "regal_events"


class RegalPublisherServicer(DeadLetterApi, publisher_pb2_grpc.RegalPublisherServicer):
    """Accept events only once they are stored; report duplicates as such."""

    async def Enqueue(
        self, request: publisher_pb2.EnqueueRequest, context: grpc.aio.ServicerContext,
    ) -> publisher_pb2.EnqueueResponse:
        items = [QueueItem(tenant=request.tenant_id, idempotency_key=e.idempotency_key,
                           ordering_key=e.ordering_key or e.idempotency_key,
                           payload=e.body_json)
                 for e in request.events]
        results = await enqueue_batch(self._queues, self._queue, request.tenant_id, items)
        self._on_enqueued()
        return publisher_pb2.EnqueueResponse(results=results)
