"""Durable work queues with leases and strict order per ordering key.

An item is `pending` until a worker acknowledges it (`done`) or gives
up on it (`dead`). A pending item with a live lease is in flight. Done
items keep their row, without payload, so that their idempotency key
still turns a late duplicate into a no-op until `purge_done`.
"""

from __future__ import annotations

# SQL here is assembled from constants and placeholder counts only;
# every value travels as a bound parameter.
# ruff: noqa: S608
from collections.abc import Sequence

from regalsync.errors import InvalidInput
from regalsync.storage._component import Component
from regalsync.storage._models import (
    ClaimedItem,
    DeadLetter,
    QueueItem,
    QueueItemNotFound,
    QueueStats,
)
from regalsync.storage._sql import CHUNK, Dialect, Row, Tx, any_of, chunked, rows_of

__all__ = ["QueueStore"]

_INSERT = (
    "INSERT INTO queue_items (queue, tenant, idempotency_key,"
    " ordering_key, payload, available_at, enqueued_at, trace_context)"
    " {rows}"
    " ON CONFLICT (queue, tenant, idempotency_key) DO NOTHING"
    " RETURNING tenant, idempotency_key"
)

# The oldest pending item of each ordering key is its head; only heads
# are claimable, so a key's next item waits while its head is leased,
# delayed for a retry, or merely not yet committed by another claimer.
_CLAIM = """
WITH picked AS (
  SELECT q.id FROM queue_items q
  WHERE q.queue = ? AND q.state = 'pending' AND q.available_at <= ?
    AND (q.lease_until IS NULL OR q.lease_until <= ?)
    AND q.id = (
      SELECT min(h.id) FROM queue_items h
      WHERE h.queue = q.queue AND h.tenant = q.tenant
        AND h.ordering_key = q.ordering_key AND h.state = 'pending')
  ORDER BY q.id LIMIT ? {skip_locked}
)
UPDATE queue_items
SET leased_by = ?, lease_until = ?, attempts = attempts + 1
WHERE id IN (SELECT id FROM picked)
RETURNING id, tenant, idempotency_key, ordering_key, payload, attempts,
  enqueued_at, lease_until, last_error, trace_context
"""

# How many items could be claimed, counting no further than needed. A read,
# which takes no write lock: idle workers poll with it, gathering workers
# look whether a batch is full, and on SQLite every write transaction
# blocks the other processes' commits (the webhook acknowledgements among
# them).
_COUNT_CLAIMABLE = """
SELECT COUNT(*) FROM (
  SELECT 1 FROM queue_items
  WHERE queue = ? AND state = 'pending' AND available_at <= ?
    AND (lease_until IS NULL OR lease_until <= ?)
  LIMIT ?
) AS claimable
"""

_STATS = """
SELECT
  SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END),
  SUM(CASE WHEN state = 'pending' AND lease_until > ? THEN 1 ELSE 0 END),
  SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END),
  MIN(CASE WHEN state = 'pending' THEN enqueued_at END)
FROM queue_items
WHERE queue = ? AND state IN ('pending', 'dead') {tenant_filter}
"""

_INSERT_TYPES = ("text", "text", "text", "text", "bytea", "float8", "float8", "text")

_DEAD_COLUMNS = (
    "id, tenant, idempotency_key, ordering_key, payload, attempts,"
    " last_error, finished_at"
)


class QueueStore(Component):
    """Offer, claim and settle work items in named queues."""

    async def enqueue(
        self, queue: str, items: Sequence[QueueItem]
    ) -> list[bool]:
        """Add items in one transaction; return, per item, whether it is
        new (False: its idempotency key was already in the queue)."""
        now = self._clock()
        dialect = self._backend.dialect

        async def work(tx: Tx) -> list[bool]:
            return await _insert(tx, dialect, queue, items, now)

        return await self._backend.run(work, one_statement=len(items) <= CHUNK)

    async def claim(
        self, queue: str, *, worker: str, limit: int, lease_seconds: float
    ) -> list[ClaimedItem]:
        """Lease up to `limit` items to `worker`, oldest first, at most
        one per ordering key and only the oldest pending one of each."""
        if limit < 1 or lease_seconds <= 0:
            raise InvalidInput("limit and lease_seconds must be positive")
        now = self._clock()

        if not await self.has_claimable(queue, 1):
            return []
        sql = _CLAIM.format(skip_locked=self._backend.dialect.skip_locked)
        params = (queue, now, now, limit, worker, now + lease_seconds)

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(sql, params)

        rows = await self._backend.run(work, one_statement=True)

        return sorted((_claimed(queue, row) for row in rows), key=_by_id)

    async def has_claimable(self, queue: str, at_least: int) -> bool:
        """Tell, with a read, whether `at_least` items are waiting unleased.

        Items behind their ordering key's head count too, so a claim may
        then take fewer.
        """
        now = self._clock()

        async def count(tx: Tx) -> list[Row]:
            return await tx.fetch(_COUNT_CLAIMABLE, (queue, now, now, at_least))

        rows = await self._backend.run(count, write=False, one_statement=True)
        return int(rows[0][0]) >= at_least

    async def ack(self, queue: str, ids: Sequence[int]) -> int:
        """Mark items done; return how many were still pending."""
        now = self._clock()
        dialect = self._backend.dialect

        async def work(tx: Tx) -> int:
            return await _finish(tx, dialect, queue, ids, now)

        return await self._backend.run(work, one_statement=_fits_one_statement(ids))

    async def retry(
        self,
        queue: str,
        ids: Sequence[int],
        *,
        delay_seconds: float,
        error: str,
    ) -> int:
        """Release items to be claimed again after `delay_seconds`; they
        keep their place at the head of their ordering key."""
        now = self._clock()
        sql = (
            "UPDATE queue_items SET available_at = ?, last_error = ?,"
            " leased_by = NULL, lease_until = NULL"
            " WHERE queue = ? AND state = 'pending' AND {ids}"
        )
        head = (now + max(delay_seconds, 0.0), error, queue)
        dialect = self._backend.dialect

        async def work(tx: Tx) -> int:
            return await _update_ids(tx, dialect, sql, head, ids)

        return await self._backend.run(work, one_statement=_fits_one_statement(ids))

    async def postpone(
        self,
        queue: str,
        ids: Sequence[int],
        *,
        delay_seconds: float,
        reason: str,
    ) -> int:
        """Release items like `retry`, but give back the attempt their
        claim counted: a tenant that is paused (API budget spent, org
        disconnected) must not push its items towards dead letters."""
        now = self._clock()
        sql = (
            "UPDATE queue_items SET available_at = ?, last_error = ?,"
            " leased_by = NULL, lease_until = NULL,"
            " attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"
            " WHERE queue = ? AND state = 'pending' AND {ids}"
        )
        head = (now + max(delay_seconds, 0.0), reason, queue)
        dialect = self._backend.dialect

        async def work(tx: Tx) -> int:
            return await _update_ids(tx, dialect, sql, head, ids)

        return await self._backend.run(work, one_statement=_fits_one_statement(ids))

    async def dead_letter(
        self, queue: str, ids: Sequence[int], reason: str
    ) -> int:
        """Take items out of the queue for an operator to look at; the
        next item of each ordering key becomes claimable."""
        now = self._clock()
        sql = (
            "UPDATE queue_items SET state = 'dead', last_error = ?,"
            " finished_at = ?, leased_by = NULL, lease_until = NULL"
            " WHERE queue = ? AND state = 'pending' AND {ids}"
        )
        dialect = self._backend.dialect

        async def work(tx: Tx) -> int:
            return await _update_ids(tx, dialect, sql, (reason, now, queue), ids)

        return await self._backend.run(work, one_statement=_fits_one_statement(ids))

    async def move(
        self,
        from_queue: str,
        ids: Sequence[int],
        to_queue: str,
        items: Sequence[QueueItem],
    ) -> list[bool]:
        """Enqueue `items` downstream and acknowledge `ids` upstream in
        one transaction; return the enqueue result per item.

        Raise QueueItemNotFound, changing nothing, when an upstream item
        is no longer pending.
        """
        now = self._clock()
        wanted = len(set(ids))
        dialect = self._backend.dialect

        async def work(tx: Tx) -> list[bool]:
            accepted = await _insert(tx, dialect, to_queue, items, now)
            if await _finish(tx, dialect, from_queue, ids, now) != wanted:
                raise QueueItemNotFound(
                    f"an item of queue {from_queue!r} is no longer pending"
                )
            return accepted

        return await self._backend.run(work)

    async def depth(self, queue: str, tenant: str | None = None) -> QueueStats:
        """Count waiting, in-flight and dead items and the oldest wait."""
        now = self._clock()
        tenant_filter = "" if tenant is None else "AND tenant = ?"
        sql = _STATS.format(tenant_filter=tenant_filter)
        params: tuple[object, ...] = (now, queue)
        if tenant is not None:
            params += (tenant,)

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(sql, params)

        pending, in_flight, dead, oldest = (await self._backend.run(
            work, write=False, one_statement=True
        ))[0]
        age = None if oldest is None else max(now - oldest, 0.0)

        return QueueStats(
            pending=int(pending or 0) - int(in_flight or 0),
            in_flight=int(in_flight or 0),
            dead=int(dead or 0),
            oldest_age_seconds=age,
        )

    async def list_dead_letters(
        self, queue: str, tenant: str, *, limit: int = 100
    ) -> list[DeadLetter]:
        """Return a tenant's dead letters in a queue, oldest first."""
        sql = (
            f"SELECT {_DEAD_COLUMNS} FROM queue_items WHERE queue = ?"
            " AND tenant = ? AND state = 'dead' ORDER BY id LIMIT ?"
        )

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(sql, (queue, tenant, limit))

        rows = await self._backend.run(work, write=False)

        return [_dead_letter(queue, row) for row in rows]

    async def replay_dead_letters(
        self, queue: str, tenant: str, ids: Sequence[int] | None = None
    ) -> int:
        """Put a tenant's dead letters (all, or those in `ids`) back at
        the end of their queue with fresh attempts; return how many."""
        now = self._clock()
        dialect = self._backend.dialect

        async def work(tx: Tx) -> int:
            letters = await _select_dead(tx, dialect, queue, tenant, ids)
            for chunk in chunked([letter.id for letter in letters]):
                condition, params = any_of(dialect, "id", chunk)
                await tx.execute(f"DELETE FROM queue_items WHERE {condition}", params)
            await _insert(tx, dialect, queue, [_requeued(d) for d in letters], now)
            return len(letters)

        return await self._backend.run(work)

    async def purge_done(self, older_than_seconds: float) -> int:
        """Forget done items (and so their idempotency keys) finished
        more than `older_than_seconds` ago; return how many."""
        cutoff = self._clock() - older_than_seconds

        async def work(tx: Tx) -> int:
            return await tx.execute(
                "DELETE FROM queue_items"
                " WHERE state = 'done' AND finished_at < ?",
                (cutoff,),
            )

        return await self._backend.run(work)


async def _insert(
    tx: Tx, dialect: Dialect, queue: str, items: Sequence[QueueItem], now: float
) -> list[bool]:
    """Insert new items in their given order; report which were new."""
    accepted: set[tuple[str, str]] = set()
    for chunk in chunked(items):
        values = [
            (queue, item.tenant, item.idempotency_key, item.ordering_key,
             item.payload, now + max(item.delay_seconds, 0.0), now,
             item.trace_context)
            for item in chunk
        ]
        source, params = rows_of(dialect, _INSERT_TYPES, values)
        rows = await tx.fetch(_INSERT.format(rows=source), params)
        accepted.update((row[0], row[1]) for row in rows)

    # A key repeated within one batch is new only the first time.
    result = []
    for item in items:
        key = (item.tenant, item.idempotency_key)
        result.append(key in accepted)
        accepted.discard(key)

    return result


async def _finish(
    tx: Tx, dialect: Dialect, queue: str, ids: Sequence[int], now: float
) -> int:
    sql = (
        "UPDATE queue_items SET state = 'done', finished_at = ?,"
        " payload = ?, leased_by = NULL, lease_until = NULL"
        " WHERE queue = ? AND state = 'pending' AND {ids}"
    )

    return await _update_ids(tx, dialect, sql, (now, b"", queue), sorted(set(ids)))


async def _update_ids(
    tx: Tx, dialect: Dialect, sql: str, head: tuple[object, ...], ids: Sequence[int]
) -> int:
    """Run `sql`, whose `{ids}` names the rows, on `ids` a chunk at a time."""
    changed = 0
    for chunk in chunked(ids):
        condition, params = any_of(dialect, "id", chunk)
        changed += await tx.execute(sql.format(ids=condition), (*head, *params))

    return changed


async def _select_dead(
    tx: Tx, dialect: Dialect, queue: str, tenant: str, ids: Sequence[int] | None
) -> list[DeadLetter]:
    sql = (
        f"SELECT {_DEAD_COLUMNS} FROM queue_items WHERE queue = ?"
        " AND tenant = ? AND state = 'dead'"
    )
    if ids is None:
        rows = await tx.fetch(sql + " ORDER BY id", (queue, tenant))
        return [_dead_letter(queue, row) for row in rows]

    letters = []
    for chunk in chunked(sorted(set(ids))):
        condition, params = any_of(dialect, "id", chunk)
        statement = f"{sql} AND {condition} ORDER BY id"
        rows = await tx.fetch(statement, (queue, tenant, *params))
        letters += [_dead_letter(queue, row) for row in rows]

    return letters


def _claimed(queue: str, row: Row) -> ClaimedItem:
    return ClaimedItem(
        id=int(row[0]),
        queue=queue,
        tenant=row[1],
        idempotency_key=row[2],
        ordering_key=row[3],
        payload=bytes(row[4]),
        attempts=int(row[5]),
        enqueued_at=float(row[6]),
        lease_until=float(row[7]),
        last_error=row[8],
        trace_context=row[9],
    )


def _fits_one_statement(ids: Sequence[int]) -> bool:
    return len(ids) <= CHUNK


def _by_id(item: ClaimedItem) -> int:
    return item.id


def _dead_letter(queue: str, row: Row) -> DeadLetter:
    return DeadLetter(
        id=int(row[0]),
        queue=queue,
        tenant=row[1],
        idempotency_key=row[2],
        ordering_key=row[3],
        payload=bytes(row[4]),
        attempts=int(row[5]),
        reason=row[6] or "",
        failed_at=float(row[7]),
    )


def _requeued(letter: DeadLetter) -> QueueItem:
    return QueueItem(
        tenant=letter.tenant,
        idempotency_key=letter.idempotency_key,
        ordering_key=letter.ordering_key,
        payload=letter.payload,
    )
