"""The SQLite backend: one machine, any number of processes.

Each process holds one connection and runs one transaction at a time
on it. Across processes, SQLite's own file locks order the writers:
every writing transaction starts with BEGIN IMMEDIATE, which takes the
write lock up front (waiting up to the busy timeout), so a transaction
never fails half-way when it tries to upgrade a read lock. WAL lets
readers in other processes go on while one process writes.

A whole transaction, BEGIN to COMMIT, runs in one hop to the
connection's thread. Were each statement a separate hop, the write lock
would be held while the event loop is busy elsewhere, and every other
process that shares the file would wait for this process's loop too.
So the unit of work runs to its end there: its coroutine may await only
the transaction's own ``fetch`` and ``execute``, which never suspend.

Writers also take turns on a lock file beside the database before BEGIN
IMMEDIATE. SQLite's own wait for its write lock is a poll that sleeps
longer and longer (up to 100 ms), so a writer often sleeps on past the
moment the lock came free; the kernel hands a file lock over at once.
The lock file only orders our own writers: SQLite's locks and the busy
timeout still guard the database against anyone else.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from regalsync.storage._migrations import apply_migrations
from regalsync.storage._models import StorageUnavailable
from regalsync.storage._sql import Dialect, Migration, OneStatementTx, Row, Tx

__all__ = ["SqliteBackend", "WorkSuspended"]

T = TypeVar("T")

_LEDGER_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at REAL NOT NULL)"
)
_SYNCHRONOUS = ("FULL", "NORMAL")


class WorkSuspended(RuntimeError):
    """A unit of work awaited something other than its transaction."""


class _SqliteTx:
    """Statements on the connection; the coroutines finish without suspending."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        rows: list[Row] = self._conn.execute(sql, tuple(params)).fetchall()
        return rows

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount


class SqliteBackend:
    """Run transactions on one SQLite connection, one at a time."""

    dialect = Dialect("sqlite", for_update="", skip_locked="")

    def __init__(self, conn: sqlite3.Connection, thread: ThreadPoolExecutor,
                 writers_lock: int | None = None) -> None:
        self._conn = conn
        self._tx = _SqliteTx(conn)
        # One thread: transactions run one after another, in arrival order.
        self._thread = thread
        self._writers_lock = writers_lock

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
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        loop = asyncio.get_running_loop()
        try:
            conn, writers_lock = await loop.run_in_executor(
                thread, _open, path, synchronous.upper(), busy_timeout_ms)
        except BaseException:
            thread.shutdown(wait=False)
            raise
        return cls(conn, thread, writers_lock)

    async def run(
        self,
        work: Callable[[Tx], Awaitable[T]],
        *,
        write: bool = True,
        one_statement: bool = False,
    ) -> T:
        """Run `work` in one transaction, after any other of this
        process's transactions.

        The transaction runs to its end in the connection's thread even
        if the caller is cancelled meanwhile; every unit of work is one
        that may commit unseen (each stage is idempotent).

        `one_statement` saves nothing here, as the whole transaction is
        one hop to the connection's thread either way; the promise is
        still held to, so that a broken one fails on SQLite too.
        """
        tx = OneStatementTx(self._tx) if one_statement else self._tx
        return await asyncio.get_running_loop().run_in_executor(
            self._thread, self._transact, work, write, tx)

    async def migrate(self, migrations: Sequence[Migration]) -> list[int]:
        """Apply missing migrations under the database's write lock."""

        async def work(tx: Tx) -> list[int]:
            return await apply_migrations(tx, migrations, _LEDGER_DDL)

        return await self.run(work)

    async def close(self) -> None:
        """Close the connection once the transactions before it are done."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._conn.close)
        if self._writers_lock is not None:
            os.close(self._writers_lock)
        self._thread.shutdown(wait=False)

    def _transact(self, work: Callable[[Tx], Awaitable[T]], write: bool, tx: Tx) -> T:
        # Runs in the connection's thread.
        if not write:
            return self._transaction(work, tx, "BEGIN")
        if self._writers_lock is None:
            return self._transaction(work, tx, "BEGIN IMMEDIATE")
        # Released by the kernel too, should this process die holding it.
        fcntl.flock(self._writers_lock, fcntl.LOCK_EX)
        try:
            return self._transaction(work, tx, "BEGIN IMMEDIATE")
        finally:
            fcntl.flock(self._writers_lock, fcntl.LOCK_UN)

    def _transaction(self, work: Callable[[Tx], Awaitable[T]], tx: Tx, begin: str) -> T:
        try:
            self._conn.execute(begin)
        except sqlite3.OperationalError as error:
            raise StorageUnavailable(f"SQLite busy: {error}") from error
        try:
            result = _run_to_end(work(tx))
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        return result


def _open(path: str, synchronous: str,
          busy_timeout_ms: int) -> tuple[sqlite3.Connection, int | None]:
    """Open the connection and, for a file, the writers' lock beside it."""
    # isolation_level=None: we issue BEGIN and COMMIT ourselves.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        # The busy timeout first, so the switch to WAL waits for a
        # process that is opening the same file at the same moment.
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        if path == ":memory:":
            return conn, None
        return conn, os.open(f"{path}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except (sqlite3.Error, OSError) as error:
        conn.close()
        raise StorageUnavailable(f"cannot open SQLite: {error}") from error


def _run_to_end(step: Awaitable[T]) -> T:
    """Finish a coroutine that awaits only statements, which never suspend."""
    coroutine: Coroutine[Any, Any, T] = step  # type: ignore[assignment]
    try:
        coroutine.send(None)
    except StopIteration as finished:
        result: T = finished.value
        return result
    coroutine.close()
    raise WorkSuspended("a SQLite unit of work awaited something other than its Tx")
