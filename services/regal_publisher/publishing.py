"""Deliver claimed events to Regal, one tenant's account at a time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiohttp
import structlog

from regal_publisher.delivery import Backoff, Fate, Outcome, post_event
from regal_publisher.rate_limit import TenantRateLimits
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


class Publisher:
    """The queue handler: post each event and decide its settlement."""

    def __init__(self, http: aiohttp.ClientSession, tenants: TenantDirectory,
                 *, concurrency: int = 32, backoff: Backoff | None = None) -> None:
        self._http = http
        self._backoff = backoff or Backoff()
        self._tenants = tenants
        self._limits = TenantRateLimits()
        self._slots = asyncio.Semaphore(concurrency)

    async def handle(self, items: Sequence[ClaimedItem]) -> list[Settlement]:
        """Deliver a batch concurrently; ordering keys are distinct within it."""
        return list(await asyncio.gather(*(self._deliver(item) for item in items)))

    async def _deliver(self, item: ClaimedItem) -> Settlement:
        try:
            tenant = await self._tenants.get(item.tenant)
            api_key = secrets.resolve(tenant.regal.api_key_ref)
        except RegalSyncError as error:
            return Settlement(item.id, Settle.RETRY, f"tenant_unavailable:{error}",
                              self._backoff.seconds(item.attempts))
        window = self._limits.window(item.tenant, _rate(tenant.regal))
        # The window first: a tenant at its limit must not hold the slots
        # other tenants need.
        async with window.slot(), self._slots:
            outcome = await post_event(self._http, tenant.regal.events_url, api_key,
                                       item.payload, timeout_seconds=_timeout(tenant.regal))
        log.info("regal_event_delivery", tenant=item.tenant, item_key=item.idempotency_key,
                 fate=outcome.fate.value, status=outcome.status, attempt=item.attempts)
        _observe(item, outcome)
        return self._settlement(item, outcome)

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
