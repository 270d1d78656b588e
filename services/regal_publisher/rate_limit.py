"""Hold each tenant to its Regal account's request rate."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """Allow ``rate`` acquisitions per second with bursts up to ``burst``.

    The bucket lives in this process: with several publisher replicas,
    give each ``rate / replicas`` (the Helm chart does) so the account's
    total stays under Regal's limit.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self._rate = rate
        self._capacity = burst if burst is not None else max(rate / 10, 1.0)
        self._tokens = self._capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one request may go out."""
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self._capacity,
                                   self._tokens + (now - self._updated) * self._rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)


class TenantRateLimits:
    """One bucket per tenant, rebuilt when the tenant's rate changes."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, TokenBucket]] = {}

    def bucket(self, tenant_id: str, rate: float) -> TokenBucket:
        """Return the tenant's bucket for ``rate`` requests per second."""
        current = self._buckets.get(tenant_id)
        if current is None or current[0] != rate:
            current = (rate, TokenBucket(rate))
            self._buckets[tenant_id] = current
        return current[1]
