"""What operators ask of a tenant: its event log, retention, summary, status.

mapping-service answers these because it owns the tenants' configurations
(retention days, the daily-summary switch, the API budget share) and reads
the shared storage; it still calls nothing outside storage.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import regalsync
from mapping_service.domain.model import TenantConfiguration
from mapping_service.tenants import TenantStore
from regalsync.salesforce.budget import API_CALLS_COUNTER, API_LIMIT_CHECKPOINT
from regalsync.salesforce.connections import (
    CONNECTION_CHECKPOINT,
    STORED_TOKEN,
    OrgConnection,
)
from regalsync.storage import LogEntry, LogRecord, Storage

# The queues a tenant's work waits in, in pipeline order.
QUEUES = ("ingress_inbox", "regal_events", "salesforce_writes")
SUMMARY_DIRECTION = "summary"
# Statuses that count as errors in the summary.
ERROR_STATUSES = frozenset({"rejected", "failed", "error", "dead"})
_DAY = 86_400.0
_DEFAULT_RETENTION_DAYS = 180
# The log is read in pages of this many entries.
_PAGE = 5_000


@dataclass(frozen=True)
class Summary:
    """One tenant's day in counts (L2)."""

    tenant: str
    day: str
    inbound: int
    outbound: int
    by_status: dict[str, int] = field(default_factory=dict)
    errors_by_category: dict[str, int] = field(default_factory=dict)
    configuration_version: int = 0
    software_version: str = regalsync.__version__
    by_event_type: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueDepth:
    """One queue's backlog for a tenant."""

    queue: str
    waiting: int
    in_flight: int
    dead: int
    oldest_wait_seconds: float


@dataclass(frozen=True)
class Connection:
    """Whether processing can reach the tenant's org."""

    state: str
    error: str = ""
    since: float = 0.0
    org_id: str = ""
    instance_url: str = ""


@dataclass(frozen=True)
class Budget:
    """The tenant's Salesforce API use today against its share (L4)."""

    used_today: int
    org_daily_limit: int
    budget_percent: float

    @property
    def budget_calls(self) -> int:
        """Return the tenant's share of the org's daily limit."""
        return int(self.org_daily_limit * self.budget_percent / 100)


class Operations:
    """Event log queries, retention, daily summaries and tenant status."""

    def __init__(self, storage: Storage, tenants: TenantStore,
                 clock: Callable[[], float]) -> None:
        self._storage = storage
        self._tenants = tenants
        self._clock = clock

    async def query_log(self, tenant: str, *, status: str | None, direction: str | None,
                        since: float | None, limit: int) -> list[LogRecord]:
        """Return a tenant's log entries, newest first."""
        await self._tenants.active(tenant)  # NOT_FOUND for an unknown tenant
        return await self._storage.query_log(tenant, status=status, direction=direction,
                                             since=since, limit=limit)

    async def purge(self) -> tuple[int, int]:
        """Purge each tenant's entries older than its retention.

        Return how many entries went and the longest retention applied.
        """
        purged, longest = 0, 0
        for tenant_id in await self._tenants.tenant_ids():
            days = await self.retention_days(tenant_id)
            purged += await self._storage.purge_log(days * _DAY, tenant=tenant_id)
            longest = max(longest, days)
        return purged, longest or _DEFAULT_RETENTION_DAYS

    async def retention_days(self, tenant_id: str) -> int:
        """Return the tenant's log_retention_days (the default without a configuration)."""
        _, tenant = await self._tenants.active(tenant_id)
        config = tenant.active_configuration()
        return config.log_retention_days if config else _DEFAULT_RETENTION_DAYS

    async def summaries(self, tenant: str, day: dt.date | None) -> list[Summary]:
        """Summarise one tenant's day, or every tenant that wants a summary."""
        day = day or dt.datetime.fromtimestamp(self._clock(), dt.UTC).date() - dt.timedelta(1)
        chosen = [tenant] if tenant else await self._summary_tenants()
        summaries = [await self._summarise(t, day) for t in chosen]
        await self._storage.append_log([_summary_entry(s) for s in summaries])
        return summaries

    async def status(
        self, tenant: str,
    ) -> tuple[int, list[QueueDepth], dict[str, int], Budget, Connection]:
        """Return a tenant's configuration version, queues, day's outcomes,
        budget and Salesforce connection."""
        version, configuration = await self._tenants.active(tenant)
        queues = [await self._depth(q, tenant) for q in QUEUES]
        now = self._clock()
        entries = await self._entries(tenant, now - _DAY, now)
        outcomes = dict(Counter(e.entry.status for e in entries
                                if e.entry.direction != SUMMARY_DIRECTION))
        budget = await self._budget(tenant, configuration.salesforce.daily_api_budget_percent)
        return version, queues, outcomes, budget, await self._connection(tenant, configuration)

    async def _summary_tenants(self) -> list[str]:
        wanted = []
        for tenant_id in await self._tenants.tenant_ids():
            _, tenant = await self._tenants.active(tenant_id)
            config = tenant.active_configuration()
            if config is not None and config.daily_summary:
                wanted.append(tenant_id)
        return wanted

    async def _summarise(self, tenant: str, day: dt.date) -> Summary:
        version, _ = await self._tenants.active(tenant)
        start = dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()
        entries = [e.entry for e in await self._entries(tenant, start, start + _DAY)
                   if e.entry.direction != SUMMARY_DIRECTION]
        errors = Counter(e.detail or "unknown" for e in entries if e.status in ERROR_STATUSES)
        return Summary(
            tenant=tenant, day=day.isoformat(),
            inbound=sum(e.direction == "inbound" for e in entries),
            outbound=sum(e.direction == "outbound" for e in entries),
            by_status=dict(Counter(e.status for e in entries)),
            errors_by_category=dict(errors), configuration_version=version,
            by_event_type=dict(Counter(f"{e.direction} {e.event_type or 'unknown'}"
                                       for e in entries)))

    async def _entries(self, tenant: str, start: float, end: float) -> list[LogRecord]:
        """Read every entry in [start, end), paging past query_log's limit."""
        limit = _PAGE
        while True:
            page = await self._storage.query_log(tenant, since=start, limit=limit)
            if len(page) < limit:
                return [r for r in page if r.recorded_at < end]
            limit *= 2

    async def _depth(self, queue: str, tenant: str) -> QueueDepth:
        stats = await self._storage.depth(queue, tenant)
        return QueueDepth(queue, stats.pending, stats.in_flight, stats.dead,
                          stats.oldest_age_seconds or 0.0)

    async def _budget(self, tenant: str, percent: float) -> Budget:
        today = dt.datetime.fromtimestamp(self._clock(), dt.UTC).date()
        used = await self._storage.get_usage(tenant, API_CALLS_COUNTER, today)
        raw = await self._storage.get_checkpoint(tenant, API_LIMIT_CHECKPOINT)
        limit = int(json.loads(raw).get("limit", 0)) if raw else 0
        return Budget(used, limit, percent)


    async def _connection(self, tenant: str,
                          configuration: TenantConfiguration) -> Connection:
        auth = configuration.salesforce.auth
        if auth.refresh_token != STORED_TOKEN:
            return Connection(auth.flow)
        raw = await self._storage.get_checkpoint(tenant, CONNECTION_CHECKPOINT)
        stored = OrgConnection.from_bytes(raw)
        return Connection(stored.state, stored.error, stored.since, stored.org_id,
                          stored.instance_url)


def _summary_entry(summary: Summary) -> LogEntry:
    # Counts only: the log must never carry personal data.
    counts = {"inbound": summary.inbound, "outbound": summary.outbound,
              "by_status": summary.by_status, "errors": summary.errors_by_category,
              "configuration_version": summary.configuration_version,
              "software_version": summary.software_version,
              "by_event_type": summary.by_event_type}
    return LogEntry(tenant=summary.tenant, direction=SUMMARY_DIRECTION,
                    event_type="daily_summary", idempotency_key=f"summary:{summary.day}",
                    status="summary", detail=json.dumps(counts, sort_keys=True))

