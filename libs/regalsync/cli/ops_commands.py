"""``regal-sync logs``, ``maintenance`` and ``status`` (L1, L2, L4)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from typing import Any

import httpx
from google.protobuf.json_format import MessageToDict

from regalsync.cli import exit_codes
from regalsync.cli.admin_client import guarded, mapping_client
from regalsync.cli.output import CommandFailed, Output
from regalsync.contracts.mapping.v1 import mapping_pb2

_DURATION = re.compile(r"(\d+)([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``logs``, ``maintenance purge|summary`` and ``status``."""
    logs = commands.add_parser("logs", parents=[common], help="a tenant's event log")
    logs.add_argument("--tenant", required=True)
    logs.add_argument("--status", help="accepted, skipped, rejected, duplicate, summary ...")
    logs.add_argument("--direction", choices=("inbound", "outbound", "summary"))
    logs.add_argument("--since", type=duration, help="how far back: 30m, 1h, 7d")
    logs.add_argument("--limit", type=int, default=100)
    logs.set_defaults(run=_logs)

    maintenance = commands.add_parser("maintenance", help="scheduled jobs: purge, summary")
    sub = maintenance.add_subparsers(title="maintenance commands", metavar="COMMAND")
    purge = sub.add_parser("purge", parents=[common],
                           help="delete log entries older than the tenants' retention")
    purge.set_defaults(run=_purge)
    summary = sub.add_parser("summary", parents=[common],
                             help="write each tenant's daily summary to the log")
    summary.add_argument("--tenant", default="", help="default: every tenant with "
                                                      "daily_summary on")
    summary.add_argument("--day", default="", help="UTC day YYYY-MM-DD (default yesterday)")
    summary.add_argument("--webhook", default=os.environ.get("REGALSYNC_SUMMARY_WEBHOOK_URL",
                                                             ""),
                         help="also POST the summaries as JSON here "
                              "(env REGALSYNC_SUMMARY_WEBHOOK_URL)")
    summary.set_defaults(run=_summary)
    maintenance.set_defaults(run=None, parser=maintenance)

    status = commands.add_parser("status", parents=[common],
                                 help="a tenant's queues, lag, errors and API budget")
    status.add_argument("--tenant", required=True)
    status.set_defaults(run=_status)


def duration(text: str) -> float:
    """Parse ``90s``, ``30m``, ``1h`` or ``7d`` into seconds."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30m, 1h or 7d")
    return int(match[1]) * _SECONDS[match[2]]


async def _logs(args: argparse.Namespace) -> int:
    out = Output(args.json)

    async def run() -> int:
        async with mapping_client(args) as mapping:
            response = await mapping.call("QueryEventLog", mapping_pb2.QueryEventLogRequest(
                tenant_id=args.tenant, status=args.status or "",
                direction=args.direction or "", within_seconds=args.since or 0.0,
                limit=args.limit))
        entries = [MessageToDict(e, preserving_proto_field_name=True)
                   for e in response.entries]
        out.result(entries, [_log_line(e) for e in response.entries]
                   or [f"tenant {args.tenant}: no matching entries"])
        return exit_codes.OK

    return await guarded(out, run())


def _log_line(entry: mapping_pb2.EventLogEntry) -> str:
    when = dt.datetime.fromtimestamp(entry.recorded_at_ms / 1000, dt.UTC)
    detail = f"  {entry.detail}" if entry.detail else ""
    return (f"{when:%Y-%m-%d %H:%M:%S}Z  {entry.direction:<8} {entry.status:<9} "
            f"{entry.idempotency_key}{detail}")


async def _purge(args: argparse.Namespace) -> int:
    out = Output(args.json)

    async def run() -> int:
        async with mapping_client(args) as mapping:
            result = await mapping.call("PurgeEventLog", mapping_pb2.PurgeEventLogRequest())
        out.result({"purged": result.purged, "retention_days": result.retention_days},
                   [f"purged {result.purged} log entries older than "
                    f"{result.retention_days} days"])
        return exit_codes.OK

    return await guarded(out, run())


async def _summary(args: argparse.Namespace) -> int:
    out = Output(args.json)

    async def run() -> int:
        async with mapping_client(args) as mapping:
            response = await mapping.call("WriteDailySummary", mapping_pb2.DailySummaryRequest(
                tenant_id=args.tenant, day=args.day))
        summaries = [MessageToDict(s, preserving_proto_field_name=True,
                                   always_print_fields_with_no_presence=True)
                     for s in response.summaries]
        if args.webhook:
            await _post(args.webhook, summaries, args.timeout)
        out.result(summaries, [_summary_line(s) for s in response.summaries]
                   or ["no tenant has daily_summary on"])
        return exit_codes.OK

    return await guarded(out, run())


async def _post(url: str, summaries: list[dict[str, Any]], seconds: float) -> None:
    try:
        async with httpx.AsyncClient(timeout=seconds) as http:
            response = await http.post(url, json={"summaries": summaries})
    except httpx.HTTPError as error:
        raise CommandFailed(f"summary webhook unreachable: {error}", "webhook_failed",
                            exit_codes.UNAVAILABLE) from None
    if response.status_code >= 300:
        raise CommandFailed(f"summary webhook answered HTTP {response.status_code}",
                            "webhook_failed", exit_codes.FAILED)


def _summary_line(summary: mapping_pb2.DailySummary) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in sorted(summary.errors_by_category.items()))
    return (f"{summary.tenant_id} {summary.day}: {summary.inbound} in, {summary.outbound} "
            f"out, errors: {errors or 'none'} (configuration v"
            f"{summary.configuration_version}, regal-sync {summary.software_version})")


async def _status(args: argparse.Namespace) -> int:
    out = Output(args.json)

    async def run() -> int:
        async with mapping_client(args) as mapping:
            status = await mapping.call("GetTenantStatus", mapping_pb2.GetTenantStatusRequest(
                tenant_id=args.tenant))
        data = MessageToDict(status, preserving_proto_field_name=True,
                             always_print_fields_with_no_presence=True)
        out.result(data, _status_lines(status))
        return exit_codes.OK

    return await guarded(out, run())


def _status_lines(status: mapping_pb2.TenantStatus) -> list[str]:
    lines = [f"tenant {status.tenant_id}, configuration v{status.configuration_version}",
             "queues:"]
    lines += [f"  {q.queue:<18} waiting {q.waiting:>6}  in flight {q.in_flight:>4}  "
              f"dead {q.dead:>4}  lag {q.oldest_wait_seconds:.1f}s" for q in status.queues]
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(status.last_day_by_status.items()))
    lines.append(f"last 24 h: {outcomes or 'no events'}")
    budget = status.api_budget
    share = (f"{budget.budget_calls} of the org's {budget.org_daily_limit}"
             if budget.org_daily_limit else "org limit not seen yet")
    lines.append(f"Salesforce API today: {budget.used_today} calls; budget "
                 f"{budget.budget_percent:g}% = {share}")
    lines.append(_connection_line(status.salesforce_connection))
    return lines


def _connection_line(connection: mapping_pb2.SalesforceConnectionStatus) -> str:
    if connection.state == "revoked":
        return (f"Salesforce connection: revoked ({connection.error or 'refused'}); "
                "processing paused until the org is connected again")
    if connection.state == "not_connected":
        return "Salesforce connection: not connected yet; processing waits for it"
    org = f" to org {connection.org_id}" if connection.org_id else ""
    return f"Salesforce connection: {connection.state or 'unknown'}{org}"
