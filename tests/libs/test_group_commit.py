"""Concurrent enqueues share commits and each caller gets its own answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from regalsync.group_commit import GroupCommit
from regalsync.storage import QueueItem, Storage, open_storage


class CountingStorage:
    """Real storage that also counts enqueue transactions."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.commits = 0

    async def enqueue(self, queue: str, items: Sequence[QueueItem]) -> list[bool]:
        self.commits += 1
        return await self.storage.enqueue(queue, items)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(f"sqlite:///{tmp_path / 'q.db'}")
    yield opened
    await opened.close()


def _item(key: str) -> QueueItem:
    return QueueItem(tenant="t", idempotency_key=key, ordering_key=key, payload=b"{}")


async def test_concurrent_callers_share_commits(storage: Storage) -> None:
    """Fifty concurrent enqueues take far fewer than fifty transactions."""
    counting = CountingStorage(storage)
    group = GroupCommit(counting, "inbox")  # type: ignore[arg-type]

    answers = await asyncio.gather(*(group.enqueue([_item(f"k{i}")]) for i in range(50)))

    assert answers == [[True]] * 50
    assert counting.commits < 10
    assert (await storage.depth("inbox")).pending == 50


async def test_each_caller_learns_about_its_own_duplicates(storage: Storage) -> None:
    """A key already queued is reported as not new to the caller that sent it."""
    group = GroupCommit(storage, "inbox")
    await group.enqueue([_item("seen")])

    first, second = await asyncio.gather(group.enqueue([_item("seen"), _item("new")]),
                                         group.enqueue([_item("other")]))

    assert (first, second) == ([False, True], [True])
