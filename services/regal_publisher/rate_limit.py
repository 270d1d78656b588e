"""Hold each tenant to this replica's share of its Regal request rate."""

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
    exceed ours. A fractional rate rounds down to whole requests per
    second; below one per second the window stretches to hold one.

    The rate is this replica's share of the tenant's (see
    :class:`TenantRateLimits`). :meth:`set_rate` changes it in place, so
    the requests already counted keep their places and a lower share
    admits nothing new until enough of them have left. The window admits
    requests only between the times :meth:`admit_between` sets (always,
    until it is called), which keeps a replica silent while it joins.
    """

    def __init__(self, rate: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._in_flight = 0
        self._answered: deque[float] = deque()
        self._freed = asyncio.Event()
        # Callers queue here in turn, so only the first one waits for room.
        self._turns = asyncio.Lock()
        self._opens_at = -math.inf
        self._closes_at = math.inf
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        """Hold to ``rate`` from now on, counting the requests already in."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        # Regal's window is one second, so ours is never shorter: a
        # shorter one would let a second hold more than the rate.
        self._limit = max(1, math.floor(rate))
        self._span = max(1.0, self._limit / rate)
        self._freed.set()

    def admit_between(self, opens_at: float, closes_at: float) -> None:
        """Start requests only from ``opens_at`` until ``closes_at`` (clock times)."""
        self._opens_at = opens_at
        self._closes_at = closes_at
        self._freed.set()

    def seconds_until_empty(self) -> float:
        """Return how long until no request holds a place (while some are
        in flight, the span: a guess, as their answers are yet to come)."""
        if self._in_flight:
            return self._span
        if not self._answered:
            return 0.0
        return max(0.0, self._answered[-1] + self._span - self._clock())

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
                if self._opens_at <= now < self._closes_at:
                    if self._in_flight + len(self._answered) < self._limit:
                        self._in_flight += 1
                        return
                    # Room opens when the oldest answer leaves the window,
                    # or, if every place is taken by a request in flight,
                    # after one of them is answered and its window has passed.
                    wait = self._answered[0] + self._span - now if self._answered else None
                else:
                    wait = self._until_admitted(now)
                self._freed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), wait)

    def _until_admitted(self, now: float) -> float | None:
        """Return how long until requests may start (None: until
        :meth:`admit_between` says so)."""
        if now < self._opens_at and not math.isinf(self._opens_at):
            return self._opens_at - now
        return None


class TenantRateLimits:
    """One window per tenant, holding this replica to its share of the rate.

    With ``members`` live publisher replicas each one allows a tenant
    ``rate / members`` requests per second, so together they stay within
    the tenant's rate (``replicas.py`` counts the members). A single
    replica keeps the whole rate. A new share or a new tenant rate
    changes the window in place and never empties it.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, RequestWindow]] = {}
        self._members = 1
        self._admission = (-math.inf, math.inf)

    @property
    def members(self) -> int:
        """Return how many replicas the tenants' rates are shared among."""
        return self._members

    def window(self, tenant_id: str, rate: float) -> RequestWindow:
        """Return the tenant's window, at this replica's share of ``rate``."""
        current = self._windows.get(tenant_id)
        if current is None:
            window = RequestWindow(rate / self._members, clock=self._clock)
            window.admit_between(*self._admission)
            self._windows[tenant_id] = (rate, window)
            return window
        if current[0] != rate:
            current[1].set_rate(rate / self._members)
            self._windows[tenant_id] = (rate, current[1])
        return current[1]

    def set_members(self, members: int) -> None:
        """Share every tenant's rate among ``members`` live replicas."""
        if members < 1:
            raise ValueError("members must be at least 1")
        if members == self._members:
            return
        self._members = members
        for rate, window in self._windows.values():
            window.set_rate(rate / members)

    def admit_between(self, opens_at: float, closes_at: float) -> None:
        """Let every window start requests only from ``opens_at`` until ``closes_at``."""
        self._admission = (opens_at, closes_at)
        for _, window in self._windows.values():
            window.admit_between(opens_at, closes_at)

    def seconds_until_quiet(self) -> float:
        """Return how long until no request of this replica holds a place."""
        return max((window.seconds_until_empty() for _, window in self._windows.values()),
                   default=0.0)
