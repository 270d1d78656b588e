"""Regal outages are ridden out and permanent failures parked (issue 4, item 6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest
from outbound_support import (
    apply_configuration,
    attribute,
    configuration,
    events_about,
    wait_for_events,
)
from suite_harness import SuiteHandle, eventually, running_suite

from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.publisher.v1 import publisher_pb2_grpc

pytestmark = pytest.mark.e2e

CONTACT = {"object": "Contact", "attributes": [
    attribute("traits.phone", "Phone"), attribute("traits.lastName", "LastName"),
    attribute("traits.title", "Title"),
]}
# Retries in tenths of a second stand in for minutes of backoff.
FAST_RETRIES = {"REGALSYNC_PUBLISHER_RETRY_BASE_SECONDS": "0.1",
                "REGALSYNC_PUBLISHER_RETRY_CAP_SECONDS": "0.5"}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("outbound-delivery"), **FAST_RETRIES) as handle:
        apply_configuration(handle, configuration("leads_and_contacts", [CONTACT]),
                            regal={"timeout_seconds": 1})
        yield handle
        handle.regal_control("/sandbox/faults/release", {})


def changed_fields(suite: SuiteHandle, contact_id: str) -> list[Any]:
    """Name what each event of a Contact reported as changed, in arrival order.

    Events carry the record's values when the change was read, which may
    already include later edits; the changed names tell events apart.
    """
    return [e.get("properties", {}).get("updated_properties_sf", "created")
            for e in events_about(suite, "salesforce_contact_id", contact_id)]


def fault(suite: SuiteHandle, kind: str, count: int, status: int = 503) -> None:
    suite.regal_control("/sandbox/faults", {"kind": kind, "status": status, "count": count})


def faults_left(suite: SuiteHandle) -> int:
    response = httpx.get(f"{suite.endpoints['regal']['base_url']}/sandbox/faults", timeout=10)
    return len(response.json()["faults"])


def dead_letters(suite: SuiteHandle) -> list[common_pb2.DeadLetter]:
    with grpc.insecure_channel(suite.endpoints["grpc"]["publisher"]) as channel:
        answer = publisher_pb2_grpc.RegalPublisherStub(channel).ListDeadLetters(
            common_pb2.ListDeadLettersRequest(tenant_id="demo", limit=100), timeout=10)
    return list(answer.dead_letters)


def replay(suite: SuiteHandle, ids: list[int]) -> int:
    with grpc.insecure_channel(suite.endpoints["grpc"]["publisher"]) as channel:
        answer = publisher_pb2_grpc.RegalPublisherStub(channel).ReplayDeadLetters(
            common_pb2.ReplayDeadLettersRequest(tenant_id="demo", ids=ids), timeout=10)
    return int(answer.replayed)


class TestRegalOutage:
    def test_outage_is_drained_in_order_with_nothing_lost(self, suite: SuiteHandle) -> None:
        """503s and hanging requests delay events; all arrive, in order per profile."""
        sf = suite.salesforce()
        fault(suite, "error", 8, status=503)
        fault(suite, "hang", 2)
        contacts = [sf.Contact.create({"LastName": name, "Phone": phone})["id"]
                    for name, phone in (("One", "2025550101"), ("Two", "2025550102"))]
        for edit in ({"Title": "t1"}, {"LastName": "Renamed"}, {"Phone": "20255502{n}0"}):
            for n, contact_id in enumerate(contacts):
                sf.Contact.update(contact_id, {k: v.format(n=n) for k, v in edit.items()})
        eventually(lambda: faults_left(suite) == 0, what="the outage to end")

        for contact_id in contacts:
            wait_for_events(
                suite, lambda c=contact_id: events_about(suite, "salesforce_contact_id", c), 4)
            assert changed_fields(suite, contact_id) == [
                "created", ["Title"], ["LastName"], ["Phone"]]
        assert dead_letters(suite) == []

    def test_too_many_requests_is_retried(self, suite: SuiteHandle) -> None:
        """A 429 is a delay, not a failure."""
        fault(suite, "error", 2, status=429)
        contact_id = suite.salesforce().Contact.create({
            "LastName": "Busy", "Phone": "2025550110"})["id"]
        wait_for_events(suite, lambda: events_about(suite, "salesforce_contact_id",
                                                    contact_id))


class TestPermanentFailures:
    @pytest.mark.parametrize("status", [400, 401])
    def test_permanent_failure_is_parked_then_replayed(
            self, suite: SuiteHandle, status: int) -> None:
        """A 400 or 401 parks the event with its reason; a replay after the fix delivers it."""
        fault(suite, "error", 1, status=status)
        contact_id = suite.salesforce().Contact.create({
            "LastName": f"Parked{status}", "Title": "parked",
            "Phone": f"202555{status}0"})["id"]
        [letter] = eventually(
            lambda: [d for d in dead_letters(suite) if d.reason == f"http_{status}"],
            what="the dead letter")
        assert letter.tenant_id == "demo"
        assert contact_id in letter.payload_json.decode()
        assert events_about(suite, "salesforce_contact_id", contact_id) == []

        assert replay(suite, [letter.id]) == 1
        [delivered] = wait_for_events(
            suite, lambda: events_about(suite, "salesforce_contact_id", contact_id))
        assert delivered["traits"]["title"] == "parked"
        assert all(d.id != letter.id for d in dead_letters(suite))
