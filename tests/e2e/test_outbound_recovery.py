"""Gap and overflow change events lose no change (SPEC O1).

Recovery from an expired replay id is specified in
tests/ingress_gateway/test_change_intake_recovery.py: expiring events
means moving the sandbox clock 72 h ahead, and the suite's services sign
in with JWT bearer assertions whose expiry is read on that clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from outbound_support import (
    apply_configuration,
    attribute,
    configuration,
    events_about,
    sandbox_call,
    wait_for_events,
)
from simple_salesforce.api import Salesforce
from suite_harness import SuiteHandle, running_suite

pytestmark = pytest.mark.e2e

CONTACT = {"object": "Contact", "attributes": [
    attribute("traits.phone", "Phone"), attribute("traits.lastName", "LastName"),
    attribute("traits.title", "Title"),
]}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("outbound-recovery")) as handle:
        apply_configuration(handle, configuration("leads_and_contacts", [CONTACT]))
        yield handle


def contact_events(suite: SuiteHandle, contact_id: str, count: int = 1,
                   timeout: float = 30.0) -> list[dict[str, Any]]:
    return wait_for_events(
        suite, lambda: events_about(suite, "salesforce_contact_id", contact_id), count,
        timeout=timeout)


def new_contact(sf: Salesforce, suite: SuiteHandle, name: str, phone: str) -> str:
    contact_id: str = sf.Contact.create({"LastName": name, "Phone": phone,
                                         "Title": "first"})["id"]
    contact_events(suite, contact_id)
    return contact_id


class TestGaps:
    def test_gap_event_resends_the_record_whole(self, suite: SuiteHandle) -> None:
        """A GAP_UPDATE re-reads the record and sends every mapped field as changed."""
        contact_id = new_contact(suite.salesforce(), suite, "Gap", "2025550301")
        sandbox_call(suite, "POST", "/sandbox/cdc/gap", {
            "entity": "Contact", "record_ids": [contact_id], "change_type": "GAP_UPDATE"})
        updated = contact_events(suite, contact_id, 2)[1]
        assert updated["name"] == "Salesforce Contact Updated"
        assert updated["properties"]["updated_properties_sf"] == ["Phone", "LastName", "Title"]

    def test_overflow_resends_what_changed_since_the_last_commit(
            self, suite: SuiteHandle) -> None:
        """A GAP_OVERFLOW queries the object's records changed since the last commit."""
        contact_id = new_contact(suite.salesforce(), suite, "Overflow", "2025550302")
        sandbox_call(suite, "POST", "/sandbox/cdc/overflow", {"entity": "Contact"})
        updated = contact_events(suite, contact_id, 2)[1]
        assert updated["name"] == "Salesforce Contact Updated"
        assert updated["traits"]["lastName"] == "Overflow"
