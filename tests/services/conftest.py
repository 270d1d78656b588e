"""Fixtures for the per-service gRPC tests: storage on SQLite in tmp."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from regalsync.storage import Storage, open_storage


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(f"sqlite:///{tmp_path / 'regalsync.db'}")
    try:
        yield opened
    finally:
        await opened.close()
