"""Count the live publisher replicas, so each holds a tenant to its share.

Every publisher process holds an expiring lease named
``regal-publisher/member/<replica id>`` in storage, renews it, and counts
the live ones; :class:`~regal_publisher.rate_limit.TenantRateLimits`
then allows each tenant ``rate / members`` requests per second. Storage
is read on this timer only, never on a request's path. The rules that
keep the replicas' sum within the rate while members come and go are in
docs/adr/0003-regal-rate-shared-across-replicas.md:

- a replica that joins starts requests only after every other member has
  seen it and drained to its smaller share (the join wait), unless a
  count shows it alone;
- a replica whose lease went unrenewed for too long stops starting
  requests before the others can count it gone, and joins again;
- a replica that leaves releases its lease only once its own requests
  have left Regal's window.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from regal_publisher.rate_limit import TenantRateLimits

log = structlog.get_logger(__name__)

MEMBER_PREFIX = "regal-publisher/member/"


@dataclass(frozen=True)
class MembershipTiming:
    """Say how often members renew and how long leases and waits last.

    ``drain_seconds`` is how long a replica's last requests may still
    count at Regal after it stops starting them: an answer's time plus
    Regal's one-second window, with room to spare.
    """

    refresh_seconds: float = 2.0
    lease_seconds: float = 10.0
    drain_seconds: float = 2.0

    def __post_init__(self) -> None:
        if min(self.refresh_seconds, self.lease_seconds, self.drain_seconds) <= 0:
            raise ValueError("membership times must be positive")
        if self.hold_after_seconds <= self.refresh_seconds:
            raise ValueError("lease_seconds must exceed two refreshes plus the drain")

    @property
    def join_wait_seconds(self) -> float:
        """Return how long a joining replica waits: every other member
        refreshes once, then drains to its smaller share."""
        return self.refresh_seconds + self.drain_seconds

    @property
    def hold_after_seconds(self) -> float:
        """Return how long after its last renewal a replica may start
        requests: it drains before the lease can expire, with a refresh
        interval to spare for clock skew between hosts."""
        return self.lease_seconds - self.refresh_seconds - self.drain_seconds


class MemberLeases(Protocol):
    """The lease operations of storage that membership uses."""

    async def acquire_lease(self, name: str, holder: str, ttl_seconds: float) -> bool: ...

    async def renew_lease(self, name: str, holder: str, ttl_seconds: float) -> bool: ...

    async def release_lease(self, name: str, holder: str) -> bool: ...

    async def count_live_leases(self, prefix: str) -> int: ...


class ReplicaMembership:
    """Keep this replica registered and its windows at their share."""

    def __init__(self, leases: MemberLeases, limits: TenantRateLimits, replica_id: str,
                 *, timing: MembershipTiming | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._leases = leases
        self._limits = limits
        self._replica_id = replica_id
        self._name = MEMBER_PREFIX + replica_id
        self._timing = timing or MembershipTiming()
        # The same clock as the windows': admission times are compared there.
        self._clock = clock
        self._opens_at = math.inf
        self._renewed_at = -math.inf

    @property
    def members(self) -> int:
        """Return the live members last counted (1 before the first count)."""
        return self._limits.members

    @contextlib.asynccontextmanager
    async def taking_part(self) -> AsyncIterator[None]:
        """Be a member for the block, then leave once this replica's
        requests have left Regal's window.

        No request starts before the first refresh. If the block raises
        or is cancelled, the lease is left to expire instead: leaving
        early could let the others' larger shares meet requests of ours
        that Regal still counts.
        """
        self._limits.admit_between(math.inf, math.inf)
        refreshing = asyncio.create_task(self._keep_refreshing())
        try:
            yield
            # The block has settled its requests; wait for their answers
            # to leave the window, renewing meanwhile.
            await asyncio.sleep(self._limits.seconds_until_quiet())
        finally:
            refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refreshing
        await self._leave()

    async def refresh(self) -> None:
        """Renew this replica's lease (or take it), count the members and
        give the windows their share and admission times.

        A failure keeps the last count and is logged; the windows go on
        admitting until ``hold_after_seconds`` past the last renewal.
        """
        started = self._clock()
        try:
            async with asyncio.timeout(self._timing.lease_seconds):
                await self._renew_or_join(started)
                members = max(1, await self._leases.count_live_leases(MEMBER_PREFIX))
        except Exception as error:
            log.warning("publisher_membership_refresh_failed",
                        error=type(error).__name__, members=self.members)
            return
        self._renewed_at = started
        if members == 1:
            # No other live member: any replica that joins from now on
            # waits to be seen by this one, so there is nothing to wait for.
            self._opens_at = min(self._opens_at, started)
        if members != self._limits.members:
            log.info("publisher_members_changed", members=members)
            self._limits.set_members(members)
        self._limits.admit_between(self._opens_at,
                                   started + self._timing.hold_after_seconds)

    async def _keep_refreshing(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self._timing.refresh_seconds)

    async def _renew_or_join(self, started: float) -> None:
        lapsed = started - self._renewed_at >= self._timing.hold_after_seconds
        ttl = self._timing.lease_seconds
        name, holder = self._name, self._replica_id
        if not lapsed and await self._leases.renew_lease(name, holder, ttl):
            return
        # First start, or a lease the others may already count as gone:
        # whatever share they took meanwhile, join as a newcomer.
        if not await self._leases.acquire_lease(name, holder, ttl):
            raise RuntimeError("member lease held by another replica with the same id")
        self._opens_at = self._clock() + self._timing.join_wait_seconds
        log.info("publisher_member_registered", replica=self._replica_id,
                 rejoined=self._renewed_at > -math.inf)

    async def _leave(self) -> None:
        try:
            await self._leases.release_lease(self._name, self._replica_id)
        except Exception as error:
            # The lease expires on its own; until then the others under-use.
            log.warning("publisher_member_release_failed", error=type(error).__name__)
            return
        log.info("publisher_member_left", replica=self._replica_id)
