"""Deliver claimed events to Regal, one tenant's account at a time."""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import structlog

from regal_publisher.delivery import Backoff, Fate, Outcome, post_event
from regal_publisher.rate_limit import RequestWindow, TenantRateLimits
from regalsync import secrets
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.errors import RegalSyncError
from regalsync.metrics import current_metrics
from regalsync.queue_worker import Settle, Settlement
from regalsync.storage import ClaimedItem
from regalsync.tenants import TenantDirectory

log = structlog.get_logger(__name__)

DEFAULT_RATE = 300.0
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class _Target:
    """Where and how one tenant's events go, resolved once per batch."""

    url: str
    api_key: str
    timeout_seconds: float
    window: RequestWindow


class Publisher:
    """The queue handler: post each event and decide its settlement."""

    def __init__(self, http: aiohttp.ClientSession, tenants: TenantDirectory,
                 *, concurrency: int = 32, backoff: Backoff | None = None,
                 limits: TenantRateLimits | None = None) -> None:
        """Deliver with ``limits`` holding each tenant to this replica's share
        of its rate (by default one replica's: the whole rate)."""
        self._http = http
        self._backoff = backoff or Backoff()
        self._tenants = tenants
        self._limits = limits or TenantRateLimits()
        self._slots = asyncio.Semaphore(concurrency)

    async def handle(self, items: Sequence[ClaimedItem]) -> list[Settlement]:
        """Deliver a batch concurrently; ordering keys are distinct within it."""
        by_tenant: dict[str, list[ClaimedItem]] = defaultdict(list)
        for item in items:
            by_tenant[item.tenant].append(item)
        settled = await asyncio.gather(*(self._deliver_tenant(tenant_id, its_items)
                                         for tenant_id, its_items in by_tenant.items()))
        return [settlement for group in settled for settlement in group]

    async def _deliver_tenant(self, tenant_id: str,
                              items: list[ClaimedItem]) -> list[Settlement]:
        try:
            tenant = await self._tenants.get(tenant_id)
            target = _Target(tenant.regal.events_url, secrets.resolve(tenant.regal.api_key_ref),
                             _timeout(tenant.regal),
                             self._limits.window(tenant_id, _rate(tenant.regal)))
        except RegalSyncError as error:
            return [Settlement(i.id, Settle.RETRY, f"tenant_unavailable:{error}",
                               self._backoff.seconds(i.attempts)) for i in items]
        outcomes = await asyncio.gather(*(self._deliver(target, item) for item in items))
        settlements = [self._settlement(i, o) for i, o in zip(items, outcomes, strict=True)]
        fates = Counter(o.fate.value for o in outcomes)
        log.info("regal_batch_delivered", tenant=tenant_id, events=len(items), **fates)
        return settlements

    async def _deliver(self, target: _Target, item: ClaimedItem) -> Outcome:
        # The window first: a tenant at its limit must not hold the slots
        # other tenants need.
        async with target.window.slot(), self._slots:
            outcome = await post_event(self._http, target.url, target.api_key, item.payload,
                                       timeout_seconds=target.timeout_seconds)
        if outcome.fate is not Fate.DELIVERED:
            log.info("regal_event_not_delivered", tenant=item.tenant,
                     item_key=item.idempotency_key, fate=outcome.fate.value,
                     status=outcome.status, reason=outcome.reason, attempt=item.attempts)
        _observe(item, outcome)
        return outcome

    def _settlement(self, item: ClaimedItem, outcome: Outcome) -> Settlement:
        if outcome.fate is Fate.DELIVERED:
            return Settlement(item.id, Settle.ACK)
        if outcome.fate is Fate.DEAD:
            return Settlement(item.id, Settle.DEAD, outcome.reason)
        # Regal's Retry-After wins over our own schedule.
        delay = outcome.retry_after or self._backoff.seconds(item.attempts)
        return Settlement(item.id, Settle.RETRY, outcome.reason, delay)


def _observe(item: ClaimedItem, outcome: Outcome) -> None:
    """Count Regal's answer and, once it accepted the event, the delivery.

    The end-to-end lag is measured here, at the last hop, from the body's
    ``originalTimestamp`` (mapping-service sets it to the Salesforce
    commit time of the change the event reports).
    """
    metrics = current_metrics()
    if metrics is None:
        return
    metrics.regal_response(item.tenant, outcome.status or "error")
    if outcome.fate is Fate.DELIVERED:
        name, origin_at = _name_and_origin(item.payload)
        metrics.delivered("regal", item.tenant, name, origin_at)


def _name_and_origin(body: bytes) -> tuple[str, float | None]:
    try:
        event: Any = json.loads(body)
    except ValueError:
        return "unknown", None
    if not isinstance(event, dict):
        return "unknown", None
    name = event.get("name") or event.get("event_type")
    return (name if isinstance(name, str) else "unknown",
            _epoch_seconds(event.get("originalTimestamp")))


def _epoch_seconds(value: object) -> float | None:
    """Read Unix seconds (number or digits) or an ISO 8601 time with a zone."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def _rate(regal: mapping_pb2.RegalConnection) -> float:
    return regal.requests_per_second or DEFAULT_RATE


def _timeout(regal: mapping_pb2.RegalConnection) -> float:
    return regal.timeout_seconds or DEFAULT_TIMEOUT
