"""Durable work queues: dedupe, order per key, leases, retries, dead
letters and the handoff between queues."""

from __future__ import annotations

import pytest

from regalsync.storage import (
    ManualClock,
    QueueItem,
    QueueItemNotFound,
    Storage,
)

Q = "publisher"


def item(key: str, order: str = "profile-1", tenant: str = "acme") -> QueueItem:
    return QueueItem(
        tenant=tenant,
        idempotency_key=key,
        ordering_key=order,
        payload=f"body-{key}".encode(),
    )


async def claim_keys(storage: Storage, limit: int = 10) -> list[str]:
    claimed = await storage.claim(Q, worker="w1", limit=limit, lease_seconds=30)
    return [c.idempotency_key for c in claimed]


class TestEnqueue:
    async def test_duplicate_key_is_a_no_op(self, storage: Storage) -> None:
        """Offering a key already in the queue adds nothing."""
        assert await storage.enqueue(Q, [item("e1")]) == [True]
        again = QueueItem("acme", "e1", "profile-1", b"other")

        assert await storage.enqueue(Q, [again]) == [False]
        claimed = await storage.claim(Q, worker="w", limit=10, lease_seconds=30)
        assert [c.payload for c in claimed] == [b"body-e1"]

    async def test_duplicate_within_one_batch(self, storage: Storage) -> None:
        """A key repeated in one batch is accepted once."""
        result = await storage.enqueue(Q, [item("e1"), item("e2"), item("e1")])

        assert result == [True, True, False]

    async def test_keys_are_per_tenant(self, storage: Storage) -> None:
        """Two tenants may use the same idempotency key."""
        batch = [item("e1", tenant="acme"), item("e1", tenant="globex")]

        assert await storage.enqueue(Q, batch) == [True, True]

    async def test_acked_key_still_deduplicates(self, storage: Storage) -> None:
        """A redelivery after the item was done is still a no-op."""
        await storage.enqueue(Q, [item("e1")])
        claimed = await storage.claim(Q, worker="w", limit=1, lease_seconds=30)
        await storage.ack(Q, [c.id for c in claimed])

        assert await storage.enqueue(Q, [item("e1")]) == [False]

    async def test_purge_forgets_old_done_keys(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """After the retention period a done key may be enqueued again."""
        await storage.enqueue(Q, [item("e1")])
        claimed = await storage.claim(Q, worker="w", limit=1, lease_seconds=30)
        await storage.ack(Q, [c.id for c in claimed])
        clock.advance(3600)

        assert await storage.purge_done(older_than_seconds=600) == 1
        assert await storage.enqueue(Q, [item("e1")]) == [True]

    async def test_queues_are_separate(self, storage: Storage) -> None:
        """The same key in another queue is a different item."""
        await storage.enqueue("writer", [item("e1")])

        assert await storage.enqueue(Q, [item("e1")]) == [True]
        assert await claim_keys(storage) == ["e1"]


class TestClaimOrder:
    async def test_oldest_first_one_per_key(self, storage: Storage) -> None:
        """A claim returns the oldest item of each ordering key."""
        await storage.enqueue(Q, [
            item("a1", "A"), item("b1", "B"), item("a2", "A"), item("c1", "C"),
        ])

        assert await claim_keys(storage) == ["a1", "b1", "c1"]

    async def test_next_item_waits_for_ack(self, storage: Storage) -> None:
        """A key's second item is not claimable until its first is acked."""
        await storage.enqueue(Q, [item("a1", "A"), item("a2", "A")])
        first = await storage.claim(Q, worker="w", limit=10, lease_seconds=30)
        assert await claim_keys(storage) == []

        await storage.ack(Q, [first[0].id])

        assert await claim_keys(storage) == ["a2"]

    async def test_next_item_waits_behind_a_retry(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """A retried item keeps its key's later items waiting behind it."""
        await storage.enqueue(Q, [item("a1", "A"), item("a2", "A")])
        first = await storage.claim(Q, worker="w", limit=1, lease_seconds=30)
        await storage.retry(Q, [first[0].id], delay_seconds=60, error="503")

        assert await claim_keys(storage) == []
        clock.advance(61)
        assert await claim_keys(storage) == ["a1"]

    async def test_limit_caps_the_batch(self, storage: Storage) -> None:
        """A claim returns at most `limit` items."""
        await storage.enqueue(Q, [item(f"e{i}", f"K{i}") for i in range(5)])

        assert await claim_keys(storage, limit=2) == ["e0", "e1"]

    async def test_delayed_item_waits(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """An item enqueued with a delay is claimable only after it."""
        later = QueueItem("acme", "e1", "A", b"x", delay_seconds=10)
        await storage.enqueue(Q, [later])

        assert await claim_keys(storage) == []
        clock.advance(10)
        assert await claim_keys(storage) == ["e1"]


class TestLeases:
    async def test_expired_lease_is_claimable_again(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """An item whose worker died goes to the next claimer."""
        await storage.enqueue(Q, [item("e1")])
        await storage.claim(Q, worker="dead", limit=1, lease_seconds=30)
        clock.advance(31)

        again = await storage.claim(Q, worker="w2", limit=1, lease_seconds=30)

        assert [(c.idempotency_key, c.attempts) for c in again] == [("e1", 2)]

    async def test_live_lease_is_not_claimed(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """An item stays with its worker while the lease lasts."""
        await storage.enqueue(Q, [item("e1")])
        await storage.claim(Q, worker="w1", limit=1, lease_seconds=30)
        clock.advance(29)

        assert await claim_keys(storage) == []


class TestRetry:
    async def test_retry_waits_for_its_delay(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """A retried item returns after its delay with the error kept."""
        await storage.enqueue(Q, [item("e1")])
        first = await storage.claim(Q, worker="w", limit=1, lease_seconds=30)
        await storage.retry(Q, [first[0].id], delay_seconds=5, error="429")
        assert await claim_keys(storage) == []
        clock.advance(5)

        again = await storage.claim(Q, worker="w", limit=1, lease_seconds=30)

        assert [(c.attempts, c.last_error) for c in again] == [(2, "429")]


class TestDeadLetters:
    async def test_dead_letter_unblocks_its_key(self, storage: Storage) -> None:
        """After a dead letter, the key's next item is claimable."""
        await storage.enqueue(Q, [item("a1", "A"), item("a2", "A")])
        first = await storage.claim(Q, worker="w", limit=1, lease_seconds=30)
        assert await storage.dead_letter(Q, [first[0].id], "rejected") == 1

        assert await claim_keys(storage) == ["a2"]

    async def test_dead_letters_are_listed(self, storage: Storage) -> None:
        """An operator sees a tenant's dead letters with their reason."""
        await storage.enqueue(Q, [item("a1"), item("g1", tenant="globex")])
        claimed = await storage.claim(Q, worker="w", limit=9, lease_seconds=30)
        await storage.dead_letter(Q, [c.id for c in claimed], "bad phone")

        letters = await storage.list_dead_letters(Q, "acme")

        assert [(d.idempotency_key, d.reason, d.payload) for d in letters] == [
            ("a1", "bad phone", b"body-a1")
        ]

    async def test_replay_requeues_them(self, storage: Storage) -> None:
        """Replayed dead letters are claimable again with fresh attempts."""
        await storage.enqueue(Q, [item("a1", "A"), item("b1", "B")])
        claimed = await storage.claim(Q, worker="w", limit=9, lease_seconds=30)
        await storage.dead_letter(Q, [c.id for c in claimed], "down")

        assert await storage.replay_dead_letters(Q, "acme") == 2
        again = await storage.claim(Q, worker="w", limit=9, lease_seconds=30)
        assert [(c.idempotency_key, c.attempts) for c in again] == [
            ("a1", 1), ("b1", 1),
        ]
        assert await storage.list_dead_letters(Q, "acme") == []

    async def test_replay_chosen_ids(self, storage: Storage) -> None:
        """Replaying some dead letters leaves the others dead."""
        await storage.enqueue(Q, [item("a1", "A"), item("b1", "B")])
        claimed = await storage.claim(Q, worker="w", limit=9, lease_seconds=30)
        await storage.dead_letter(Q, [c.id for c in claimed], "down")

        assert await storage.replay_dead_letters(Q, "acme", [claimed[1].id]) == 1
        assert await claim_keys(storage) == ["b1"]
        letters = await storage.list_dead_letters(Q, "acme")
        assert [d.idempotency_key for d in letters] == ["a1"]


class TestMove:
    async def test_move_hands_off_atomically(self, storage: Storage) -> None:
        """Moving enqueues downstream and settles the upstream item."""
        await storage.enqueue("inbox", [item("w1")])
        claimed = await storage.claim(
            "inbox", worker="w", limit=1, lease_seconds=30
        )

        result = await storage.move(
            "inbox", [claimed[0].id], Q, [item("e1"), item("e2", "B")]
        )

        assert result == [True, True]
        assert (await storage.depth("inbox")).in_flight == 0
        assert await claim_keys(storage) == ["e1", "e2"]

    async def test_failed_move_changes_nothing(self, storage: Storage) -> None:
        """A move that fails half-way leaves both queues as they were."""
        await storage.enqueue("inbox", [item("w1")])
        claimed = await storage.claim(
            "inbox", worker="w", limit=1, lease_seconds=30
        )
        missing_id = claimed[0].id + 1000

        with pytest.raises(QueueItemNotFound):
            await storage.move(
                "inbox", [claimed[0].id, missing_id], Q, [item("e1")]
            )

        assert await claim_keys(storage) == []
        assert (await storage.depth("inbox")).in_flight == 1
        assert await storage.enqueue(Q, [item("e1")]) == [True]

    async def test_move_of_settled_item_fails(self, storage: Storage) -> None:
        """A worker whose item was already finished elsewhere is told so."""
        await storage.enqueue("inbox", [item("w1")])
        claimed = await storage.claim(
            "inbox", worker="w", limit=1, lease_seconds=30
        )
        await storage.ack("inbox", [claimed[0].id])

        with pytest.raises(QueueItemNotFound):
            await storage.move("inbox", [claimed[0].id], Q, [item("e1")])


class TestDepth:
    async def test_depth_counts_each_state(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """Depth tells waiting, in-flight and dead items and the oldest wait."""
        await storage.enqueue(Q, [item(f"e{i}", f"K{i}") for i in range(4)])
        await storage.enqueue(Q, [item("g1", tenant="globex")])
        clock.advance(7)
        claimed = await storage.claim(Q, worker="w", limit=2, lease_seconds=30)
        await storage.dead_letter(Q, [claimed[0].id], "bad")

        stats = await storage.depth(Q, "acme")

        assert (stats.pending, stats.in_flight, stats.dead) == (2, 1, 1)
        assert stats.oldest_age_seconds == pytest.approx(7)

    async def test_empty_queue_has_no_age(self, storage: Storage) -> None:
        """An empty queue reports zero items and no oldest age."""
        stats = await storage.depth(Q)

        assert (stats.pending, stats.oldest_age_seconds) == (0, None)


class TestHasClaimable:
    async def test_counts_waiting_items_but_not_leased_ones(self, storage: Storage) -> None:
        await storage.enqueue("q", [item(f"k{n}", order=f"o{n}") for n in range(3)])

        assert await storage.has_claimable("q", 3)
        assert not await storage.has_claimable("q", 4)
        await storage.claim("q", worker="w", limit=1, lease_seconds=30)
        assert await storage.has_claimable("q", 2)
        assert not await storage.has_claimable("q", 3)
        assert not await storage.has_claimable("other", 1)
