"""POST one event to Regal and classify what happened.

The classification decides the event's fate: delivered events leave the
queue, transient failures (429, 5xx, timeouts, connection errors) are
retried later, and permanent ones (other 4xx) go to the dead letters,
where an operator can replay them after a fix.
"""

from __future__ import annotations

import asyncio
import enum
import random
from dataclasses import dataclass

import aiohttp

from regalsync.tracing import outbound_span

_MAX_RETRY_AFTER_SECONDS = 300.0


class Fate(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class Outcome:
    fate: Fate
    status: int | None
    reason: str
    retry_after: float | None = None


async def post_event(
    http: aiohttp.ClientSession, url: str, api_key: str, body: bytes, *,
    timeout_seconds: float,
) -> Outcome:
    """Send ``body`` with the bare-key ``Authorization`` header Regal expects."""
    headers = {"Authorization": api_key, "Content-Type": "application/json"}
    try:
        with outbound_span("regal POST events", {"http.request.method": "POST"}):
            async with http.post(url, data=body, headers=headers,
                                 timeout=aiohttp.ClientTimeout(total=timeout_seconds),
                                 ) as response:
                await response.read()
                return classify(response.status, response.headers.get("Retry-After"))
    except TimeoutError:
        return Outcome(Fate.RETRY, None, "timeout")
    except aiohttp.ClientError as error:
        return Outcome(Fate.RETRY, None, f"connection_error:{type(error).__name__}")
    except asyncio.CancelledError:
        raise


def classify(status: int, retry_after: str | None) -> Outcome:
    """Map Regal's HTTP status to the event's fate."""
    if 200 <= status < 300:
        return Outcome(Fate.DELIVERED, status, "ok")
    if status == 429 or status >= 500 or status == 408:
        return Outcome(Fate.RETRY, status, f"http_{status}", _parse_retry_after(retry_after))
    return Outcome(Fate.DEAD, status, f"http_{status}")


@dataclass(frozen=True)
class Backoff:
    """Say how long to wait before the next attempt of a failed event."""

    base: float = 1.0
    cap: float = 120.0

    def seconds(self, attempt: int) -> float:
        """Return the delay after ``attempt`` (1-based) failed attempts."""
        return backoff_seconds(attempt, base=self.base, cap=self.cap)


def backoff_seconds(attempt: int, *, base: float = 1.0, cap: float = 120.0) -> float:
    """Return exponential backoff with jitter for the given attempt (1-based).

    The delay lies between half and all of ``base * 2^(attempt-1)``
    (at most ``cap``), so retries of many events spread out.
    """
    ceiling = min(cap, base * 2 ** max(min(attempt, 60) - 1, 0))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        return None
