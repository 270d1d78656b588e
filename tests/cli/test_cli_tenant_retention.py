"""Specify per-tenant retention, event types in the summary and the
connection line of ``regal-sync status`` (L1, L2, C8)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from conftest import Cli
from test_cli_operations import DAY, apply_tenant

from regalsync.storage import LogEntry


def log(cli: Cli, tenant: str, key: str, event_type: str = "call.completed") -> None:
    cli.server.run(cli.server.storage.append_log(
        [LogEntry(tenant, "inbound", event_type, key, "accepted", "")]))


class TestRetentionPerTenant:
    def test_each_tenant_keeps_its_own_retention(self, cli: Cli, tmp_path: Path) -> None:
        """At 60 days old, a 30-day tenant's entry goes and a 90-day tenant's stays."""
        apply_tenant(cli, tmp_path, "short", 30)
        apply_tenant(cli, tmp_path, "long", 90)
        log(cli, "short", "short-60")
        log(cli, "long", "long-60")
        cli.server.clock.advance(60 * DAY)

        ran = cli("maintenance", "purge", "--json")

        assert json.loads(ran.out) == {"purged": 1, "retention_days": 90}
        assert json.loads(cli("logs", "--tenant", "short", "--json").out) == []
        assert len(json.loads(cli("logs", "--tenant", "long", "--json").out)) == 1


class TestSummaryByEventType:
    def test_summary_counts_each_event_type(self, cli: Cli, tmp_path: Path) -> None:
        """The summary breaks the day's entries down by direction and event type."""
        apply_tenant(cli, tmp_path, "acme", 30)
        day = dt.datetime.fromtimestamp(cli.server.clock(), dt.UTC).date()
        log(cli, "acme", "k1")
        log(cli, "acme", "k2")
        log(cli, "acme", "k3", "sms.sent")

        ran = cli("maintenance", "summary", "--day", day.isoformat(), "--json")

        assert json.loads(ran.out)[0]["by_event_type"] == {
            "inbound call.completed": "2", "inbound sms.sent": "1"}


class TestConnectionStatus:
    def test_status_names_the_configured_flow(self, cli: Cli, tmp_path: Path) -> None:
        """A tenant that does not use a stored token shows its flow's name."""
        apply_tenant(cli, tmp_path, "acme", 30)

        ran = cli("status", "--tenant", "acme", "--json")

        assert json.loads(ran.out)["salesforce_connection"]["state"] == "client_credentials"
