"""Apply claimed writes to Salesforce in as few API calls as possible.

A batch is written per tenant: fields are converted by their describe type
(coercion.py), then creates, updates and upserts go out as sObject
Collections of up to 200 records with one result each. Creates of objects
that carry ``Regal_Sync_Key__c`` become upserts on it, keyed by the write's
idempotency key, so a retry after a crash never creates a second record.

Failures, record by record: a field Salesforce refuses is dropped (logged
with its reason) and the record written again without it; a locked row
is retried later with backoff. Whole calls: locks and 5xx are retried at
once with backoff, then later through the queue; ``REQUEST_LIMIT_EXCEEDED``
pauses the tenant's writes, losing nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.errors import BudgetExhausted, RegalSyncError
from regalsync.metrics import record_delivery
from regalsync.queue_worker import Settle, Settlement
from regalsync.salesforce import SalesforceApiError, SalesforceClient
from regalsync.salesforce.auth import ConnectionUnusable
from regalsync.salesforce.client import COLLECTION_LIMIT
from regalsync.salesforce.registry import SalesforceClients
from regalsync.salesforce.soql import in_list
from regalsync.storage import ClaimedItem
from salesforce_writer.coercion import FieldInfo, Unwritable, coerce
from salesforce_writer.lookups import Fields, Lookups
from salesforce_writer.pauses import TenantPauses

log = structlog.get_logger(__name__)

SYNC_KEY_FIELD = "Regal_Sync_Key__c"
_LOCKED = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
# A record is written again at most this often after dropping fields.
_FIELD_ROUNDS = 3
_CREATE, _UPDATE, _UPSERT = ("create", "update", "upsert")
# How soon writes held for a paused tenant (API budget spent, org not
# connected) are looked at again; holding does not spend attempts.
HOLD_SECONDS = 10.0
# Release held items (ids) after a delay with a reason, keeping attempts.
Postpone = Callable[[Sequence[int], float, str], Awaitable[int]]


@dataclass
class Pending:
    """One write on its way: converted fields and where it goes."""

    item: ClaimedItem
    write: mapping_pb2.SalesforceWrite
    action: str
    fields: dict[str, Any]
    external_field: str = ""
    external_id: str = ""
    dropped: list[str] = field(default_factory=list)
    rounds: int = 0

    @property
    def target(self) -> str:
        """Name the record the write lands on, so one call never names it twice."""
        if self.action == _UPDATE:
            return f"id:{self.write.record_id[:15]}"
        if self.action == _UPSERT:
            return f"{self.write.object_type}:{self.external_field}:{self.external_id}"
        return f"new:{self.item.id}"

    def record(self) -> dict[str, Any]:
        """Return the record as a collection call sends it."""
        body = dict(self.fields)
        if self.action == _UPDATE:
            body["Id"] = self.write.record_id
        if self.action == _UPSERT:
            body[self.external_field] = self.external_id
        return {"attributes": {"type": self.write.object_type}, **body}


@dataclass(frozen=True)
class WriterPolicy:
    """Timing of the writer's retries and pauses."""

    limit_pause_seconds: float = 300.0
    call_retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0)


class Writer:
    """The queue handler: write each tenant's batch and settle every item."""

    def __init__(self, clients: SalesforceClients, policy: WriterPolicy | None = None,
                 *, pauses: TenantPauses | None = None,
                 postpone: Postpone | None = None) -> None:
        self._clients = clients
        self._postpone = postpone
        self.policy = policy or WriterPolicy()
        self.lookups = Lookups()
        self._pauses = pauses or TenantPauses()

    async def handle(self, items: Sequence[ClaimedItem]) -> list[Settlement]:
        """Group the batch by tenant and write each group."""
        by_tenant: dict[str, list[ClaimedItem]] = defaultdict(list)
        for item in items:
            by_tenant[item.tenant].append(item)
        settlements: list[Settlement] = []
        for tenant_id, group in by_tenant.items():
            settlements.extend(await self._write_tenant(tenant_id, group))
        return settlements

    async def _write_tenant(self, tenant: str, items: list[ClaimedItem]) -> list[Settlement]:
        paused = await self._pauses.remaining(tenant)
        if paused > 0:
            return await self._wait_out_pause(items, paused)
        settled: dict[int, Settlement] = {}
        try:
            client = await self._clients.within_budget(tenant)
            await _TenantBatch(self, tenant, client, settled).write(items)
        except (BudgetExhausted, ConnectionUnusable) as error:
            return await self._hold(tenant, items, error)
        except SalesforceApiError as error:
            if error.error_code == "REQUEST_LIMIT_EXCEEDED":
                await self._pauses.pause(tenant, self.policy.limit_pause_seconds)
            self._settle_rest(tenant, items, settled, error)
        except RegalSyncError as error:
            for item in items:
                settled.setdefault(item.id, _retry(item, f"unavailable:{type(error).__name__}"))
        return [settled[i.id] for i in items]

    async def _wait_out_pause(self, items: list[ClaimedItem],
                              seconds: float) -> list[Settlement]:
        """Hold writes claimed during a limit pause until it ends, keeping their attempts."""
        if self._postpone is None:
            return [Settlement(i.id, Settle.RETRY, "tenant_paused", seconds) for i in items]
        await self._postpone([i.id for i in items], seconds, "tenant_paused")
        return [Settlement(i.id, Settle.DONE, "tenant_paused") for i in items]

    async def _hold(self, tenant: str, items: list[ClaimedItem],
                    error: RegalSyncError) -> list[Settlement]:
        """Keep a paused tenant's writes queued without spending their attempts."""
        reason = "api_budget_exhausted" if isinstance(error, BudgetExhausted) \
            else "salesforce_connection_unusable"
        log.info("salesforce_writes_held", tenant=tenant, items=len(items), reason=reason)
        if self._postpone is None:
            return [Settlement(i.id, Settle.RETRY, reason, HOLD_SECONDS) for i in items]
        await self._postpone([i.id for i in items], HOLD_SECONDS, reason)
        return [Settlement(i.id, Settle.DONE, reason) for i in items]

    def _settle_rest(self, tenant: str, items: list[ClaimedItem],
                     settled: dict[int, Settlement], error: SalesforceApiError) -> None:
        """Settle what a failed call left unsettled; nothing is lost."""
        if error.error_code == "REQUEST_LIMIT_EXCEEDED":
            pause = self.policy.limit_pause_seconds
            log.warning("salesforce_writes_paused", tenant=tenant, seconds=pause)
            for item in items:
                settled.setdefault(item.id, Settlement(item.id, Settle.RETRY,
                                                       error.error_code, pause))
            return
        for item in items:
            if error.retryable:
                settled.setdefault(item.id, _retry(item, error.error_code))
            else:
                log.warning("salesforce_write_rejected", tenant=tenant,
                            event_key=item.idempotency_key, code=error.error_code)
                settled.setdefault(item.id, Settlement(item.id, Settle.DEAD, error.error_code))


class _TenantBatch:
    """One tenant's share of a claimed batch."""

    def __init__(self, writer: Writer, tenant: str, client: SalesforceClient,
                 settled: dict[int, Settlement]) -> None:
        self._writer = writer
        self._tenant = tenant
        self._client = client
        self._settled = settled
        self._lookups = writer.lookups

    async def write(self, items: list[ClaimedItem]) -> None:
        writes = [(item, _decode(item)) for item in items]
        describes = {obj: await self._lookups.fields(self._tenant, self._client, obj)
                     for obj in sorted({w.object_type for _, w in writes})}
        owners = await self._lookups.owners(
            self._tenant, self._client, [w.owner_email for _, w in writes if w.owner_email])
        prepared = [self._prepare(item, write, describes[write.object_type], owners)
                    for item, write in writes]
        waiting = [p for p in prepared if p is not None]
        for _ in range(len(waiting) + _FIELD_ROUNDS):
            if not waiting:
                return
            wave, waiting = _one_per_target(waiting)
            waiting = await self._write_wave(wave) + waiting
        for pending in waiting:
            self._settled[pending.item.id] = _retry(pending.item, "rounds_exhausted")

    def _prepare(self, item: ClaimedItem, write: mapping_pb2.SalesforceWrite,
                 fields: Fields, owners: dict[str, str]) -> Pending | None:
        """Convert the write's fields; settle it at once if nothing is left to write."""
        action = {mapping_pb2.WRITE_KIND_UPDATE: _UPDATE,
                  mapping_pb2.WRITE_KIND_UPSERT: _UPSERT}.get(write.kind, _CREATE)
        pending = Pending(item, write, action, {}, write.external_id_field, write.external_id)
        if action == _CREATE and SYNC_KEY_FIELD in fields:
            # The mapping may name the key, so the event's other writes can
            # point at the new record through it.
            pending.action, pending.external_field = _UPSERT, SYNC_KEY_FIELD
            pending.external_id = write.external_id or item.idempotency_key
        raw = json.loads(write.fields_json or b"{}")
        owner = owners.get(write.owner_email.strip().lower())
        if owner and "OwnerId" in fields:
            raw["OwnerId"] = owner
        for name, value in raw.items():
            self._convert(pending, fields, name, value)
        if not pending.fields and action == _UPDATE:
            self._ack(pending)
            return None
        return pending

    def _convert(self, pending: Pending, fields: Fields, name: str, value: Any) -> None:
        info = fields.get(name) or _case_insensitive(fields, name)
        if name in (pending.external_field, "Id"):
            return
        if info is None and isinstance(value, dict):
            self._refer(pending, fields, name, value)
        elif info is None:
            self._drop(pending, name, "unknown_field")
        elif not _writable(info, pending.action):
            self._drop(pending, name, "read_only_field")
        else:
            try:
                pending.fields[info.name] = coerce(value, info)
            except Unwritable as problem:
                self._drop(pending, name, problem.reason)

    def _refer(self, pending: Pending, fields: Fields, name: str,
               reference: dict[str, Any]) -> None:
        """Keep a reference by external id (``Lead__r: {Key__c: ...}``) as sent.

        Salesforce resolves it while writing; a reference to a record that
        does not exist fails on that field alone, which is then dropped.
        """
        lookup = next((f for f in fields.values() if f.relationship_name
                       and f.relationship_name.lower() == name.lower()), None)
        if lookup is None:
            self._drop(pending, name, "unknown_relationship")
        elif not _writable(lookup, pending.action):
            self._drop(pending, name, "read_only_field")
        else:
            pending.fields[lookup.relationship_name] = reference

    async def _write_wave(self, wave: list[Pending]) -> list[Pending]:
        """Write one record per target; return those to write again."""
        await self._append_existing([p for p in wave if p.write.append_fields])
        groups: dict[tuple[str, str, str], list[Pending]] = defaultdict(list)
        for pending in wave:
            key = (pending.action, pending.write.object_type, pending.external_field)
            groups[key].append(pending)
        again: list[Pending] = []
        for (action, obj, external_field), group in groups.items():
            for start in range(0, len(group), COLLECTION_LIMIT):
                chunk = group[start:start + COLLECTION_LIMIT]
                results = await self._send(action, obj, external_field, chunk)
                for pending, result in zip(chunk, results, strict=True):
                    again.extend(self._settle_result(pending, result))
        return again

    async def _send(self, action: str, obj: str, external_field: str,
                    chunk: list[Pending]) -> list[dict[str, Any]]:
        records = [p.record() for p in chunk]
        if action == _UPSERT:
            plain = [{k: v for k, v in r.items() if k != "attributes"} for r in records]
            return await self._retrying(
                lambda: self._client.upsert_collection(obj, external_field, plain))
        method = "PATCH" if action == _UPDATE else "POST"
        return await self._retrying(lambda: self._client.collection(method, records))

    async def _retrying(self, call: Callable[[], Awaitable[list[dict[str, Any]]]],
                        ) -> list[dict[str, Any]]:
        """Repeat a call that hit a lock or a 5xx, with growing pauses."""
        for delay in self._writer.policy.call_retry_delays:
            try:
                return await call()
            except SalesforceApiError as error:
                if error.error_code == "REQUEST_LIMIT_EXCEEDED" or not error.retryable:
                    raise
                log.info("salesforce_call_retry", tenant=self._tenant, code=error.error_code,
                         delay_seconds=delay)
                await asyncio.sleep(delay)
        return await call()

    def _settle_result(self, pending: Pending, result: dict[str, Any]) -> list[Pending]:
        if result.get("success"):
            self._ack(pending)
            return []
        errors = result.get("errors") or [{}]
        codes = {str(e.get("statusCode", "UNKNOWN")) for e in errors}
        refused = {f for e in errors for f in e.get("fields") or [] if f in pending.fields}
        if codes & _LOCKED:
            self._settled[pending.item.id] = _retry(pending.item, sorted(codes & _LOCKED)[0])
            return []
        if refused and pending.rounds < _FIELD_ROUNDS:
            pending.rounds += 1
            for name in sorted(refused):
                pending.fields.pop(name)
                self._drop(pending, name, "|".join(sorted(codes)))
            return [pending]
        code = sorted(codes)[0]
        log.warning("salesforce_write_rejected", tenant=self._tenant,
                    event_key=pending.item.idempotency_key, object=pending.write.object_type,
                    code=code)
        self._settled[pending.item.id] = Settlement(pending.item.id, Settle.DEAD, code)
        return []

    async def _append_existing(self, wave: list[Pending]) -> None:
        """Put the stored text before each appended field's new text."""
        by_object: dict[tuple[str, str], list[Pending]] = defaultdict(list)
        for pending in wave:
            by_object[(pending.write.object_type, pending.external_field)].append(pending)
        for (obj, external_field), group in by_object.items():
            names = sorted({n for p in group for n in p.write.append_fields})
            stored = await self._stored(obj, external_field, names,
                                        [p.external_id for p in group])
            for pending in group:
                current = stored.get(pending.external_id, {})
                for name in pending.write.append_fields:
                    if name in pending.fields:
                        pending.fields[name] = appended(current.get(name), pending.fields[name])

    async def _stored(self, obj: str, external_field: str, names: list[str],
                      values: list[str]) -> dict[str, dict[str, Any]]:
        # Object and field names come from mapping-service, values are quoted.
        soql = (f"SELECT {', '.join([external_field, *names])} FROM {obj} "  # noqa: S608
                f"WHERE {external_field} IN {in_list(sorted(set(values)))}")
        return {str(r[external_field]): r for r in await self._client.query(soql)}

    def _ack(self, pending: Pending) -> None:
        log.info("salesforce_write_applied", tenant=self._tenant,
                 event_key=pending.item.idempotency_key, object=pending.write.object_type,
                 fields=len(pending.fields), dropped=len(pending.dropped))
        self._settled[pending.item.id] = Settlement(pending.item.id, Settle.ACK)
        record_delivery("salesforce", self._tenant, pending.write.object_type,
                        pending.write.origin_time_ms / 1000 or None)

    def _drop(self, pending: Pending, name: str, reason: str) -> None:
        pending.dropped.append(name)
        log.warning("salesforce_field_dropped", tenant=self._tenant,
                    event_key=pending.item.idempotency_key, object=pending.write.object_type,
                    field=name, reason=reason)


def appended(current: Any, addition: Any) -> Any:
    """Append the lines of ``addition`` that ``current`` does not hold yet."""
    if not isinstance(addition, str):
        return addition
    existing = current if isinstance(current, str) else ""
    lines = set(existing.splitlines())
    new = [line for line in addition.splitlines() if line not in lines]
    return "\n".join(filter(None, [existing, *new]))


def _one_per_target(pending: list[Pending]) -> tuple[list[Pending], list[Pending]]:
    wave: list[Pending] = []
    later: list[Pending] = []
    seen: set[str] = set()
    for p in pending:
        (later if p.target in seen else wave).append(p)
        seen.add(p.target)
    return wave, later


def _writable(info: FieldInfo, action: str) -> bool:
    if action == _UPDATE:
        return info.updateable
    if action == _CREATE:
        return info.createable
    return info.createable or info.updateable


def _case_insensitive(fields: Fields, name: str) -> FieldInfo | None:
    lowered = name.lower()
    return next((f for n, f in fields.items() if n.lower() == lowered), None)


def _decode(item: ClaimedItem) -> mapping_pb2.SalesforceWrite:
    write = mapping_pb2.SalesforceWrite()
    write.ParseFromString(item.payload)
    return write


def _retry(item: ClaimedItem, reason: str) -> Settlement:
    delay = min(60.0, 0.5 * 2 ** max(item.attempts - 1, 0))
    return Settlement(item.id, Settle.RETRY, reason, delay)
