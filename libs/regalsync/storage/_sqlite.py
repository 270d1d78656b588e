"""The SQLite backend: one machine, any number of processes.

Each process holds one connection and runs one transaction at a time
on it. Across processes, SQLite's own file locks order the writers:
every writing transaction starts with BEGIN IMMEDIATE, which takes the
write lock up front (waiting up to the busy timeout), so a transaction
never fails half-way when it tries to upgrade a read lock. WAL lets
readers in other processes go on while one process writes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import aiosqlite

from regalsync.storage._migrations import apply_migrations
from regalsync.storage._models import StorageUnavailable
from regalsync.storage._sql import Dialect, Migration, Row, Tx

__all__ = ["SqliteBackend"]

T = TypeVar("T")

_LEDGER_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at REAL NOT NULL)"
)
_SYNCHRONOUS = ("FULL", "NORMAL")


class _SqliteTx:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return [tuple(row) for row in await self._conn.execute_fetchall(
            sql, tuple(params)
        )]

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return cursor.rowcount


class SqliteBackend:
    """Run transactions on one SQLite connection, one at a time."""

    dialect = Dialect("sqlite", for_update="", skip_locked="")

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._tx = _SqliteTx(conn)
        self._lock = asyncio.Lock()

    @classmethod
    async def connect(
        cls,
        path: str,
        *,
        synchronous: str = "FULL",
        busy_timeout_ms: int = 30_000,
    ) -> SqliteBackend:
        """Open the database file at `path` (or `:memory:`)."""
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {_SYNCHRONOUS}")
        # isolation_level=None: we issue BEGIN and COMMIT ourselves.
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            # The busy timeout first, so the switch to WAL waits for a
            # process that is opening the same file at the same moment.
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        except sqlite3.Error as error:
            await conn.close()
            raise StorageUnavailable(f"cannot open SQLite: {error}") from error

        return cls(conn)

    async def run(
        self, work: Callable[[Tx], Awaitable[T]], *, write: bool = True
    ) -> T:
        """Run `work` in one transaction, after any other of this
        process's transactions."""
        async with self._lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.OperationalError as error:
                raise StorageUnavailable(f"SQLite busy: {error}") from error
            try:
                result = await work(self._tx)
                await self._conn.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            return result

    async def migrate(self, migrations: Sequence[Migration]) -> list[int]:
        """Apply missing migrations under the database's write lock."""

        async def work(tx: Tx) -> list[int]:
            return await apply_migrations(tx, migrations, _LEDGER_DDL)

        return await self.run(work)

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    async def _rollback(self) -> None:
        if self._conn.in_transaction:
            await self._conn.execute("ROLLBACK")
