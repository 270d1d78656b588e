"""Faults injected into ``/events``: error answers, slow answers and hangs.

Each fault applies to the next ``count`` requests (None: until cleared),
for one API key or, without one, for every request. Faults act before the
API key is checked, as a failing load balancer in front of Regal would.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["error", "delay", "hang"]
FAULT_KINDS: tuple[FaultKind, ...] = ("error", "delay", "hang")


@dataclass
class Fault:
    fault_id: str
    kind: FaultKind
    api_key: str | None
    remaining: int | None
    status: int = 500
    delay_seconds: float = 0.0

    def matches(self, api_key: str | None) -> bool:
        """Tell whether this fault still applies to a request with ``api_key``."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.api_key is None or self.api_key == api_key

    def to_json(self) -> dict[str, Any]:
        """Return the fault as the control API shows it."""
        return {
            "fault_id": self.fault_id, "kind": self.kind,
            "api_key": self.api_key, "remaining": self.remaining,
            "status": self.status, "delay_seconds": self.delay_seconds,
        }


class FaultPlan:
    """Hold the planned faults and the requests left hanging by them."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._hanging: list[asyncio.Future[bool]] = []
        self._changed = asyncio.Condition()

    @property
    def faults(self) -> list[Fault]:
        """Return the faults that still apply to some request."""
        return [f for f in self._faults if f.remaining is None or f.remaining > 0]

    @property
    def hanging(self) -> int:
        """Return how many requests are hanging now."""
        return len(self._hanging)

    def add(
        self, kind: FaultKind, *, api_key: str | None, count: int | None,
        status: int = 500, delay_seconds: float = 0.0,
    ) -> Fault:
        """Plan a fault for the next ``count`` matching requests."""
        fault = Fault(f"fault-{next(self._ids)}", kind, api_key, count, status, delay_seconds)
        self._faults.append(fault)
        return fault

    def take(self, api_key: str | None) -> Fault | None:
        """Return the first fault for this request and count it as used."""
        for fault in self._faults:
            if fault.matches(api_key):
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def clear(self) -> None:
        """Drop every planned fault; hanging requests keep hanging."""
        self._faults.clear()

    async def hang(self) -> bool:
        """Wait until released (True) or aborted (False)."""
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        async with self._changed:
            self._hanging.append(outcome)
            self._changed.notify_all()
        try:
            return await outcome
        finally:
            if outcome in self._hanging:
                self._hanging.remove(outcome)

    async def wait_for_hanging(self, count: int, within: float) -> bool:
        """Wait until ``count`` requests hang; False if ``within`` s pass first."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: len(self._hanging) >= count)
        except TimeoutError:
            return False
        return True

    def release(self) -> int:
        """Let every hanging request go on normally; return how many."""
        return self._settle(True)

    def abort(self) -> int:
        """End every hanging request with an error; return how many."""
        return self._settle(False)

    def _settle(self, proceed: bool) -> int:
        settled = 0
        for outcome in self._hanging:
            if not outcome.done():
                outcome.set_result(proceed)
                settled += 1
        self._hanging.clear()
        return settled
