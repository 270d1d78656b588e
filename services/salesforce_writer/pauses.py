"""Pause a tenant's writes after ``REQUEST_LIMIT_EXCEEDED``, on every replica.

The pause is a checkpoint holding the wall-clock time writes may resume,
so a replica that never saw the limit error honours it too, and a
restarted writer does not hammer an exhausted org. Without storage (unit
tests of the writer alone) the pause lives in this process's memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from regalsync.storage._coordination import CheckpointStore

CHECKPOINT = "salesforce_writes_paused_until"


class TenantPauses:
    """Remember until when each tenant's writes wait."""

    def __init__(self, checkpoints: CheckpointStore | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._checkpoints = checkpoints
        self._clock = clock
        self._local: dict[str, float] = {}

    async def remaining(self, tenant: str) -> float:
        """Return how many seconds the tenant's writes still wait (0: none)."""
        until = self._local.get(tenant, 0.0)
        if self._checkpoints is not None:
            stored = await self._checkpoints.get_checkpoint(tenant, CHECKPOINT)
            until = max(until, _seconds(stored))
        return max(0.0, until - self._clock())

    async def pause(self, tenant: str, seconds: float) -> None:
        """Hold the tenant's writes for ``seconds`` from now, never shortening a pause."""
        until = self._clock() + seconds
        self._local[tenant] = max(self._local.get(tenant, 0.0), until)
        if self._checkpoints is None:
            return
        stored = await self._checkpoints.get_checkpoint(tenant, CHECKPOINT)
        if _seconds(stored) < until:
            await self._checkpoints.set_checkpoint(tenant, CHECKPOINT, f"{until:.3f}".encode())


def _seconds(stored: bytes | None) -> float:
    try:
        return float(stored or b"0")
    except ValueError:
        return 0.0
