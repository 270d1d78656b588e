"""Schema migrations and storage URLs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from regalsync.storage import (
    QueueItem,
    UnsupportedStorageUrl,
    migrate,
    open_storage,
)


class TestMigrations:
    async def test_migrate_applies_once(self, storage_url: str) -> None:
        """A second migration run finds nothing left to do."""
        assert await migrate(storage_url) == [1, 2]
        assert await migrate(storage_url) == []

    async def test_concurrent_migrations_apply_once(
        self, storage_url: str
    ) -> None:
        """Processes starting together apply each migration exactly once."""
        results = await asyncio.gather(*(migrate(storage_url) for _ in range(4)))

        assert sorted(results) == [[], [], [], [1, 2]]

    async def test_data_survives_reopening(self, storage_url: str) -> None:
        """What one opening stored, the next one reads."""
        first = await open_storage(storage_url)
        await first.enqueue("inbox", [QueueItem("acme", "e1", "k", b"x")])
        await first.close()

        second = await open_storage(storage_url)
        try:
            claimed = await second.claim(
                "inbox", worker="w", limit=1, lease_seconds=30
            )
        finally:
            await second.close()
        assert [c.payload for c in claimed] == [b"x"]


class TestUrls:
    @pytest.mark.parametrize("url", [
        "mysql://localhost/db", "sqlite://relative.db", "sqlite:///",
        "sqlite:///x.db?synchronous=off",
    ])
    async def test_bad_url_is_rejected(self, url: str) -> None:
        """A URL no backend understands fails with a clear error."""
        with pytest.raises(UnsupportedStorageUrl):
            await open_storage(url)

    async def test_in_memory_sqlite(self) -> None:
        """`sqlite:///:memory:` gives a working, private database."""
        storage = await open_storage("sqlite:///:memory:")
        try:
            assert await storage.remember("acme", "s", ["a"]) == [True]
        finally:
            await storage.close()

    async def test_sqlite_creates_missing_folders(self, tmp_path: Path) -> None:
        """The database file's folder is created on first use."""
        storage = await open_storage(f"sqlite:///{tmp_path}/state/nested/x.db")
        await storage.close()

        assert (tmp_path / "state" / "nested" / "x.db").is_file()
