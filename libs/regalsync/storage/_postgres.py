"""The PostgreSQL backend: many replicas on one database.

Claims lock the rows they take with FOR UPDATE SKIP LOCKED, so
concurrent claimers pass each other by instead of waiting; everything
else relies on unique keys and row locks under READ COMMITTED.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import psycopg
from psycopg import errors
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from regalsync.storage._migrations import apply_migrations
from regalsync.storage._models import StorageUnavailable
from regalsync.storage._sql import Dialect, Migration, OneStatementTx, Row, Tx

__all__ = ["PostgresBackend"]

T = TypeVar("T")

_Connection = psycopg.AsyncConnection[TupleRow]
_Pool = AsyncConnectionPool[_Connection]
# A connection idle for longer than this is checked (one round trip)
# before it is handed out: it may have been cut while it sat in the
# pool, by a server restart or a proxy's idle timeout. One in steady use
# is not; should it have broken, its statement fails, the caller retries
# and the pool replaces it.
_CHECK_WHEN_IDLE_SECONDS = 5.0
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
    def __init__(self, conn: _Connection) -> None:
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
        arrays=True,
    )

    def __init__(self, pool: _Pool,
                 last_used: weakref.WeakKeyDictionary[_Connection, float]) -> None:
        self._pool = pool
        self._last_used = last_used

    @classmethod
    async def connect(
        cls, conninfo: str, *, max_connections: int = 10
    ) -> PostgresBackend:
        """Open a pool on `conninfo` (a postgresql:// URL)."""
        last_used: weakref.WeakKeyDictionary[_Connection, float] = weakref.WeakKeyDictionary()

        async def check_if_idle(conn: _Connection) -> None:
            idle_since = last_used.get(conn)
            if idle_since is None or time.monotonic() - idle_since > _CHECK_WHEN_IDLE_SECONDS:
                await AsyncConnectionPool.check_connection(conn)

        pool: _Pool = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True},
            check=check_if_idle,
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=10)
        except PoolTimeout as error:
            await pool.close()
            raise StorageUnavailable("cannot connect to PostgreSQL") from error

        return cls(pool, last_used)

    async def run(
        self,
        work: Callable[[Tx], Awaitable[T]],
        *,
        write: bool = True,
        one_statement: bool = False,
    ) -> T:
        """Run `work` in one transaction, again after a deadlock.

        With `one_statement`, the statement is sent alone, in autocommit,
        which makes it a transaction of its own without BEGIN and COMMIT.
        """
        attempt = 1
        while True:
            try:
                return await self._run_once(work, one_statement)
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

    async def _run_once(self, work: Callable[[Tx], Awaitable[T]],
                        one_statement: bool) -> T:
        async with self._pool.connection() as conn:
            try:
                if one_statement:
                    # BEGIN and COMMIT are a round trip each; a statement
                    # sent alone in autocommit is a transaction by itself.
                    return await work(OneStatementTx(_PostgresTx(conn)))
                async with conn.transaction():
                    return await work(_PostgresTx(conn))
            finally:
                self._last_used[conn] = time.monotonic()


def _native(sql: str) -> str:
    """Turn the shared `?` placeholders into psycopg's `%s`."""
    return sql.replace("?", "%s")
