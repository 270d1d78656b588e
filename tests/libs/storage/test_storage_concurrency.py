"""Several workers on one queue, as replicas or separate processes."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict

import pytest

from regalsync.storage import ClaimedItem, QueueItem, Storage, open_storage

Q = "writer"

# A worker process: drain the queue, print the ids it processed.
WORKER_SCRIPT = """
import asyncio, json, sys
from regalsync.storage import open_storage

async def main(url):
    storage = await open_storage(url)
    done = []
    try:
        while True:
            batch = await storage.claim(
                "writer", worker=sys.argv[2], limit=5, lease_seconds=60)
            if not batch:
                stats = await storage.depth("writer")
                if stats.pending + stats.in_flight == 0:
                    break
                await asyncio.sleep(0.01)
                continue
            done += [item.id for item in batch]
            await storage.ack("writer", [item.id for item in batch])
    finally:
        await storage.close()
    print(json.dumps(done))

asyncio.run(main(sys.argv[1]))
"""


def items(count: int, keys: int) -> list[QueueItem]:
    return [
        QueueItem("acme", f"e{i}", f"record-{i % keys}", str(i).encode())
        for i in range(count)
    ]


async def drain(
    storage: Storage, worker: str, processed: list[ClaimedItem]
) -> None:
    """Claim and ack until the queue is empty, noting each claim in
    `processed` in the order the claims returned."""
    while True:
        batch = await storage.claim(Q, worker=worker, limit=7, lease_seconds=60)
        if not batch:
            stats = await storage.depth(Q)
            if stats.pending + stats.in_flight == 0:
                return
            await asyncio.sleep(0)
            continue
        processed += batch
        await asyncio.sleep(0)
        await storage.ack(Q, [claimed.id for claimed in batch])


class TestConcurrentClaims:
    async def test_two_replicas_never_share_an_item(
        self, storage: Storage, second_storage: Storage
    ) -> None:
        """Two replicas draining one queue process each item exactly once."""
        await storage.enqueue(Q, items(300, keys=300))
        processed: list[ClaimedItem] = []

        await asyncio.gather(
            drain(storage, "replica-1", processed),
            drain(second_storage, "replica-2", processed),
        )

        ids = [claimed.id for claimed in processed]
        assert len(ids) == len(set(ids)) == 300

    async def test_order_per_key_holds_across_replicas(
        self, storage: Storage, second_storage: Storage
    ) -> None:
        """Items of one record are processed in the order they arrived."""
        await storage.enqueue(Q, items(200, keys=10))
        processed: list[ClaimedItem] = []

        await asyncio.gather(
            drain(storage, "replica-1", processed),
            drain(second_storage, "replica-2", processed),
        )

        by_key: dict[str, list[int]] = defaultdict(list)
        for claimed in processed:
            by_key[claimed.ordering_key].append(int(claimed.payload))
        assert all(seq == sorted(seq) for seq in by_key.values())
        assert sum(len(seq) for seq in by_key.values()) == 200

    async def test_concurrent_claims_on_one_storage(
        self, storage: Storage
    ) -> None:
        """Claims racing on one storage object never overlap."""
        await storage.enqueue(Q, items(100, keys=100))

        batches = await asyncio.gather(*(
            storage.claim(Q, worker=f"w{n}", limit=10, lease_seconds=60)
            for n in range(8)
        ))

        ids = [c.id for batch in batches for c in batch]
        assert len(ids) == len(set(ids)) == 80


@pytest.mark.parametrize("storage_url", ["sqlite"], indirect=True)
async def test_two_processes_share_one_sqlite_file(storage_url: str) -> None:
    """Two OS processes draining one SQLite file never share an item."""
    storage = await open_storage(storage_url)
    try:
        await storage.enqueue(Q, items(300, keys=30))
    finally:
        await storage.close()

    outputs = await asyncio.gather(*(_run_worker(storage_url, f"p{n}")
                                     for n in range(2)))

    ids = [claimed for output in outputs for claimed in output]
    assert len(ids) == len(set(ids)) == 300


async def _run_worker(url: str, name: str) -> list[int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER_SCRIPT, url, name,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    processed: list[int] = json.loads(stdout.decode().strip().splitlines()[-1])

    return processed
