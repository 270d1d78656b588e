"""Build the operations and preview replies of the mapping contract."""

from __future__ import annotations

from mapping_service.operations import Budget, Connection, QueueDepth, Summary
from mapping_service.transforms import RegalOutcome, SalesforceOutcome
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.storage import LogRecord


def log_entry_message(record: LogRecord) -> mapping_pb2.EventLogEntry:
    """Render one stored log entry."""
    entry = record.entry
    return mapping_pb2.EventLogEntry(
        id=record.id, direction=entry.direction, event_type=entry.event_type,
        idempotency_key=entry.idempotency_key, status=entry.status, detail=entry.detail,
        recorded_at_ms=int(record.recorded_at * 1000))


def summary_message(summary: Summary) -> mapping_pb2.DailySummary:
    """Render one tenant's daily summary."""
    return mapping_pb2.DailySummary(
        tenant_id=summary.tenant, day=summary.day, inbound=summary.inbound,
        outbound=summary.outbound, by_status=summary.by_status,
        errors_by_category=summary.errors_by_category,
        configuration_version=summary.configuration_version,
        software_version=summary.software_version, by_event_type=summary.by_event_type)


def status_message(tenant: str, version: int, queues: list[QueueDepth],
                   outcomes: dict[str, int], budget: Budget,
                   connection: Connection) -> mapping_pb2.TenantStatus:
    """Render a tenant's status."""
    return mapping_pb2.TenantStatus(
        tenant_id=tenant, configuration_version=version,
        queues=[mapping_pb2.QueueStatus(
            queue=q.queue, waiting=q.waiting, in_flight=q.in_flight, dead=q.dead,
            oldest_wait_seconds=q.oldest_wait_seconds) for q in queues],
        last_day_by_status=outcomes,
        api_budget=mapping_pb2.ApiBudget(
            used_today=budget.used_today, org_daily_limit=budget.org_daily_limit,
            budget_percent=budget.budget_percent, budget_calls=budget.budget_calls),
        salesforce_connection=mapping_pb2.SalesforceConnectionStatus(
            state=connection.state, error=connection.error,
            since_ms=int(connection.since * 1000), org_id=connection.org_id,
            instance_url=connection.instance_url))


def preview_regal(outcome: RegalOutcome, version: int) -> mapping_pb2.PreviewResponse:
    """Render what a Salesforce change would send to Regal."""
    return mapping_pb2.PreviewResponse(
        events=outcome.events, skipped_reason=outcome.skipped, problems=outcome.problems,
        configuration_version=version)


def preview_salesforce(outcome: SalesforceOutcome,
                       version: int) -> mapping_pb2.PreviewResponse:
    """Render what a Regal event would write to Salesforce."""
    return mapping_pb2.PreviewResponse(
        writes=outcome.writes, skipped_reason="" if outcome.writes else "no_writes",
        problems=outcome.problems, configuration_version=version)
