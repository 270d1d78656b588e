"""Each tenant's share of its org's daily Salesforce API calls (SPEC L4).

Every call a process makes for a tenant is added to the tenant's daily
counter in storage (``salesforce_api_calls``), and the org's allowance
from the last ``Sforce-Limit-Info`` header is kept in the
``salesforce_api_limit`` checkpoint. Before a batch, matcher and writer
ask :meth:`ApiBudget.check`; past the tenant's share
(``daily_api_budget_percent`` of the allowance) it raises
BudgetExhausted and the batch waits. Days are UTC days of this process's
clock; docs/connecting-an-org.md explains the numbers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from regalsync.errors import BudgetExhausted
from regalsync.storage import Storage

__all__ = ["API_CALLS_COUNTER", "API_LIMIT_CHECKPOINT", "ApiBudget", "OrgLimit"]

API_CALLS_COUNTER = "salesforce_api_calls"
API_LIMIT_CHECKPOINT = "salesforce_api_limit"
DEFAULT_CACHE_SECONDS = 5.0

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OrgLimit:
    """What Salesforce last said about the org's day: calls used, allowance."""

    used: int
    limit: int


@dataclass(frozen=True)
class _Reading:
    day: dt.date
    used: int
    read_at: float


class ApiBudget:
    """Count tenants' Salesforce calls in storage; refuse work past a share.

    Counting is synchronous (the client reports each call) and written
    behind, in one storage transaction per tenant per burst. Checks read
    storage at most every ``cache_seconds`` per tenant and add this
    process's calls since, so a check costs nothing most of the time;
    across replicas a tenant may overrun its share by a few seconds'
    worth of calls.
    """

    def __init__(self, storage: Storage, *, clock: Callable[[], float] = time.time,
                 cache_seconds: float = DEFAULT_CACHE_SECONDS) -> None:
        self._storage = storage
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._unwritten: Counter[str] = Counter()
        self._since_reading: Counter[str] = Counter()
        self._readings: dict[str, _Reading] = {}
        self._limits: dict[str, OrgLimit] = {}
        self._limits_unwritten: dict[str, OrgLimit] = {}
        self._limit_read_at: dict[str, float] = {}
        self._writer: asyncio.Task[None] | None = None

    def record(self, tenant: str, calls: int, seen: OrgLimit | None = None) -> None:
        """Count ``calls`` made for ``tenant``; ``seen`` is the org's last header."""
        self._unwritten[tenant] += calls
        self._since_reading[tenant] += calls
        if seen is not None and seen.limit > 0:
            self._limits[tenant] = self._limits_unwritten[tenant] = seen
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_behind())

    async def check(self, tenant: str, percent: float) -> None:
        """Raise BudgetExhausted when the tenant's share of today is spent.

        Nothing is enforced before the org's allowance has been seen, nor
        for a share of 0 (the tenant opted out of a share of its own).
        """
        limit = await self._org_limit(tenant)
        if limit <= 0 or percent <= 0:
            return
        share = int(limit * percent / 100)
        used = await self.used_today(tenant)
        if used >= share:
            raise BudgetExhausted(
                f"tenant {tenant} has spent its Salesforce API budget for "
                f"{self._today().isoformat()}: {used} of {share} calls "
                f"({percent:g}% of the org's {limit})")

    async def used_today(self, tenant: str) -> int:
        """Return the tenant's calls today, from storage at most a few seconds old."""
        today = self._today()
        reading = self._readings.get(tenant)
        now = time.monotonic()
        if reading is None or reading.day != today or \
                now - reading.read_at >= self._cache_seconds:
            await self.flush()
            self._since_reading[tenant] = 0
            used = await self._storage.get_usage(tenant, API_CALLS_COUNTER, today)
            reading = self._readings[tenant] = _Reading(today, used, now)
        return reading.used + self._since_reading[tenant]

    async def flush(self) -> bool:
        """Write the calls and limits counted so far; tell whether all went."""
        calls, self._unwritten = self._unwritten, Counter()
        limits, self._limits_unwritten = self._limits_unwritten, {}
        today = self._today()
        written = True
        for tenant, n in calls.items():
            try:
                await self._storage.add_usage(tenant, API_CALLS_COUNTER, today, n)
            except Exception:
                # Storage unreachable: keep the count for the next write.
                self._unwritten[tenant] += n
                written = False
                log.warning("api_usage_not_written", tenant=tenant, calls=n)
        for tenant, seen in limits.items():
            value = json.dumps({"used": seen.used, "limit": seen.limit}).encode()
            try:
                await self._storage.set_checkpoint(tenant, API_LIMIT_CHECKPOINT, value)
            except Exception:
                self._limits_unwritten.setdefault(tenant, seen)
                written = False
        return written

    async def close(self) -> None:
        """Wait for the write in flight, then write what is left."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await self.flush()

    async def _write_behind(self) -> None:
        # A failed write stops here; the next recorded call starts again.
        while self._unwritten or self._limits_unwritten:
            if not await self.flush():
                return

    async def _org_limit(self, tenant: str) -> int:
        """Return the org's allowance: the checkpoint every process writes,
        read at most every few seconds, else what this process saw."""
        now = time.monotonic()
        read_at = self._limit_read_at.get(tenant)
        if read_at is None or now - read_at >= self._cache_seconds:
            self._limit_read_at[tenant] = now
            raw = await self._storage.get_checkpoint(tenant, API_LIMIT_CHECKPOINT)
            if raw and tenant not in self._limits_unwritten:
                stored = json.loads(raw)
                self._limits[tenant] = OrgLimit(int(stored.get("used", 0)),
                                                int(stored.get("limit", 0)))
        seen = self._limits.get(tenant)
        return seen.limit if seen is not None else 0

    def _today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).date()
