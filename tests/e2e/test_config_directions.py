"""Direction and ``when`` rules (C9) hold in both paths, end to end.

The demo tenant maps Lead ``traits.status`` to_regal and Contact
``traits.email`` with ``when: salesforce_blank``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from suite_harness import SuiteHandle, eventually

pytestmark = pytest.mark.e2e


def _edited(phone: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Build a contact.attribute.edited webhook for a phone."""
    return {"userId": f"profile-{uuid.uuid4().hex[:8]}", "traits": {"phone": phone},
            "name": "contact.attribute.edited", "eventSource": "Regal Voice",
            "eventId": uuid.uuid4().hex, "originalTimestamp": "1718805210",
            "properties": {"changes": {name: {"old_value": None, "new_value": value}
                                       for name, value in changes.items()}}}


def _events_for(suite: SuiteHandle, key: str, record_id: str) -> list[dict[str, Any]]:
    return [e for e in suite.regal_events() if e.get("traits", {}).get(key) == record_id]


class TestToRegalOnly:
    def test_status_goes_to_regal(self, suite: SuiteHandle) -> None:
        """A to_regal field is sent to Regal with the Lead."""
        lead = suite.salesforce().Lead.create({
            "LastName": "Direction", "Company": "Acme", "Phone": "(415) 555-0191",
            "Status": "Working - Contacted"})

        event = eventually(lambda: _events_for(suite, "salesforce_lead_id", lead["id"]),
                           what="the Lead's event")[0]

        assert event["traits"]["status"] == "Working - Contacted"

    def test_status_is_never_written_to_salesforce(self, suite: SuiteHandle) -> None:
        """Regal's edit of a to_regal trait leaves the Salesforce field alone."""
        sf = suite.salesforce()
        lead = sf.Lead.create({"LastName": "Keeper", "FirstName": "Old", "Company": "Acme",
                               "Phone": "(415) 555-0192", "Status": "Open - Not Contacted"})

        response = suite.post_webhook(_edited("+14155550192", {
            "status": "Closed - Converted", "firstName": "New"}))
        assert response.status_code == 200
        record = eventually(lambda: (r := sf.Lead.get(lead["id"]))["FirstName"] == "New"
                            and r, what="the Lead's FirstName update")

        assert record["Status"] == "Open - Not Contacted"


class TestSalesforceBlank:
    def test_email_fills_an_empty_field(self, suite: SuiteHandle) -> None:
        """A salesforce_blank field is written while it is empty."""
        sf = suite.salesforce()
        contact = sf.Contact.create({"LastName": "Blank", "Phone": "(415) 555-0193"})

        suite.post_webhook(_edited("+14155550193", {"email": "new.address@example.com"}))
        record = eventually(lambda: (r := sf.Contact.get(contact["id"]))["Email"] and r,
                            what="the Contact's Email")

        assert record["Email"] == "new.address@example.com"

    def test_email_never_overwrites_a_value(self, suite: SuiteHandle) -> None:
        """A salesforce_blank field that holds a value keeps it; other fields update."""
        sf = suite.salesforce()
        contact = sf.Contact.create({"LastName": "Kept", "Phone": "(415) 555-0194",
                                     "Email": "kept@example.com"})

        suite.post_webhook(_edited("+14155550194", {"email": "other@example.com",
                                                    "title": "Director"}))
        record = eventually(lambda: (r := sf.Contact.get(contact["id"]))["Title"] and r,
                            what="the Contact's Title update")

        assert record["Email"] == "kept@example.com"

    def test_blank_rule_does_not_hold_back_the_event_to_regal(
        self, suite: SuiteHandle
    ) -> None:
        """The when rule governs writes only: the email still goes to Regal."""
        contact = suite.salesforce().Contact.create({
            "LastName": "Outbound", "Phone": "(415) 555-0195",
            "Email": "outbound@example.com"})

        event = eventually(
            lambda: _events_for(suite, "salesforce_contact_id", contact["id"]),
            what="the Contact's event")[0]

        assert event["traits"]["email"] == "outbound@example.com"
