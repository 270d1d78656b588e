"""Units of work sent as one statement, and connections that went stale.

On PostgreSQL a one-statement unit goes without BEGIN and COMMIT, so it
must hold its promise: a second statement fails, on both backends, and
leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest

from regalsync.storage import QueueItem, Storage
from regalsync.storage import _postgres as postgres_backend
from regalsync.storage._open import _connect
from regalsync.storage._sql import Backend, TooManyStatements, Tx


@pytest.fixture
async def backend(storage: Storage, storage_url: str) -> AsyncIterator[Backend]:
    """A second, bare backend on the migrated database of `storage`."""
    bare = await _connect(storage_url, 2)
    try:
        yield bare
    finally:
        await bare.close()


async def test_a_one_statement_unit_commits_its_statement(
    backend: Backend, storage: Storage
) -> None:
    async def insert(tx: Tx) -> list[tuple[object, ...]]:
        return await tx.fetch(
            "INSERT INTO checkpoints (tenant, name, value, updated_at)"
            " VALUES (?, ?, ?, ?) RETURNING name",
            ("acme", "replay", b"\x01", 1.0),
        )

    assert await backend.run(insert, one_statement=True) == [("replay",)]
    assert await storage.get_checkpoint("acme", "replay") == b"\x01"


async def test_a_second_statement_in_a_one_statement_unit_fails(
    backend: Backend, storage: Storage
) -> None:
    async def two(tx: Tx) -> None:
        await tx.execute(
            "INSERT INTO checkpoints (tenant, name, value, updated_at)"
            " VALUES (?, ?, ?, ?)",
            ("acme", "first", b"\x01", 1.0),
        )
        await tx.execute(
            "INSERT INTO checkpoints (tenant, name, value, updated_at)"
            " VALUES (?, ?, ?, ?)",
            ("acme", "second", b"\x02", 1.0),
        )

    with pytest.raises(TooManyStatements):
        await backend.run(two, one_statement=True)
    assert await storage.get_checkpoint("acme", "second") is None


async def test_queue_round_trip_uses_single_statements_and_keeps_its_contract(
    storage: Storage,
) -> None:
    # enqueue, claim, ack and retry are one-statement units for small
    # batches and chunked transactions for large ones; both behave alike.
    small = [QueueItem(tenant="t", idempotency_key=f"s{i}", ordering_key=f"s{i}",
                       payload=b"x") for i in range(3)]
    large = [QueueItem(tenant="t", idempotency_key=f"l{i}", ordering_key=f"l{i}",
                       payload=b"x") for i in range(450)]
    assert await storage.enqueue("q", small) == [True] * 3
    assert await storage.enqueue("q", large) == [True] * 450
    assert await storage.enqueue("q", small[:1]) == [False]
    claimed = await storage.claim("q", worker="w", limit=1000, lease_seconds=30)
    assert len(claimed) == 453
    ids = [item.id for item in claimed]
    assert await storage.retry("q", ids[:2], delay_seconds=0, error="again") == 2
    assert await storage.ack("q", ids[2:]) == 451
    again = await storage.claim("q", worker="w", limit=1000, lease_seconds=30)
    assert sorted(item.id for item in again) == sorted(ids[:2])


@pytest.mark.postgres
async def test_postgres_replaces_a_connection_cut_while_idle_in_the_pool(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every connection counts as idle long enough to be checked.
    monkeypatch.setattr(postgres_backend, "_CHECK_WHEN_IDLE_SECONDS", -1.0)
    backend = await _connect(postgres_dsn, 1)
    try:
        async def my_pid(tx: Tx) -> int:
            return int((await tx.fetch("SELECT pg_backend_pid()"))[0][0])

        before = await backend.run(my_pid, one_statement=True)
        async with await psycopg.AsyncConnection.connect(
            postgres_dsn, autocommit=True
        ) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", (before,))
        after = await backend.run(my_pid, one_statement=True)
    finally:
        await backend.close()
    assert after != before
