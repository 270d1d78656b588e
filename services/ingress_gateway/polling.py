"""Poll objects by ``SystemModstamp`` for tenants that do not subscribe to them.

An org gets change events for five objects without an add-on, and Case
comments have none, so each tenant may switch objects to polling
(``change_sources`` in its configuration). Polling must produce the same
Regal events as change events, so it rebuilds what a change event says:

- *which fields changed*: the values of the read plan's fields are kept
  per record in storage (``poll:<object>:<id>``) and compared with the
  values read now; only differing fields count, and a change of no kept
  field queues nothing;
- *created or updated*: a record first seen by polling that was created
  after the previous poll is a create; otherwise an update;
- *who wrote it*: records last modified by regal-sync's own Salesforce
  user are not sent (the loop prevention change events get from
  ``changeOrigin``), but their values are kept.

Each poll costs one query per polled object (plus pages of 2,000
records), whatever the number of records; one replica polls a tenant at
a time (a lease in storage).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from typing import Any

import structlog

from ingress_gateway.inbox import QUEUE, RecordChange, resync_item
from ingress_gateway.intake_counts import count_accepted
from ingress_gateway.outbound_flow import active_options, sent_objects, source_of
from ingress_gateway.resync import ChangedRecord, changed_since, epoch_ms
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.salesforce import SalesforceClient
from regalsync.salesforce.soql import quote
from regalsync.storage import QueueItem, Storage
from regalsync.tenants import TenantDirectory

log = structlog.get_logger(__name__)

_LEASE_SECONDS = 30.0
_DEFAULT_INTERVAL = 60.0
# How often a tenant with nothing to poll is looked at again.
_IDLE_RECHECK = 5.0
_START_LOOKBACK_MS = 60_000
_BOOKKEEPING = frozenset({"Id", "CreatedDate", "SystemModstamp", "LastModifiedDate",
                          "LastModifiedById", "IsDeleted"})
# Compound values repeat their parts, which are compared on their own.
_COMPOUND_TYPES = frozenset({"address", "location"})


class TenantPoller:
    """Poll one tenant's polled objects until stopped."""

    def __init__(self, tenant_id: str, storage: Storage, tenants: TenantDirectory,
                 salesforce: SalesforceClient, *, holder: str, on_accepted: Any) -> None:
        self._tenant = tenant_id
        self._storage = storage
        self._tenants = tenants
        self._salesforce = salesforce
        self._holder = holder
        self._on_accepted = on_accepted
        self._own_user: str | None = None
        self._described: dict[str, list[str]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Poll at the configured interval while holding the tenant's polling lease."""
        lease = f"polling:{self._tenant}"
        while not stop.is_set():
            polled_at = time.monotonic()
            try:
                if await self._storage.acquire_lease(lease, self._holder, _LEASE_SECONDS):
                    await self.poll_once()
            except Exception:
                log.exception("polling_failed", tenant=self._tenant)
            await self._wait_for_next(stop, polled_at)
        with contextlib.suppress(Exception):
            await self._storage.release_lease(lease, self._holder)

    async def _wait_for_next(self, stop: asyncio.Event, polled_at: float) -> None:
        """Wait out the interval, re-reading it so a new configuration applies soon."""
        while not stop.is_set():
            try:
                interval = await self._interval()
            except Exception:
                interval = _DEFAULT_INTERVAL
            remaining = polled_at + interval - time.monotonic()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(remaining, _IDLE_RECHECK))

    async def _interval(self) -> float:
        tenant = await self._tenants.get(self._tenant)
        options = active_options(tenant)
        if not any(source_of(options, o) == "polling" for o in sent_objects(tenant, options)):
            return _IDLE_RECHECK
        sources = options.get("change_sources") or {}
        return float(sources.get("polling_interval_seconds") or _DEFAULT_INTERVAL)

    async def poll_once(self) -> float:
        """Poll every polled object once; return the interval until the next poll."""
        tenant = await self._tenants.get(self._tenant)
        options = active_options(tenant)
        polled = sorted(o for o in sent_objects(tenant, options)
                        if source_of(options, o) == "polling")
        plans = {p.object_type: list(p.fields) for p in tenant.read_plans}
        for object_type in polled:
            fields = plans.get(object_type) or await self._all_fields(object_type)
            await self._poll_object(tenant, object_type, fields)
        if not polled:
            return _IDLE_RECHECK
        sources = options.get("change_sources") or {}
        return float(sources.get("polling_interval_seconds") or _DEFAULT_INTERVAL)

    async def _poll_object(self, tenant: mapping_pb2.Tenant, object_type: str,
                           fields: Sequence[str]) -> None:
        since_key = f"poll:{object_type}:since_ms"
        stored = await self._storage.get_checkpoint(self._tenant, since_key)
        if not stored:
            await self._start_after_latest(object_type, since_key)
            return
        since = int(stored.decode())
        found = await changed_since(self._salesforce, object_type, since,
                                    [*fields, "LastModifiedById"])
        own_user = await self._own_user_id(tenant)
        items: list[QueueItem] = []
        for record in found:
            change = await self._change_of(record, since, fields, own_user)
            if change is not None:
                items.append(resync_item(self._tenant, "polling", change))
        if items:
            count_accepted(self._tenant, items, await self._storage.enqueue(QUEUE, items))
            self._on_accepted()
        for record in found:
            await self._keep(record, fields)
        newest = max([since, *(r.modified_ms for r in found)])
        await self._storage.set_checkpoint(self._tenant, since_key, str(newest).encode())
        if found:
            log.info("records_polled", tenant=self._tenant, object_type=object_type,
                     records=len(found), changes=len(items))

    async def _start_after_latest(self, object_type: str, since_key: str) -> None:
        """Begin polling shortly before the object's latest modification.

        The start is read on Salesforce's clock (ours may disagree). It
        lies a minute back, so changes made while the object switched from
        change events to polling are sent, at worst, twice rather than never.
        """
        soql = (f"SELECT SystemModstamp FROM {object_type} "  # noqa: S608 - validated name
                "ORDER BY SystemModstamp DESC LIMIT 1")
        rows = await self._salesforce.query(soql)
        start = max(epoch_ms(rows[0]["SystemModstamp"]) - _START_LOOKBACK_MS, 1) if rows else 1
        await self._storage.set_checkpoint(self._tenant, since_key, str(start).encode())
        log.info("polling_started", tenant=self._tenant, object_type=object_type,
                 after_ms=start)

    async def _change_of(self, record: ChangedRecord, since: int, fields: Sequence[str],
                         own_user: str | None) -> RecordChange | None:
        """Say what changed in a polled record, or None when nothing worth sending.

        Records regal-sync created still go out as created (Regal learns the
        new record's ids); only its updates are held back.
        """
        kept = await self._kept(record)
        if kept is None and record.created_ms >= since:
            return RecordChange(record.entity, "CREATE", record.record_id, (),
                                record.modified_ms)
        if own_user and str(record.values.get("LastModifiedById") or "")[:15] == own_user:
            return None
        if kept is None:
            return RecordChange(record.entity, "GAP_UPDATE", record.record_id,
                                _compared(fields), record.modified_ms)
        changed = tuple(f for f in _compared(fields)
                        if record.values.get(f) != kept.get(f))
        if not changed:
            return None
        return RecordChange(record.entity, "UPDATE", record.record_id, changed,
                            record.modified_ms)

    async def _kept(self, record: ChangedRecord) -> dict[str, Any] | None:
        stored = await self._storage.get_checkpoint(self._tenant, _record_key(record))
        kept: dict[str, Any] | None = json.loads(stored) if stored else None
        return kept

    async def _keep(self, record: ChangedRecord, fields: Sequence[str]) -> None:
        values = {f: record.values.get(f) for f in _compared(fields)}
        await self._storage.set_checkpoint(self._tenant, _record_key(record),
                                           json.dumps(values, sort_keys=True).encode())

    async def _all_fields(self, object_type: str) -> list[str]:
        """List an unmapped object's fields (all travel, SPEC O7), described once."""
        if object_type not in self._described:
            describe = await self._salesforce.describe(object_type)
            self._described[object_type] = [
                str(f["name"]) for f in describe.get("fields", [])
                if f.get("type") not in _COMPOUND_TYPES]
        return self._described[object_type]

    async def _own_user_id(self, tenant: mapping_pb2.Tenant) -> str | None:
        """Find regal-sync's own Salesforce user (by the configured username), once."""
        username = tenant.salesforce.username
        if self._own_user is None and username:
            rows = await self._salesforce.query(
                f"SELECT Id FROM User WHERE Username = {quote(username)}")  # noqa: S608
            self._own_user = str(rows[0]["Id"])[:15] if rows else ""
        return self._own_user or None


def _compared(fields: Sequence[str]) -> tuple[str, ...]:
    return tuple(f for f in fields if f not in _BOOKKEEPING)


def _record_key(record: ChangedRecord) -> str:
    return f"poll:{record.entity}:{record.record_id[:15]}"
