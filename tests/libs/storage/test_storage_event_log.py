"""The per-tenant event log operators query."""

from __future__ import annotations

from regalsync.storage import LogEntry, ManualClock, Storage


def entry(key: str, status: str = "delivered", tenant: str = "acme",
          direction: str = "outbound") -> LogEntry:
    return LogEntry(
        tenant=tenant,
        direction=direction,
        event_type="Salesforce Contact Created",
        idempotency_key=key,
        status=status,
        detail="record=003xx0000001",
    )


class TestEventLog:
    async def test_query_returns_newest_first(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """A tenant's entries come back newest first, other tenants not."""
        await storage.append_log([entry("e1"), entry("x1", tenant="globex")])
        clock.advance(1)
        await storage.append_log([entry("e2")])

        records = await storage.query_log("acme")

        assert [r.entry.idempotency_key for r in records] == ["e2", "e1"]
        assert records[0].entry == entry("e2")

    async def test_query_filters(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """Status, direction and a start time narrow the result."""
        await storage.append_log([entry("old", status="failed")])
        clock.advance(10)
        since = clock()
        await storage.append_log([
            entry("e1", status="failed"),
            entry("e2"),
            entry("e3", status="failed", direction="inbound"),
        ])

        records = await storage.query_log(
            "acme", status="failed", direction="outbound", since=since
        )

        assert [r.entry.idempotency_key for r in records] == ["e1"]

    async def test_query_honours_limit(self, storage: Storage) -> None:
        """No more than `limit` entries are returned."""
        await storage.append_log([entry(f"e{i}") for i in range(5)])

        assert len(await storage.query_log("acme", limit=2)) == 2

    async def test_purge_drops_old_entries(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """Entries older than the retention period are deleted."""
        await storage.append_log([entry("old")])
        clock.advance(8 * 86400)
        await storage.append_log([entry("new")])

        assert await storage.purge_log(older_than_seconds=7 * 86400) == 1
        records = await storage.query_log("acme")
        assert [r.entry.idempotency_key for r in records] == ["new"]
