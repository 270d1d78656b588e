"""sObject Collections and /composite with referenceId chaining."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def lead(**fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Lead"}, "LastName": "Doe", "Company": "Acme", **fields}


class TestCollections:
    def test_create_answers_one_result_per_record_in_order(self, sf: Salesforce) -> None:
        """Without allOrNone the valid records are saved and the bad one reports why."""
        results = sf.restful("composite/sobjects", method="POST", json={
            "allOrNone": False, "records": [lead(), lead(Status="Nope"), lead()],
        })
        assert [r["success"] for r in results] == [True, False, True]
        assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 2

    def test_all_or_none_rolls_everything_back(self, sf: Salesforce) -> None:
        """With allOrNone one failure rolls back the valid records too."""
        results = sf.restful("composite/sobjects", method="POST", json={
            "allOrNone": True, "records": [lead(), lead(Status="Nope")],
        })
        assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
        assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0

    def test_more_than_200_records_is_refused(self, sf: Salesforce) -> None:
        """201 records in one call is refused as a whole."""
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.restful("composite/sobjects", method="POST", json={
                "records": [lead() for _ in range(201)],
            })
        assert caught.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"

    def test_update_many(self, sf: Salesforce) -> None:
        """PATCH updates each record by Id."""
        created = sf.restful("composite/sobjects", method="POST", json={
            "records": [lead(), lead()],
        })
        results = sf.restful("composite/sobjects", method="PATCH", json={"records": [
            {"attributes": {"type": "Lead"}, "Id": r["id"], "City": "Austin"} for r in created
        ]})
        assert all(r["success"] for r in results)
        assert sf.Lead.get(created[0]["id"])["City"] == "Austin"

    def test_delete_and_read_by_ids(self, sf: Salesforce) -> None:
        """DELETE ?ids= deletes; GET ?ids= answers null for the deleted one."""
        ids = [r["id"] for r in sf.restful("composite/sobjects", method="POST", json={
            "records": [lead(), lead()],
        })]
        deleted = sf.restful(
            "composite/sobjects", method="DELETE", params={"ids": ids[0]},
        )
        assert deleted[0]["success"] is True
        records = sf.restful("composite/sobjects/Lead", params={
            "ids": ",".join(ids), "fields": "Id,LastName",
        })
        assert records[0] is None
        assert records[1]["LastName"] == "Doe"


class TestComposite:
    def test_reference_ids_chain_subrequests(self, sf: Salesforce) -> None:
        """A contact created in the same call points at the new account."""
        answer = sf.restful("composite", method="POST", json={"compositeRequest": [
            {"method": "POST", "url": "/services/data/v59.0/sobjects/Account",
             "referenceId": "acct", "body": {"Name": "Acme"}},
            {"method": "POST", "url": "/services/data/v59.0/sobjects/Contact",
             "referenceId": "person", "body": {"LastName": "Doe", "AccountId": "@{acct.id}"}},
            {"method": "GET", "url": "/services/data/v59.0/sobjects/Contact/@{person.id}",
             "referenceId": "read"},
        ]})["compositeResponse"]
        assert [a["httpStatusCode"] for a in answer] == [201, 201, 200]
        assert answer[2]["body"]["AccountId"] == answer[0]["body"]["id"]

    def test_all_or_none_halts_and_rolls_back(self, sf: Salesforce) -> None:
        """With allOrNone a failing subrequest rolls back the ones before it."""
        answer = sf.restful("composite", method="POST", json={
            "allOrNone": True, "compositeRequest": [
                {"method": "POST", "url": "/services/data/v59.0/sobjects/Account",
                 "referenceId": "acct", "body": {"Name": "Acme"}},
                {"method": "POST", "url": "/services/data/v59.0/sobjects/Contact",
                 "referenceId": "bad", "body": {"FirstName": "NoLastName"}},
            ],
        })["compositeResponse"]
        assert answer[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
        assert answer[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
        assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0

    def test_composite_counts_as_one_api_call(self, sf: Salesforce) -> None:
        """Three subrequests spend one call of the daily allowance."""
        before = sf.limits()["DailyApiRequests"]["Remaining"]
        sf.restful("composite", method="POST", json={"compositeRequest": [
            {"method": "GET", "url": "/services/data/v59.0/limits", "referenceId": f"r{i}"}
            for i in range(3)
        ]})
        after = sf.limits()["DailyApiRequests"]["Remaining"]
        assert before - after == 2
