"""Deliver reporting-webhook events to the receivers an account configured.

Like Regal: one HTTP POST with a JSON body per event and receiver, a 5 s
timeout, and no retries unless asked for (Regal support can enable them).
Every attempt and the receiver's answer is kept for inspection.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
import structlog

from sandbox.regal.settings import DEFAULT_WEBHOOK_TIMEOUT

_log = structlog.get_logger(__name__)
_MAX_KEPT_BODY = 65536

Outcome = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True)
class WebhookSubscription:
    """Say where one account's events go; ``event_types`` None means all."""

    webhook_id: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    event_types: frozenset[str] | None = None
    retries: int = 0
    backoff_seconds: float = 0.5
    timeout_seconds: float = DEFAULT_WEBHOOK_TIMEOUT

    def wants(self, event_type: str) -> bool:
        """Tell whether this receiver asked for ``event_type``."""
        return self.event_types is None or event_type in self.event_types

    def to_json(self) -> dict[str, Any]:
        """Return the subscription as the control API shows it."""
        return {
            "webhook_id": self.webhook_id, "url": self.url, "headers": self.headers,
            "event_types": sorted(self.event_types) if self.event_types else None,
            "retries": self.retries, "backoff_seconds": self.backoff_seconds,
            "timeout_seconds": self.timeout_seconds,
        }


@dataclass
class Attempt:
    attempt: int
    started_at: float
    duration_ms: float
    status: int | None = None
    body: Any = None
    error: str | None = None

    def succeeded(self) -> bool:
        """Tell whether the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300

    def to_json(self) -> dict[str, Any]:
        """Return the attempt as the inspection API shows it."""
        return {
            "attempt": self.attempt, "started_at": self.started_at,
            "duration_ms": round(self.duration_ms, 1),
            "response": None if self.status is None
            else {"status": self.status, "body": self.body},
            "error": self.error,
        }


@dataclass
class Delivery:
    delivery_id: str
    webhook_id: str
    account_id: str
    event_type: str | None
    url: str
    headers: dict[str, str]
    payload: bytes
    attempts: list[Attempt] = field(default_factory=list)
    outcome: Outcome = "pending"
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def to_json(self) -> dict[str, Any]:
        """Return the delivery, its request and every answer."""
        last = self.attempts[-1] if self.attempts else None
        return {
            "delivery_id": self.delivery_id, "webhook_id": self.webhook_id,
            "account_id": self.account_id, "event_type": self.event_type,
            "outcome": self.outcome,
            "request": {"method": "POST", "url": self.url, "headers": self.headers,
                        "body": _readable(self.payload)},
            "response": last.to_json()["response"] if last else None,
            "error": last.error if last else None,
            "attempts": [a.to_json() for a in self.attempts],
        }


def _readable(raw: bytes) -> Any:
    """Return a body as JSON when it is JSON, else as text."""
    text = raw[:_MAX_KEPT_BODY].decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class WebhookDispatcher:
    """Send deliveries over one HTTP client session and keep their record."""

    def __init__(self, wall_clock: Callable[[], float]) -> None:
        self._wall_clock = wall_clock
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self.session: aiohttp.ClientSession | None = None
        self.deliveries: list[Delivery] = []

    def start(
        self, subscription: WebhookSubscription, account_id: str,
        event_type: str | None, payload: bytes,
    ) -> Delivery:
        """Begin delivering ``payload`` in the background; return its record."""
        headers = {"Content-Type": "application/json", **subscription.headers}
        delivery = Delivery(
            f"delivery-{next(self._ids)}", subscription.webhook_id, account_id,
            event_type, subscription.url, headers, payload)
        self.deliveries.append(delivery)
        task = asyncio.create_task(self._deliver(subscription, delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def stop(self) -> None:
        """Cancel deliveries still in flight."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def forget(self) -> None:
        """Drop the delivery record (deliveries in flight still finish)."""
        self.deliveries = []

    async def _deliver(self, subscription: WebhookSubscription, delivery: Delivery) -> None:
        try:
            for attempt in range(1, subscription.retries + 2):
                if attempt > 1:
                    await asyncio.sleep(subscription.backoff_seconds * 2 ** (attempt - 2))
                outcome = await self._attempt(subscription, delivery, attempt)
                delivery.attempts.append(outcome)
                if outcome.succeeded():
                    delivery.outcome = "delivered"
                    break
            else:
                delivery.outcome = "failed"
            _log.info("webhook_delivered", delivery_id=delivery.delivery_id,
                      webhook_id=delivery.webhook_id, event_type=delivery.event_type,
                      outcome=delivery.outcome, attempts=len(delivery.attempts))
        finally:
            delivery.done.set()

    async def _attempt(
        self, subscription: WebhookSubscription, delivery: Delivery, number: int,
    ) -> Attempt:
        if self.session is None:
            raise RuntimeError("the sandbox's HTTP client is not running")
        started, clock = self._wall_clock(), time.monotonic()
        timeout = aiohttp.ClientTimeout(total=subscription.timeout_seconds)
        outcome = Attempt(number, started, 0.0)
        try:
            async with self.session.post(delivery.url, data=delivery.payload,
                                         headers=delivery.headers, timeout=timeout) as answer:
                outcome.status = answer.status
                outcome.body = _readable(await answer.read())
        except TimeoutError:
            outcome.error = f"timeout after {subscription.timeout_seconds:g} s"
        except aiohttp.ClientError as error:
            outcome.error = f"{type(error).__name__}: {error}"
        outcome.duration_ms = (time.monotonic() - clock) * 1000
        return outcome
