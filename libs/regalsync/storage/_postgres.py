"""The PostgreSQL backend: many replicas on one database.

Claims lock the rows they take with FOR UPDATE SKIP LOCKED, so
concurrent claimers pass each other by instead of waiting; everything
else relies on unique keys and row locks under READ COMMITTED.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import psycopg
from psycopg import errors
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from regalsync.storage._migrations import apply_migrations
from regalsync.storage._models import StorageUnavailable
from regalsync.storage._sql import Dialect, Migration, Row, Tx

__all__ = ["PostgresBackend"]

T = TypeVar("T")

_Pool = AsyncConnectionPool[psycopg.AsyncConnection[TupleRow]]
# Deadlocks between batches that share keys are rare and harmless to
# retry, since the whole transaction rolled back.
_ATTEMPTS = 5
_LEDGER_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at DOUBLE PRECISION NOT NULL)"
)
# One lock per schema, so that separate installs in one database (and
# parallel test runs) do not wait for each other.
_MIGRATION_LOCK = (
    "SELECT pg_advisory_xact_lock("
    "hashtext('regalsync.migrate:' || coalesce(current_schema(), '')))"
)


class _PostgresTx:
    def __init__(self, conn: psycopg.AsyncConnection[TupleRow]) -> None:
        self._conn = conn

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        cursor = await self._conn.execute(_native(sql), params)
        return await cursor.fetchall()

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        cursor = await self._conn.execute(_native(sql), params)
        return cursor.rowcount


class PostgresBackend:
    """Run transactions on a pool of PostgreSQL connections."""

    dialect = Dialect(
        "postgresql",
        for_update="FOR UPDATE",
        skip_locked="FOR UPDATE SKIP LOCKED",
    )

    def __init__(self, pool: _Pool) -> None:
        self._pool = pool

    @classmethod
    async def connect(
        cls, conninfo: str, *, max_connections: int = 10
    ) -> PostgresBackend:
        """Open a pool on `conninfo` (a postgresql:// URL)."""
        pool: _Pool = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True},
            check=AsyncConnectionPool.check_connection,
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=10)
        except PoolTimeout as error:
            await pool.close()
            raise StorageUnavailable("cannot connect to PostgreSQL") from error

        return cls(pool)

    async def run(
        self, work: Callable[[Tx], Awaitable[T]], *, write: bool = True
    ) -> T:
        """Run `work` in one transaction, again after a deadlock."""
        attempt = 1
        while True:
            try:
                return await self._run_once(work)
            except (errors.DeadlockDetected, errors.SerializationFailure) as error:
                if attempt == _ATTEMPTS:
                    raise StorageUnavailable("PostgreSQL conflict") from error
                attempt += 1
            except (psycopg.OperationalError, PoolTimeout) as error:
                raise StorageUnavailable("PostgreSQL unavailable") from error

    async def migrate(self, migrations: Sequence[Migration]) -> list[int]:
        """Apply missing migrations under an advisory lock."""

        async def work(tx: Tx) -> list[int]:
            await tx.fetch(_MIGRATION_LOCK)
            return await apply_migrations(tx, migrations, _LEDGER_DDL)

        return await self.run(work)

    async def close(self) -> None:
        """Close every connection of the pool."""
        await self._pool.close()

    async def _run_once(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        async with self._pool.connection() as conn, conn.transaction():
            return await work(_PostgresTx(conn))


def _native(sql: str) -> str:
    """Turn the shared `?` placeholders into psycopg's `%s`."""
    return sql.replace("?", "%s")
