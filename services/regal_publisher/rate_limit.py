"""Hold each tenant to its Regal account's request rate."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable


class RequestWindow:
    """Keep at most ``rate`` requests per second in any sliding window.

    Regal counts an account's requests in a sliding one-second window and
    answers 429 with a Retry-After of a whole second or more, so one
    refusal costs far more than a little caution. A token bucket lets its
    burst come on top of its rate and overshoots such a window. Counting
    each request from when it went out would still be wrong by however
    late Regal saw it. Instead a request holds its place in the window
    from the moment it starts until one window after its answer came
    back: Regal saw it somewhere in between, so Regal's count can never
    exceed ours. The window lives in this process: several publisher
    replicas each allow the whole rate (docs/known-limitations.md).
    """

    def __init__(self, rate: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        # Below one request per second the window stretches to hold one.
        self._limit = max(1, math.floor(rate))
        self._span = self._limit / rate
        self._clock = clock
        self._in_flight = 0
        self._answered: deque[float] = deque()
        self._freed = asyncio.Event()
        # Callers queue here in turn, so only the first one waits for room.
        self._turns = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for room in the window, then hold it for one request."""
        await self._enter()
        try:
            yield
        finally:
            self._answered.append(self._clock())
            self._in_flight -= 1
            self._freed.set()

    async def _enter(self) -> None:
        async with self._turns:
            while True:
                now = self._clock()
                while self._answered and self._answered[0] <= now - self._span:
                    self._answered.popleft()
                if self._in_flight + len(self._answered) < self._limit:
                    self._in_flight += 1
                    return
                # Room opens when the oldest answer leaves the window, or,
                # if every place is taken by a request in flight, after one
                # of them is answered and its window has passed.
                wait = self._answered[0] + self._span - now if self._answered else None
                self._freed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), wait)


class TenantRateLimits:
    """One window per tenant, rebuilt when the tenant's rate changes."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, RequestWindow]] = {}

    def window(self, tenant_id: str, rate: float) -> RequestWindow:
        """Return the tenant's window for ``rate`` requests per second."""
        current = self._windows.get(tenant_id)
        if current is None or current[0] != rate:
            current = (rate, RequestWindow(rate))
            self._windows[tenant_id] = current
        return current[1]
