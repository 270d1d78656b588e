"""Salesforce API calls grow with batches, not records (docs/salesforce-api-budget.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from outbound_support import (
    apply_configuration,
    attribute,
    configuration,
    sandbox_call,
    user_salesforce,
    wait_for_events,
)
from suite_harness import SuiteHandle, running_suite

pytestmark = pytest.mark.e2e

RECORDS = 1000
COLLECTION = 200
CONTACT = {"object": "Contact", "attributes": [
    attribute("traits.phone", "Phone"), attribute("traits.lastName", "LastName"),
    attribute("traits.title", "Title"),
]}
# The documented bound: one query per inbox batch of up to 200 changes,
# so about RECORDS / 200 calls; four times that leaves room for batches
# cut short by the stream's pace, and is still 1 call per 50 records.
BOUND = RECORDS // 50


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("outbound-budget")) as handle:
        apply_configuration(handle, configuration("leads_and_contacts", [CONTACT]))
        yield handle


def used(suite: SuiteHandle) -> int:
    return int(sandbox_call(suite, "GET", "/sandbox/api-usage")["used"])


def collections(sf: Any, method: str, records: list[dict[str, Any]]) -> int:
    """Write records 200 at a time; return how many calls that took."""
    calls = 0
    for start in range(0, len(records), COLLECTION):
        chunk = records[start:start + COLLECTION]
        results = sf.restful("composite/sobjects", method=method,
                             json={"allOrNone": True, "records": chunk})
        assert all(r["success"] for r in results)
        calls += 1
        if method == "POST":
            for record, result in zip(chunk, results, strict=True):
                record["Id"] = result["id"]
    return calls


def updated(suite: SuiteHandle) -> list[dict[str, Any]]:
    return [e for e in suite.regal_events()
            if e.get("name") == "Salesforce Contact Updated"
            and e.get("traits", {}).get("title") == "bulk"]


def created(suite: SuiteHandle) -> list[dict[str, Any]]:
    return [e for e in suite.regal_events() if e.get("name") == "Salesforce Contact Created"]


class TestApiBudget:
    def test_a_thousand_changed_contacts_cost_a_few_calls(self, suite: SuiteHandle) -> None:
        """1,000 updated Contacts reach Regal for at most 20 Salesforce API calls."""
        sf = user_salesforce(suite)
        records = [{"attributes": {"type": "Contact"}, "LastName": f"Bulk {n}",
                    "Phone": f"30255{n:05d}"} for n in range(RECORDS)]
        collections(sf, "POST", records)
        wait_for_events(suite, lambda: created(suite), RECORDS, timeout=120)

        before = used(suite)
        ours = collections(sf, "PATCH", [{"attributes": {"type": "Contact"}, "Id": r["Id"],
                                          "Title": "bulk"} for r in records])
        events = wait_for_events(suite, lambda: updated(suite), RECORDS, timeout=120)
        spent = used(suite) - before - ours

        assert len(events) == RECORDS
        assert spent <= BOUND, f"{spent} Salesforce calls for {RECORDS} changed Contacts"
