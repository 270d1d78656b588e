"""Writes are refused with the error codes Salesforce uses."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def refused(sf: Salesforce, fields: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Lead.create({"LastName": "Doe", "Company": "Acme", **fields})
    error: dict[str, Any] = caught.value.content[0]
    return error


class TestValidation:
    def test_unknown_field(self, sf: Salesforce) -> None:
        """An unknown field is INVALID_FIELD."""
        assert refused(sf, {"Shoe_Size__c": 9})["errorCode"] == "INVALID_FIELD"

    def test_read_only_field(self, sf: Salesforce) -> None:
        """A read-only field is INVALID_FIELD_FOR_INSERT_UPDATE naming the field."""
        error = refused(sf, {"IsConverted": True})
        assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
        assert error["fields"] == ["IsConverted"]

    def test_calculated_field(self, sf: Salesforce) -> None:
        """Writing the calculated Name is INVALID_FIELD_FOR_INSERT_UPDATE."""
        assert refused(sf, {"Name": "x"})["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"

    def test_too_long(self, sf: Salesforce) -> None:
        """A value over the field length is STRING_TOO_LONG."""
        error = refused(sf, {"FirstName": "x" * 41})
        assert error["errorCode"] == "STRING_TOO_LONG"
        assert error["fields"] == ["FirstName"]

    def test_unparseable_number(self, sf: Salesforce) -> None:
        """A non-numeric string for a number is JSON_PARSER_ERROR."""
        assert refused(sf, {"NumberOfEmployees": "many"})["errorCode"] == "JSON_PARSER_ERROR"

    def test_wrong_json_type(self, sf: Salesforce) -> None:
        """A number for a checkbox is INVALID_TYPE_ON_FIELD_IN_RECORD."""
        error = refused(sf, {"DoNotCall": 3})
        assert error["errorCode"] == "INVALID_TYPE_ON_FIELD_IN_RECORD"

    def test_missing_required(self, sf: Salesforce) -> None:
        """A Lead without Company is REQUIRED_FIELD_MISSING."""
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.Lead.create({"LastName": "Doe"})
        assert caught.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
        assert caught.value.content[0]["fields"] == ["Company"]

    def test_restricted_picklist(self, sf: Salesforce) -> None:
        """An unknown Status is INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST."""
        error = refused(sf, {"Status": "Maybe"})
        assert error["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"

    def test_invalid_email(self, sf: Salesforce) -> None:
        """A malformed email is INVALID_EMAIL_ADDRESS."""
        assert refused(sf, {"Email": "not-an-email"})["errorCode"] == "INVALID_EMAIL_ADDRESS"

    def test_lookup_to_wrong_object(self, sf: Salesforce) -> None:
        """A Lead id in Contact.AccountId is FIELD_INTEGRITY_EXCEPTION."""
        lead_id = sf.Lead.create({"LastName": "Doe", "Company": "Acme"})["id"]
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.Contact.create({"LastName": "Doe", "AccountId": lead_id})
        assert caught.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"

    def test_update_of_deleted_record(self, sf: Salesforce) -> None:
        """Updating a deleted record is ENTITY_IS_DELETED."""
        lead_id = sf.Lead.create({"LastName": "Doe", "Company": "Acme"})["id"]
        sf.Lead.delete(lead_id)
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.Lead.update(lead_id, {"FirstName": "Jo"})
        assert caught.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"

    def test_malformed_json_body(self, sf: Salesforce) -> None:
        """A body that is not JSON is a 400 JSON_PARSER_ERROR, not a server error."""
        response = sf.session.post(
            f"{sf.base_url}sobjects/Lead/", data="{not json", headers=sf.headers,
        )
        assert response.status_code == 400
        assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
