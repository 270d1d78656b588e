"""API budgets and rate limits that hold across replicas."""

from __future__ import annotations

# SQL here is assembled from constants and placeholder counts only;
# every value travels as a bound parameter.
# ruff: noqa: S608
import datetime as dt

from regalsync.errors import InvalidInput
from regalsync.storage._component import Component
from regalsync.storage._models import day_key
from regalsync.storage._sql import Row, Tx

__all__ = ["BudgetStore"]

_ADD_USAGE = (
    "INSERT INTO usage_counters (tenant, counter, day, total)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (tenant, counter, day) DO UPDATE"
    " SET total = usage_counters.total + excluded.total RETURNING total"
)


class BudgetStore(Component):
    """Count API usage per day and meter calls through token buckets."""

    async def add_usage(
        self, tenant: str, counter: str, day: dt.date, n: int
    ) -> int:
        """Add `n` to a tenant's counter for `day`; return the new total."""
        params = (tenant, counter, day_key(day), n)

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(_ADD_USAGE, params)

        return int((await self._backend.run(work, one_statement=True))[0][0])

    async def get_usage(self, tenant: str, counter: str, day: dt.date) -> int:
        """Return a tenant's counter for `day` (0 when nothing was used)."""
        params = (tenant, counter, day_key(day))

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(
                "SELECT total FROM usage_counters"
                " WHERE tenant = ? AND counter = ? AND day = ?",
                params,
            )

        rows = await self._backend.run(work, write=False, one_statement=True)

        return int(rows[0][0]) if rows else 0

    async def take_tokens(
        self, key: str, n: float, *, rate_per_second: float, burst: float
    ) -> float:
        """Reserve `n` tokens from the bucket `key`; return how many
        seconds the caller must wait before spending them (0: now).

        The reservation always succeeds, so callers queue fairly behind
        one another instead of polling; a bucket starts full.
        """
        if n <= 0 or rate_per_second <= 0 or burst <= 0:
            raise InvalidInput("n, rate_per_second and burst must be positive")
        now = self._clock()
        lock = self._backend.dialect.for_update

        async def work(tx: Tx) -> float:
            await tx.execute(
                "INSERT INTO token_buckets (key, tokens, updated_at)"
                " VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (key, burst, now),
            )
            rows = await tx.fetch(
                "SELECT tokens, updated_at FROM token_buckets"
                f" WHERE key = ? {lock}",
                (key,),
            )
            tokens, updated_at = float(rows[0][0]), float(rows[0][1])
            # A replica whose clock lags must not refill the bucket twice.
            elapsed = max(now - updated_at, 0.0)
            left = min(burst, tokens + elapsed * rate_per_second) - n
            await tx.execute(
                "UPDATE token_buckets SET tokens = ?, updated_at = ?"
                " WHERE key = ?",
                (left, max(now, updated_at), key),
            )
            return max(-left / rate_per_second, 0.0)

        return await self._backend.run(work)
