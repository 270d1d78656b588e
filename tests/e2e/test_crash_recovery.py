"""SIGKILL any service mid-stream: nothing is lost and nothing is applied twice.

Traffic runs both ways while one process is killed and the supervisor
restarts it: Contacts created in Salesforce must each reach Regal exactly
once, and call.completed webhooks must each land exactly once in
Salesforce (one Regal event record, one Task). Like Regal with retries
enabled, the webhook sender repeats a webhook until the ingress
acknowledges it; a repeat of an acknowledged one must change nothing.

Regal's events API has no idempotency key, so an event whose POST was in
flight when the publisher died is sent again (docs/durability.md). The
publisher is therefore killed while Regal answers 503, when nothing can be
in flight successfully; that still proves its queue survives the kill.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from suite_harness import SuiteHandle, eventually, running_suite

pytestmark = pytest.mark.e2e

PROCESSES = ["ingress-gateway", "mapping-service", "matcher-service", "regal-publisher",
             "salesforce-writer"]
PER_RUN = 12
KILL_AFTER = 4


@pytest.fixture(scope="module")
def crash_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    # Short leases so work a killed process held comes back quickly.
    with running_suite(tmp_path_factory.mktemp("crash"),
                       REGALSYNC_QUEUE_LEASE_SECONDS="3") as handle:
        yield handle


class Traffic(threading.Thread):
    """Create Contacts and post one call.completed webhook for each."""

    def __init__(self, suite: SuiteHandle, run: int) -> None:
        super().__init__(daemon=True)
        self.suite = suite
        self.run_number = run
        self.contacts: list[str] = []
        self.event_ids: list[str] = []
        self.started_enough = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            sf = self.suite.salesforce()
            for i in range(PER_RUN):
                phone = f"(212) 55{self.run_number}-{1000 + i}"
                contact_id = sf.Contact.create({"LastName": f"Crash{self.run_number}-{i}",
                                                "Phone": phone})["id"]
                self.contacts.append(contact_id)
                event_id = f"{self.run_number:02d}{i:030d}"
                self._deliver_until_acknowledged(_call_completed(event_id, phone))
                self.event_ids.append(event_id)
                if i + 1 == KILL_AFTER:
                    self.started_enough.set()
                time.sleep(0.05)
        except BaseException as error:  # reported by the test
            self.error = error
            self.started_enough.set()

    def _deliver_until_acknowledged(self, body: dict[str, Any]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.suite.post_webhook(body).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("the ingress never acknowledged a webhook")


def _call_completed(event_id: str, phone: str) -> dict[str, Any]:
    return {"userId": f"profile-{event_id}", "originalTimestamp": "1764770000",
            "traits": {"phone": phone}, "name": "call.completed", "eventId": event_id,
            "eventSource": "Regal Voice",
            "properties": {"talk_time": 30, "disposition": "Connected",
                           "direction": "OUTBOUND", "agent_email": "agent@example.com"}}


def _created_events(suite: SuiteHandle, contact_ids: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(contact_ids, 0)
    for body in suite.regal_events():
        record = body.get("traits", {}).get("salesforce_contact_id")
        if body.get("name") == "Salesforce Contact Created" and record in counts:
            counts[record] += 1
    return counts


@pytest.mark.parametrize("process", PROCESSES)
def test_killing_a_service_mid_stream_loses_and_doubles_nothing(
        crash_suite: SuiteHandle, process: str) -> None:
    """Every change and webhook takes effect exactly once across a SIGKILL."""
    traffic = Traffic(crash_suite, PROCESSES.index(process) + 1)
    traffic.start()
    assert traffic.started_enough.wait(60)
    if process == "regal-publisher":
        crash_suite.regal_control("/sandbox/faults", {"kind": "error", "status": 503,
                                                      "count": None})
    old_pid = crash_suite.kill(process)
    crash_suite.wait_restarted(process, old_pid)
    if process == "regal-publisher":
        httpx.delete(f"{crash_suite.endpoints['regal']['base_url']}/sandbox/faults")
    traffic.join(120)
    assert traffic.error is None, traffic.error
    assert len(traffic.contacts) == PER_RUN

    def all_created() -> dict[str, int] | None:
        counts = _created_events(crash_suite, traffic.contacts)
        return counts if all(counts.values()) else None

    counts = eventually(all_created, timeout=90, what="every Contact in Regal")
    time.sleep(1)  # let a duplicate, if any were coming, arrive too
    counts = _created_events(crash_suite, traffic.contacts)
    assert set(counts.values()) == {1}, counts

    sf = crash_suite.salesforce()
    ids = ", ".join(f"'{e}'" for e in traffic.event_ids)
    soql = f"SELECT Event_Id__c, Contact__c FROM Regal_Event__c WHERE Event_Id__c IN ({ids})"

    def all_stored() -> list[dict[str, Any]] | None:
        records: list[dict[str, Any]] = sf.query_all(soql)["records"]
        return records if len(records) >= PER_RUN else None

    records = eventually(all_stored, timeout=90, what="every event record in Salesforce")
    assert sorted(r["Event_Id__c"] for r in records) == sorted(traffic.event_ids)
    assert {r["Contact__c"] for r in records} == set(traffic.contacts)
    contact_ids = ", ".join(f"'{c}'" for c in traffic.contacts)
    tasks = sf.query_all(f"SELECT WhoId FROM Task WHERE WhoId IN ({contact_ids})")["records"]
    assert sorted(t["WhoId"] for t in tasks) == sorted(traffic.contacts)
