"""Queue items carry the trace context of whoever offered them."""

from __future__ import annotations

from regalsync.storage import QueueItem, Storage

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def claim_one(storage: Storage, queue: str) -> list[str | None]:
    claimed = await storage.claim(queue, worker="w", limit=10, lease_seconds=30)
    return [c.trace_context for c in claimed]


class TestTraceContext:
    async def test_claim_returns_the_context_stored_at_enqueue(
        self, storage: Storage
    ) -> None:
        """The worker gets back the traceparent the item was queued with."""
        item = QueueItem("acme", "k1", "r1", b"x", trace_context=TRACEPARENT)
        await storage.enqueue("writer", [item])

        assert await claim_one(storage, "writer") == [TRACEPARENT]

    async def test_untraced_items_have_no_context(self, storage: Storage) -> None:
        """With tracing off, items are stored and claimed without a context."""
        await storage.enqueue("writer", [QueueItem("acme", "k1", "r1", b"x")])

        assert await claim_one(storage, "writer") == [None]

    async def test_moved_items_keep_their_own_context(self, storage: Storage) -> None:
        """An item moved downstream carries the context it was made with."""
        await storage.enqueue("inbox", [QueueItem("acme", "k1", "r1", b"x")])
        upstream = await storage.claim("inbox", worker="w", limit=1, lease_seconds=30)
        downstream = QueueItem("acme", "k1", "r1", b"y", trace_context=TRACEPARENT)

        await storage.move("inbox", [upstream[0].id], "out", [downstream])

        assert await claim_one(storage, "out") == [TRACEPARENT]
