"""The publisher's request window matches Regal's sliding one-second count."""

from __future__ import annotations

import asyncio
import time

import pytest

from regal_publisher.rate_limit import RequestWindow, TenantRateLimits


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


def test_a_changed_rate_gives_the_tenant_a_new_window() -> None:
    limits = TenantRateLimits()
    first = limits.window("acme", 300)
    assert limits.window("acme", 300) is first
    assert limits.window("acme", 100) is not first


def test_a_rate_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        RequestWindow(0)
