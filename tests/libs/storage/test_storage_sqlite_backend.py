"""How the SQLite backend runs a transaction: whole, in its own thread."""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path

import pytest

from regalsync.storage._sql import Tx
from regalsync.storage._sqlite import SqliteBackend, WorkSuspended


async def _backend_with_table(path: Path) -> SqliteBackend:
    backend = await SqliteBackend.connect(str(path))

    async def create(tx: Tx) -> None:
        await tx.execute("CREATE TABLE notes (body TEXT NOT NULL)")

    await backend.run(create)
    return backend


async def _count(backend: SqliteBackend) -> int:
    async def count(tx: Tx) -> int:
        return int((await tx.fetch("SELECT COUNT(*) FROM notes"))[0][0])

    return await backend.run(count, write=False)


async def test_work_that_awaits_anything_else_fails_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    backend = await _backend_with_table(tmp_path / "db.sqlite")
    try:
        async def waits_mid_transaction(tx: Tx) -> None:
            await tx.execute("INSERT INTO notes VALUES ('kept?')")
            await asyncio.sleep(0)

        with pytest.raises(WorkSuspended):
            await backend.run(waits_mid_transaction)
        assert await _count(backend) == 0
    finally:
        await backend.close()


async def test_a_failing_unit_of_work_rolls_back(tmp_path: Path) -> None:
    backend = await _backend_with_table(tmp_path / "db.sqlite")
    try:
        async def fails(tx: Tx) -> None:
            await tx.execute("INSERT INTO notes VALUES ('half')")
            raise ValueError("bad input")

        with pytest.raises(ValueError, match="bad input"):
            await backend.run(fails)
        assert await _count(backend) == 0
    finally:
        await backend.close()


async def test_a_writer_waits_its_turn_on_the_writers_lock(tmp_path: Path) -> None:
    """Writers in other processes queue on the lock file; the next one
    starts as soon as the lock is free, and nothing is lost."""
    path = tmp_path / "db.sqlite"
    backend = await _backend_with_table(path)
    try:
        # Another process's writer, as the kernel sees it: its own open file.
        holder = os.open(f"{path}-writers.lock", os.O_RDWR)
        fcntl.flock(holder, fcntl.LOCK_EX)

        async def insert(tx: Tx) -> None:
            await tx.execute("INSERT INTO notes VALUES ('waited')")

        waiting = asyncio.ensure_future(backend.run(insert))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
        await asyncio.wait_for(waiting, timeout=5)
        assert await _count(backend) == 1
    finally:
        await backend.close()


async def test_reads_do_not_wait_for_the_writers_lock(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    backend = await _backend_with_table(path)
    holder = os.open(f"{path}-writers.lock", os.O_RDWR)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        assert await asyncio.wait_for(_count(backend), timeout=5) == 0
    finally:
        os.close(holder)
        await backend.close()
