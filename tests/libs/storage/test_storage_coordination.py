"""The idempotency ledger, checkpoints and leases."""

from __future__ import annotations

import asyncio

from regalsync.storage import ManualClock, Storage


class TestLedger:
    async def test_remember_reports_first_sight(self, storage: Storage) -> None:
        """A key is new the first time only, even within one batch."""
        assert await storage.remember("acme", "webhook", ["a", "b", "a"]) == [
            True, True, False,
        ]
        assert await storage.remember("acme", "webhook", ["b", "c"]) == [
            False, True,
        ]

    async def test_keys_are_per_tenant_and_scope(self, storage: Storage) -> None:
        """The same key is new in another tenant or another scope."""
        await storage.remember("acme", "webhook", ["a"])

        assert await storage.remember("globex", "webhook", ["a"]) == [True]
        assert await storage.remember("acme", "write", ["a"]) == [True]

    async def test_seen_does_not_record(self, storage: Storage) -> None:
        """Asking whether keys were seen leaves them unseen."""
        await storage.remember("acme", "webhook", ["a"])

        assert await storage.seen("acme", "webhook", ["a", "b"]) == [True, False]
        assert await storage.seen("acme", "webhook", ["b"]) == [False]

    async def test_purge_forgets_old_keys(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """Keys older than the retention period are forgotten."""
        await storage.remember("acme", "webhook", ["old"])
        clock.advance(100)
        await storage.remember("acme", "webhook", ["new"])

        assert await storage.purge_remembered(older_than_seconds=50) == 1
        assert await storage.seen("acme", "webhook", ["old", "new"]) == [
            False, True,
        ]


class TestCheckpoints:
    async def test_unset_checkpoint_is_none(self, storage: Storage) -> None:
        """A checkpoint never set reads as None."""
        assert await storage.get_checkpoint("acme", "replay:Contact") is None

    async def test_set_replaces_the_value(self, storage: Storage) -> None:
        """The last value set is the one read back."""
        await storage.set_checkpoint("acme", "replay", b"\x00\x01")
        await storage.set_checkpoint("acme", "replay", b"\x00\x02")

        assert await storage.get_checkpoint("acme", "replay") == b"\x00\x02"
        assert await storage.get_checkpoint("globex", "replay") is None

    async def test_compare_and_set_creates_once(self, storage: Storage) -> None:
        """Only one writer can create a checkpoint expected to be unset."""
        first = await storage.compare_and_set_checkpoint("acme", "c", None, b"1")
        second = await storage.compare_and_set_checkpoint("acme", "c", None, b"2")

        assert (first, second) == (True, False)
        assert await storage.get_checkpoint("acme", "c") == b"1"

    async def test_compare_and_set_rejects_stale(self, storage: Storage) -> None:
        """A writer holding a stale value cannot overwrite a newer one."""
        await storage.set_checkpoint("acme", "c", b"2")

        assert not await storage.compare_and_set_checkpoint(
            "acme", "c", b"1", b"3"
        )
        assert await storage.compare_and_set_checkpoint("acme", "c", b"2", b"3")
        assert await storage.get_checkpoint("acme", "c") == b"3"


class TestLeases:
    async def test_lease_is_exclusive(self, storage: Storage) -> None:
        """While one holder's lease lives, nobody else gets it."""
        assert await storage.acquire_lease("cdc:acme", "pod-a", 30)

        assert not await storage.acquire_lease("cdc:acme", "pod-b", 30)
        assert await storage.lease_holder("cdc:acme") == "pod-a"

    async def test_only_one_of_racing_holders_wins(
        self, storage: Storage, second_storage: Storage
    ) -> None:
        """Replicas racing for a free lease get exactly one winner."""
        results = await asyncio.gather(*(
            (storage if n % 2 else second_storage).acquire_lease(
                "cdc:acme", f"pod-{n}", 30
            )
            for n in range(6)
        ))

        assert results.count(True) == 1

    async def test_dead_holder_is_taken_over(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """A lease not renewed in time passes to the next holder."""
        await storage.acquire_lease("cdc:acme", "pod-a", 30)
        clock.advance(30)

        assert await storage.acquire_lease("cdc:acme", "pod-b", 30)
        assert not await storage.renew_lease("cdc:acme", "pod-a", 30)

    async def test_renew_extends_the_lease(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """A holder that renews keeps its lease past the first expiry."""
        await storage.acquire_lease("cdc:acme", "pod-a", 30)
        clock.advance(20)
        assert await storage.renew_lease("cdc:acme", "pod-a", 30)
        clock.advance(20)

        assert not await storage.acquire_lease("cdc:acme", "pod-b", 30)

    async def test_release_frees_it_at_once(self, storage: Storage) -> None:
        """A released lease can be taken without waiting for expiry."""
        await storage.acquire_lease("cdc:acme", "pod-a", 30)

        assert not await storage.release_lease("cdc:acme", "pod-b")
        assert await storage.release_lease("cdc:acme", "pod-a")
        assert await storage.acquire_lease("cdc:acme", "pod-b", 30)

    async def test_count_live_leases_under_a_prefix(
        self, storage: Storage, second_storage: Storage
    ) -> None:
        """Every replica counts the live leases whose name starts with a prefix."""
        await storage.acquire_lease("members/pod-a", "pod-a", 30)
        await second_storage.acquire_lease("members/pod-b", "pod-b", 30)
        await storage.acquire_lease("cdc:acme", "pod-a", 30)

        assert await storage.count_live_leases("members/") == 2
        assert await second_storage.count_live_leases("members/") == 2
        assert await storage.count_live_leases("nobody/") == 0

    async def test_count_leaves_out_expired_and_released_leases(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """A lease counts only while it lives."""
        await storage.acquire_lease("members/pod-a", "pod-a", 10)
        await storage.acquire_lease("members/pod-b", "pod-b", 30)
        await storage.acquire_lease("members/pod-c", "pod-c", 30)
        await storage.release_lease("members/pod-c", "pod-c")
        clock.advance(10)

        assert await storage.count_live_leases("members/") == 1

    async def test_count_reads_the_prefix_literally(self, storage: Storage) -> None:
        """Wildcard characters and case in a prefix match only themselves."""
        for name in ("a%b/1", "axb/1", "a_b/1", "A%B/1", "a%b", "a%"):
            await storage.acquire_lease(name, "pod-a", 30)

        assert await storage.count_live_leases("a%b/") == 1
        assert await storage.count_live_leases("a_b/") == 1
        assert await storage.count_live_leases("a%") == 3
