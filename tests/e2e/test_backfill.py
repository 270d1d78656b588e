"""Existing Contacts reach Regal as created through a backfill (SPEC L3).

The Contacts are written with regal-sync's own client id, so their
change events are not sent: only the backfill can bring them to Regal.
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from outbound_support import (
    TENANT,
    apply_configuration,
    attribute,
    configuration,
    our_salesforce,
    sandbox_call,
    wait_for_events,
)
from suite_harness import SuiteHandle, running_suite

from regalsync.cli import main

pytestmark = pytest.mark.e2e

RECORDS = 500
PAGE = 100
CONTACT = {"object": "Contact", "attributes": [
    attribute("traits.phone", "Phone"), attribute("traits.lastName", "LastName"),
]}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("backfill")) as handle:
        apply_configuration(handle, configuration("leads_and_contacts", [CONTACT]))
        yield handle


def existing_contacts(suite: SuiteHandle, count: int) -> list[str]:
    """Create Contacts whose change events regal-sync ignores (its own writes)."""
    sf = our_salesforce(suite)
    ids: list[str] = []
    for start in range(0, count, 200):
        records = [{"attributes": {"type": "Contact"}, "LastName": f"Existing {n}",
                    "Phone": f"20255{n:05d}"} for n in range(start, min(start + 200, count))]
        results = sf.restful("composite/sobjects", method="POST",
                             json={"allOrNone": True, "records": records})
        ids += [r["id"] for r in results]
    return ids


def created_for(suite: SuiteHandle, ids: set[str]) -> list[dict[str, Any]]:
    return [e for e in suite.regal_events() if e["name"] == "Salesforce Contact Created"
            and e["traits"].get("salesforce_contact_id") in ids]


def step(suite: SuiteHandle, body: dict[str, Any]) -> dict[str, Any]:
    url = f"{suite.endpoints['ingress']['base_url']}/v1/tenants/{TENANT}/backfills/Contact"
    answer = httpx.post(url, json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    run: dict[str, Any] = answer.json()
    return run


def run_cli(suite: SuiteHandle, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["backfill", "--tenant", TENANT, "--object", "Contact",
                     "--page-size", str(PAGE),
                     "--ingress-url", suite.endpoints["ingress"]["base_url"], *extra])
    return code, out.getvalue()


def test_interrupted_backfill_resumes_without_duplicates_or_gaps(
        suite: SuiteHandle) -> None:
    """500 Contacts arrive once each, with opt-in, across a killed ingress."""
    ids = set(existing_contacts(suite, RECORDS))
    calls_before = int(sandbox_call(suite, "GET", "/sandbox/api-usage")["used"])
    run = step(suite, {"page_size": PAGE})
    while run["queued"] < 2 * PAGE:
        run = step(suite, {"run": run["run"], "page_size": PAGE})
    suite.wait_restarted("ingress-gateway", suite.kill("ingress-gateway"))

    code, printed = run_cli(suite)

    assert code == 0, printed
    assert f"done, {RECORDS} records queued" in printed
    events = wait_for_events(suite, lambda: created_for(suite, ids), RECORDS,
                             what="backfilled Contacts", timeout=60)
    per_record = Counter(e["traits"]["salesforce_contact_id"] for e in events)
    assert set(per_record) == ids and max(per_record.values()) == 1
    assert all([o["channel"] for o in e["traits"]["optIn"]] == ["voice", "sms", "email"]
               for e in events)
    calls = int(sandbox_call(suite, "GET", "/sandbox/api-usage")["used"]) - calls_before
    print(f"backfill of {RECORDS} Contacts: {calls} Salesforce API calls")


def test_finished_backfill_is_not_repeated_by_its_own_run(suite: SuiteHandle) -> None:
    """Asking a finished run for another step answers done, queueing nothing."""
    code, printed = run_cli(suite, "--since", "2000-01-01")
    assert code == 0, printed
    last = printed.strip().splitlines()[-1]
    run_id = last.split()[2].rstrip(":")

    again = step(suite, {"run": run_id, "page_size": PAGE})

    assert again["state"] == "done" and again["run"] == run_id


def test_unsynced_object_is_refused(suite: SuiteHandle) -> None:
    """Backfilling an object the configuration does not send answers 400."""
    url = f"{suite.endpoints['ingress']['base_url']}/v1/tenants/{TENANT}/backfills/Account"
    answer = httpx.post(url, json={}, timeout=30)

    assert answer.status_code == 400
    assert answer.json()["error"] == "object_not_synced"
