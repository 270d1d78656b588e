"""The publisher's request window matches Regal's sliding one-second count."""

from __future__ import annotations

import asyncio
import math
import time

import pytest
from publisher_support import requests_allowed_now

from regal_publisher.rate_limit import RequestWindow, TenantRateLimits
from regalsync.storage import ManualClock


async def start_times(window: RequestWindow, count: int,
                      answer_after: float = 0.0) -> list[float]:
    """Take ``count`` places one after another; each is answered after ``answer_after``."""
    times = []
    for _ in range(count):
        async with window.slot():
            times.append(time.monotonic())
            await asyncio.sleep(answer_after)
    return times


def most_in_any_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


async def test_no_second_holds_more_than_the_rate() -> None:
    """A burst goes at once up to the limit, then the window paces the rest."""
    times = await start_times(RequestWindow(40), 100)

    assert most_in_any_second(times) <= 40
    assert times[39] - times[0] < 0.2
    assert times[40] - times[0] >= 1.0
    assert times[-1] - times[0] >= 2.0


async def test_concurrent_callers_share_one_window() -> None:
    window = RequestWindow(25)
    batches = await asyncio.gather(*(start_times(window, 15) for _ in range(4)))

    assert most_in_any_second(sorted(t for batch in batches for t in batch)) <= 25


async def test_a_place_is_held_for_a_window_after_the_answer() -> None:
    """Regal may have seen a request as late as its answer: count from there."""
    window = RequestWindow(10)
    first = await start_times(window, 10, answer_after=0.05)
    [eleventh] = await start_times(window, 1)

    assert eleventh - first[0] >= 1.0 + 0.05


async def test_requests_in_flight_count_against_the_window() -> None:
    window = RequestWindow(3)

    async def slow() -> None:
        async with window.slot():
            await asyncio.sleep(0.3)

    holders = [asyncio.create_task(slow()) for _ in range(3)]
    await asyncio.sleep(0.01)
    began = time.monotonic()
    await start_times(window, 1)

    assert time.monotonic() - began >= 1.0 + 0.25
    await asyncio.gather(*holders)


async def test_a_rate_below_one_per_second_stretches_the_window() -> None:
    times = await start_times(RequestWindow(2.5), 4)

    assert times[2] - times[0] >= 0.8


async def test_a_lowered_rate_keeps_counting_requests_already_in_the_window() -> None:
    """A smaller share admits nothing until enough counted requests have left."""
    clock = ManualClock(0.0)
    window = RequestWindow(10, clock=clock)
    assert await requests_allowed_now(window) == 10

    window.set_rate(4)
    assert await requests_allowed_now(window) == 0
    clock.advance(1.0)
    assert await requests_allowed_now(window) == 4


async def test_a_raised_rate_admits_only_the_difference_at_once() -> None:
    clock = ManualClock(0.0)
    window = RequestWindow(4, clock=clock)
    assert await requests_allowed_now(window) == 4

    window.set_rate(10)
    assert await requests_allowed_now(window) == 6


async def test_a_fractional_rate_holds_whole_requests_for_a_full_second() -> None:
    """A share of 2.5 per second never lets one second hold more than 2."""
    clock = ManualClock(0.0)
    window = RequestWindow(2.5, clock=clock)
    assert await requests_allowed_now(window) == 2

    clock.advance(0.9)
    assert await requests_allowed_now(window) == 0
    clock.advance(0.1)
    assert await requests_allowed_now(window) == 2


async def test_requests_start_only_between_the_admission_times() -> None:
    clock = ManualClock(0.0)
    window = RequestWindow(10, clock=clock)
    window.admit_between(5.0, 8.0)
    assert await requests_allowed_now(window) == 0

    clock.advance(5.0)
    assert await requests_allowed_now(window, most=3) == 3
    clock.advance(3.0)
    assert await requests_allowed_now(window) == 0


async def test_a_waiting_request_starts_once_admission_opens() -> None:
    window = RequestWindow(10)
    window.admit_between(math.inf, math.inf)
    waiting = asyncio.create_task(start_times(window, 1))
    await asyncio.sleep(0.05)
    assert not waiting.done()

    window.admit_between(time.monotonic(), math.inf)
    await asyncio.wait_for(waiting, 1.0)


async def test_a_changed_rate_keeps_the_tenants_window_and_its_count() -> None:
    clock = ManualClock(0.0)
    limits = TenantRateLimits(clock=clock)
    first = limits.window("acme", 10)
    assert await requests_allowed_now(first) == 10

    assert limits.window("acme", 10) is first
    assert limits.window("acme", 20) is first
    assert await requests_allowed_now(first) == 10


async def test_each_tenant_gets_its_share_of_its_rate() -> None:
    """With two members, every tenant's window holds half its rate, new ones too."""
    clock = ManualClock(0.0)
    limits = TenantRateLimits(clock=clock)
    acme = limits.window("acme", 40)

    limits.set_members(2)
    assert await requests_allowed_now(acme) == 20
    assert await requests_allowed_now(limits.window("globex", 10)) == 5


def test_a_rate_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        RequestWindow(0)
