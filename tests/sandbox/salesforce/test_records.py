"""Create, read, update, upsert, delete and undelete through simple-salesforce."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)


def new_lead(sf: Salesforce, **fields: Any) -> str:
    lead_id: str = sf.Lead.create({"LastName": "Doe", "Company": "Acme", **fields})["id"]
    return lead_id


class TestCrud:
    def test_create_answers_201_shape(self, sf: Salesforce) -> None:
        """Create answers {id, success, errors}."""
        result = sf.Lead.create({"LastName": "Doe", "Company": "Acme"})
        assert result["success"] is True
        assert result["errors"] == []

    def test_read_includes_system_and_calculated_fields(self, sf: Salesforce) -> None:
        """A read record has system fields, the calculated Name and the Address compound."""
        lead = sf.Lead.get(new_lead(sf, FirstName="Jo", City="Austin"))
        assert lead["Name"] == "Jo Doe"
        assert lead["Address"]["city"] == "Austin"
        assert lead["IsDeleted"] is False
        assert lead["CreatedDate"].endswith("+0000")
        assert lead["OwnerId"].startswith("005")
        assert lead["Status"] == "Open - Not Contacted"

    def test_update_answers_204_and_changes_fields(self, sf: Salesforce) -> None:
        """Update answers 204 and the new value is read back."""
        lead_id = new_lead(sf)
        assert sf.Lead.update(lead_id, {"Email": "jo@example.com"}) == 204
        assert sf.Lead.get(lead_id)["Email"] == "jo@example.com"

    def test_unknown_record_is_404(self, sf: Salesforce) -> None:
        """Reading an id that does not exist raises SalesforceResourceNotFound."""
        with pytest.raises(SalesforceResourceNotFound):
            sf.Lead.get("00Q8d00000ZZZZZ")

    def test_read_selected_fields(self, sf: Salesforce) -> None:
        """?fields= limits the answer to those fields."""
        record = sf.restful(f"sobjects/Lead/{new_lead(sf)}", params={"fields": "LastName"})
        assert set(record) == {"attributes", "LastName"}


class TestUpsert:
    def test_upsert_creates_with_201(self, sf: Salesforce) -> None:
        """Upsert on an unknown external id creates the record."""
        status = sf.Regal_Event__c.upsert("Event_Id__c/evt-1", {"Event_Name__c": "call"})
        assert status == 201
        record = sf.Regal_Event__c.get_by_custom_id("Event_Id__c", "evt-1")
        assert record["Name"] == "RE-00000001"

    def test_upsert_updates_with_200(self, sf: Salesforce) -> None:
        """Upsert on a known external id updates that record."""
        sf.Regal_Event__c.upsert("Event_Id__c/evt-1", {"Event_Name__c": "call"})
        status = sf.Regal_Event__c.upsert("Event_Id__c/evt-1", {"Talk_Time__c": 42})
        assert status == 200
        record = sf.Regal_Event__c.get_by_custom_id("Event_Id__c", "evt-1")
        assert record["Talk_Time__c"] == 42

    def test_upsert_with_two_matches_is_300(
        self, sf: Salesforce, sandbox: Any,
    ) -> None:
        """Upsert answers 300 when the external id matches several records."""
        first = sf.Regal_Event__c.create({"Event_Id__c": "dup"})["id"]
        second = sf.Regal_Event__c.create({"Event_Id__c": "other"})["id"]
        # Uniqueness is not enforced, so a duplicate can be made by update.
        sf.Regal_Event__c.update(second, {"Event_Id__c": "dup"})
        with pytest.raises(SalesforceMoreThanOneRecord) as caught:
            sf.Regal_Event__c.upsert("Event_Id__c/dup", {"Event_Name__c": "x"})
        assert any(first in url for url in caught.value.content)


class TestDeleteUndelete:
    def test_delete_hides_record_from_reads(self, sf: Salesforce) -> None:
        """A deleted record reads as 404 and drops out of query."""
        lead_id = new_lead(sf)
        assert sf.Lead.delete(lead_id) == 204
        with pytest.raises(SalesforceResourceNotFound):
            sf.Lead.get(lead_id)
        assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0

    def test_query_all_includes_deleted(self, sf: Salesforce) -> None:
        """queryAll still returns the deleted record with IsDeleted true."""
        lead_id = new_lead(sf)
        sf.Lead.delete(lead_id)
        rows = sf.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)["records"]
        assert [(r["Id"], r["IsDeleted"]) for r in rows] == [(lead_id, True)]

    def test_undelete_restores_record(
        self, sf: Salesforce, control: Callable[..., Any],
    ) -> None:
        """The undelete control call brings a deleted record back."""
        lead_id = new_lead(sf)
        sf.Lead.delete(lead_id)
        result = control("POST", "/sandbox/undelete", {"ids": [lead_id]})
        assert result["results"][0]["success"] is True
        assert sf.Lead.get(lead_id)["IsDeleted"] is False

    def test_undelete_of_live_record_fails(
        self, sf: Salesforce, control: Callable[..., Any],
    ) -> None:
        """Undeleting a record that is not in the recycle bin reports UNDELETE_FAILED."""
        lead_id = new_lead(sf)
        result = control("POST", "/sandbox/undelete", {"ids": [lead_id]})
        assert result["results"][0]["errors"][0]["statusCode"] == "UNDELETE_FAILED"
