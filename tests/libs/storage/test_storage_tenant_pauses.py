"""Storage for connecting orgs and pausing tenants: single-use tickets,
postponed items and per-tenant retention."""

from __future__ import annotations

from regalsync.storage import LogEntry, ManualClock, QueueItem, Storage


def entry(key: str, tenant: str) -> LogEntry:
    return LogEntry(tenant=tenant, direction="inbound", event_type="call.completed",
                    idempotency_key=key, status="accepted", detail="")


class TestTakeCheckpoint:
    async def test_take_returns_the_value_once(self, storage: Storage) -> None:
        """A taken checkpoint answers its value, then is gone for everyone."""
        await storage.set_checkpoint("_oauth", "state:abc", b"pending")

        assert await storage.take_checkpoint("_oauth", "state:abc") == b"pending"
        assert await storage.take_checkpoint("_oauth", "state:abc") is None
        assert await storage.get_checkpoint("_oauth", "state:abc") is None

    async def test_take_leaves_other_tenants_alone(self, storage: Storage) -> None:
        """Taking one tenant's checkpoint keeps another's of the same name."""
        await storage.set_checkpoint("acme", "n", b"a")
        await storage.set_checkpoint("globex", "n", b"g")

        await storage.take_checkpoint("acme", "n")

        assert await storage.get_checkpoint("globex", "n") == b"g"


class TestPostpone:
    async def test_postponed_item_keeps_its_attempts(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """A postponed claim does not count towards the item's attempts."""
        await storage.enqueue("writer", [QueueItem("acme", "k1", "r1", b"x")])
        claimed = await storage.claim("writer", worker="w", limit=10, lease_seconds=30)
        assert claimed[0].attempts == 1

        await storage.postpone("writer", [claimed[0].id], delay_seconds=5,
                               reason="api_budget_exhausted")
        clock.advance(5)
        again = await storage.claim("writer", worker="w", limit=10, lease_seconds=30)

        assert [i.attempts for i in again] == [1]

    async def test_postponed_item_waits_out_its_delay(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """A postponed item cannot be claimed before its delay has passed."""
        await storage.enqueue("writer", [QueueItem("acme", "k1", "r1", b"x")])
        claimed = await storage.claim("writer", worker="w", limit=10, lease_seconds=30)

        await storage.postpone("writer", [claimed[0].id], delay_seconds=60, reason="paused")
        clock.advance(59)

        assert await storage.claim("writer", worker="w", limit=10, lease_seconds=30) == []


class TestPurgeLogPerTenant:
    async def test_purge_of_one_tenant_keeps_the_others(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """Purging one tenant's old entries leaves other tenants' old entries."""
        await storage.append_log([entry("a1", "acme"), entry("g1", "globex")])
        clock.advance(100)

        purged = await storage.purge_log(50, tenant="acme")

        assert purged == 1
        assert await storage.query_log("acme") == []
        assert len(await storage.query_log("globex")) == 1

    async def test_purge_keeps_recent_entries(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """Only entries older than the retention go, newer ones stay."""
        await storage.append_log([entry("old", "acme")])
        clock.advance(100)
        await storage.append_log([entry("new", "acme")])

        await storage.purge_log(50, tenant="acme")

        assert [r.entry.idempotency_key for r in await storage.query_log("acme")] == ["new"]
