"""The parts of a queue-owning gRPC service that look the same everywhere.

regal-publisher and salesforce-writer both accept batches into a durable
queue and expose its dead letters; they share the code for it here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import grpc

from regalsync.contracts.common.v1 import common_pb2
from regalsync.errors import InvalidInput
from regalsync.storage import QueueItem
from regalsync.storage._queues import QueueStore


async def enqueue_batch(
    queues: QueueStore, queue: str, tenant_id: str, items: Sequence[QueueItem],
) -> list[common_pb2.ItemResult]:
    """Store a batch durably and return one result per item, in order."""
    if not tenant_id:
        raise InvalidInput("tenant_id is required")
    if any(not item.idempotency_key for item in items):
        raise InvalidInput("every item needs an idempotency_key")
    accepted = await queues.enqueue(queue, items)
    return [
        common_pb2.ItemResult(
            idempotency_key=item.idempotency_key,
            status=(common_pb2.ITEM_STATUS_ACCEPTED if new
                    else common_pb2.ITEM_STATUS_DUPLICATE))
        for item, new in zip(items, accepted, strict=True)]


class DeadLetterApi:
    """ListDeadLetters and ReplayDeadLetters over one queue."""

    def __init__(self, queues: QueueStore, queue: str, on_enqueued: Callable[[], None]) -> None:
        self._queues = queues
        self._queue = queue
        self._on_enqueued = on_enqueued

    async def ListDeadLetters(
        self, request: common_pb2.ListDeadLettersRequest, context: grpc.aio.ServicerContext,
    ) -> common_pb2.ListDeadLettersResponse:
        letters = await self._queues.list_dead_letters(
            self._queue, request.tenant_id, limit=request.limit or 100)
        return common_pb2.ListDeadLettersResponse(dead_letters=[
            common_pb2.DeadLetter(
                id=d.id, tenant_id=d.tenant, idempotency_key=d.idempotency_key,
                reason=d.reason, attempts=d.attempts, failed_at_ms=int(d.failed_at * 1000),
                payload_json=d.payload)
            for d in letters])

    async def ReplayDeadLetters(
        self, request: common_pb2.ReplayDeadLettersRequest, context: grpc.aio.ServicerContext,
    ) -> common_pb2.ReplayDeadLettersResponse:
        replayed = await self._queues.replay_dead_letters(
            self._queue, request.tenant_id, list(request.ids) or None)
        self._on_enqueued()
        return common_pb2.ReplayDeadLettersResponse(replayed=replayed)
