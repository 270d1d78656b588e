"""The ingress refuses webhooks while its inbox backlog is past the limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ingress_gateway.backpressure import InboxLimit
from regalsync.storage import QueueItem, Storage, open_storage


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(f"sqlite:///{tmp_path / 'inbox.db'}")
    yield opened
    await opened.close()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _fill(storage: Storage, count: int) -> None:
    await storage.enqueue("inbox", [QueueItem("t", f"k{i}", f"k{i}", b"{}")
                                    for i in range(count)])


async def test_backlog_at_the_limit_is_full(storage: Storage) -> None:
    """Three waiting items with a limit of three refuse the next webhook."""
    await _fill(storage, 3)

    assert await InboxLimit(storage, "inbox", max_pending=3).full()


async def test_backlog_under_the_limit_accepts(storage: Storage) -> None:
    """Two waiting items with a limit of three still accept."""
    await _fill(storage, 2)

    assert not await InboxLimit(storage, "inbox", max_pending=3).full()


async def test_zero_means_no_limit(storage: Storage) -> None:
    """A limit of 0 never refuses, however deep the inbox."""
    await _fill(storage, 10)

    assert not await InboxLimit(storage, "inbox", max_pending=0).full()


async def test_depth_is_read_again_after_the_refresh(storage: Storage) -> None:
    """Once the backlog drains, the inbox accepts again at the next reading."""
    clock = Clock()
    limit = InboxLimit(storage, "inbox", max_pending=2, refresh_seconds=1.0, clock=clock)
    await _fill(storage, 2)
    assert await limit.full()

    claimed = await storage.claim("inbox", worker="w", limit=10, lease_seconds=5)
    await storage.ack("inbox", [item.id for item in claimed])
    still_cached = await limit.full()
    clock.now = 1.5
    answered_from_last_reading = await limit.full()
    await asyncio.sleep(0.1)  # the refresh runs in the background

    assert still_cached and answered_from_last_reading
    assert not await limit.full()
