"""Specify ``regal-sync logs``, ``maintenance`` and ``status`` (L1, L2, L4)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml
from conftest import Cli

from regalsync.cli import exit_codes
from regalsync.storage import LogEntry, QueueItem

DAY = 86_400.0


def apply_tenant(cli: Cli, tmp_path: Path, tenant: str, retention_days: int,
                 *, daily_summary: bool = True) -> None:
    document = {
        "tenant": tenant,
        "salesforce": {"login_url": "https://login.salesforce.com", "auth": {
            "flow": "client_credentials", "client_id": "${ID}", "client_secret": "${S}"},
            "daily_api_budget_percent": 20},
        "regal": {"api_key": "${KEY}"},
        "configurations": [{"name": "Main", "active": True, "desired_objects": "leads_only",
                            "daily_summary": daily_summary,
                            "log_retention_days": retention_days}],
    }
    path = tmp_path / f"{tenant}.yaml"
    path.write_text(yaml.safe_dump(document))
    assert cli("config", "apply", str(path), "--skip-describe").code == exit_codes.OK


def log(cli: Cli, tenant: str, direction: str, status: str, key: str,
        detail: str = "") -> None:
    cli.server.run(cli.server.storage.append_log(
        [LogEntry(tenant, direction, "", key, status, detail)]))


class TestLogs:
    def test_filters_by_status_and_age(self, cli: Cli, tmp_path: Path) -> None:
        """--status error --since 1h shows only recent entries with that status."""
        apply_tenant(cli, tmp_path, "acme", 30)
        log(cli, "acme", "inbound", "rejected", "old-error")
        cli.server.clock.advance(2 * 3600)
        log(cli, "acme", "inbound", "rejected", "new-error")
        log(cli, "acme", "inbound", "accepted", "new-ok")

        ran = cli("logs", "--tenant", "acme", "--status", "rejected", "--since", "1h",
                  "--json")

        assert [e["idempotency_key"] for e in json.loads(ran.out)] == ["new-error"]

    def test_unknown_tenant_is_not_found(self, cli: Cli) -> None:
        """Asking for a tenant that does not exist exits 4."""
        assert cli("logs", "--tenant", "nobody").code == exit_codes.NOT_FOUND

    def test_bad_duration_is_a_usage_error(self, cli: Cli) -> None:
        """--since takes 30m, 1h or 7d; anything else exits 2."""
        assert cli("logs", "--tenant", "acme", "--since", "yesterday").code == (
            exit_codes.USAGE)


class TestRetention:
    def test_purge_removes_only_entries_older_than_retention(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        """Entries older than the retention go; younger ones stay."""
        apply_tenant(cli, tmp_path, "acme", 30)
        log(cli, "acme", "outbound", "accepted", "31-days-old")
        cli.server.clock.advance(2 * DAY)
        log(cli, "acme", "outbound", "accepted", "29-days-old")
        cli.server.clock.advance(29 * DAY)

        ran = cli("maintenance", "purge", "--json")
        kept = json.loads(cli("logs", "--tenant", "acme", "--json").out)

        assert json.loads(ran.out) == {"purged": 1, "retention_days": 30}
        assert [e["idempotency_key"] for e in kept] == ["29-days-old"]

    def test_purge_keeps_what_any_tenant_must_keep(self, cli: Cli, tmp_path: Path) -> None:
        """With tenants at 30 and 90 days, nothing younger than 90 days is purged."""
        apply_tenant(cli, tmp_path, "short", 30)
        apply_tenant(cli, tmp_path, "long", 90)
        log(cli, "long", "inbound", "accepted", "60-days-old")
        cli.server.clock.advance(60 * DAY)

        ran = cli("maintenance", "purge", "--json")

        assert json.loads(ran.out) == {"purged": 0, "retention_days": 90}


class TestDailySummary:
    def test_counts_match_the_log(self, cli: Cli, tmp_path: Path) -> None:
        """The summary's counts equal the day's entries in the log."""
        apply_tenant(cli, tmp_path, "acme", 30)
        start = dt.datetime.fromtimestamp(cli.server.clock(), dt.UTC).date()
        for index, (direction, status, detail) in enumerate([
            ("inbound", "accepted", ""), ("inbound", "rejected", "no_match"),
            ("inbound", "rejected", "no_match"), ("outbound", "accepted", ""),
            ("outbound", "skipped", "no_mapped_field_changed"),
            ("outbound", "rejected", "invalid_field"),
        ]):
            log(cli, "acme", direction, status, f"k{index}", detail)
        cli.server.clock.advance(DAY)
        log(cli, "acme", "inbound", "accepted", "next-day")

        ran = cli("maintenance", "summary", "--day", start.isoformat(), "--json")
        summary = json.loads(ran.out)[0]
        entries = json.loads(cli("logs", "--tenant", "acme", "--status", "summary",
                                 "--json").out)

        assert (summary["inbound"], summary["outbound"]) == ("3", "3")
        assert summary["errors_by_category"] == {"no_match": "2", "invalid_field": "1"}
        assert summary["configuration_version"] == "1"
        assert summary["software_version"] == "0.1.0"
        assert json.loads(entries[0]["detail"])["inbound"] == 3

    def test_only_tenants_that_want_it_are_summarised(self, cli: Cli, tmp_path: Path) -> None:
        """Without --tenant, tenants with daily_summary off are left out."""
        apply_tenant(cli, tmp_path, "wants", 30)
        apply_tenant(cli, tmp_path, "quiet", 30, daily_summary=False)

        ran = cli("maintenance", "summary", "--json")

        assert [s["tenant_id"] for s in json.loads(ran.out)] == ["wants"]


class TestStatus:
    def test_shows_queues_errors_and_budget(self, cli: Cli, tmp_path: Path) -> None:
        """status reports queue depth and lag, the day's outcomes and API budget."""
        apply_tenant(cli, tmp_path, "acme", 30)
        storage = cli.server.storage
        cli.server.run(storage.enqueue("regal_events", [
            QueueItem(tenant="acme", idempotency_key="e1", ordering_key="p1", payload=b"{}")]))
        cli.server.run(storage.set_checkpoint("acme", "salesforce_api_limit",
                                              b'{"used": 10, "limit": 15000}'))
        today = dt.datetime.fromtimestamp(cli.server.clock(), dt.UTC).date()
        cli.server.run(storage.add_usage("acme", "salesforce_api_calls", today, 42))
        log(cli, "acme", "inbound", "rejected", "k1", "no_match")
        cli.server.clock.advance(5)

        status = json.loads(cli("status", "--tenant", "acme", "--json").out)

        queue = next(q for q in status["queues"] if q["queue"] == "regal_events")
        assert (queue["waiting"], queue["oldest_wait_seconds"]) == ("1", 5.0)
        assert status["last_day_by_status"] == {"rejected": "1"}
        assert status["api_budget"] == {"used_today": "42", "org_daily_limit": "15000",
                                        "budget_percent": 20.0, "budget_calls": "3000"}

    def test_human_status_reads_as_a_report(self, cli: Cli, tmp_path: Path) -> None:
        """Without --json, status prints a short report."""
        apply_tenant(cli, tmp_path, "acme", 30)

        ran = cli("status", "--tenant", "acme")

        assert ran.out.splitlines()[0] == "tenant acme, configuration v1"
        assert "Salesforce API today: 0 calls; budget 20% = org limit not seen yet" in ran.out
