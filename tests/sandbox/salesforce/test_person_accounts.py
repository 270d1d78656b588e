"""Person Accounts: one Account, one person Contact, fields mirrored both ways."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def person_record_type(sf: Salesforce) -> str:
    rows = sf.query(
        "SELECT Id FROM RecordType WHERE DeveloperName = 'PersonAccount'",
    )["records"]
    record_type: str = rows[0]["Id"]
    return record_type


def new_person(sf: Salesforce, **fields: Any) -> dict[str, Any]:
    account_id = sf.Account.create({
        "RecordTypeId": person_record_type(sf), "FirstName": "Ana", "LastName": "Ruiz",
        **fields,
    })["id"]
    account: dict[str, Any] = sf.Account.get(account_id)
    return account


class TestPersonAccounts:
    def test_person_account_gets_a_person_contact(self, sf: Salesforce) -> None:
        """Creating a person account sets IsPersonAccount and PersonContactId."""
        account = new_person(sf, PersonEmail="ana@example.com")
        assert account["IsPersonAccount"] is True
        assert account["Name"] == "Ana Ruiz"
        contact = sf.Contact.get(account["PersonContactId"])
        assert contact["AccountId"] == account["Id"]
        assert contact["Email"] == "ana@example.com"
        assert contact["IsPersonAccount"] is True

    def test_pc_fields_mirror_contact_custom_fields(self, sf: Salesforce) -> None:
        """SMS_Opt_In__pc on the account is SMS_Opt_In__c on its contact."""
        account = new_person(sf, SMS_Opt_In__pc=True)
        assert sf.Contact.get(account["PersonContactId"])["SMS_Opt_In__c"] is True

    def test_account_update_reaches_the_contact(self, sf: Salesforce) -> None:
        """Updating PersonMobilePhone updates the contact's MobilePhone."""
        account = new_person(sf)
        sf.Account.update(account["Id"], {"PersonMobilePhone": "+14155550100"})
        assert sf.Contact.get(account["PersonContactId"])["MobilePhone"] == "+14155550100"

    def test_contact_update_reaches_the_account(self, sf: Salesforce) -> None:
        """Updating the person contact's Email updates PersonEmail."""
        account = new_person(sf)
        sf.Contact.update(account["PersonContactId"], {"Email": "new@example.com"})
        assert sf.Account.get(account["Id"])["PersonEmail"] == "new@example.com"

    def test_person_account_name_is_read_only(self, sf: Salesforce) -> None:
        """Setting Name on a person account is INVALID_FIELD_FOR_INSERT_UPDATE."""
        account = new_person(sf)
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.Account.update(account["Id"], {"Name": "Other"})
        assert caught.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"

    def test_person_account_requires_last_name(self, sf: Salesforce) -> None:
        """A person account without LastName is REQUIRED_FIELD_MISSING."""
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.Account.create({"RecordTypeId": person_record_type(sf), "FirstName": "A"})
        assert caught.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"

    def test_business_account_refuses_person_fields(self, sf: Salesforce) -> None:
        """A business account cannot take PersonEmail."""
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.Account.create({"Name": "Acme", "PersonEmail": "a@example.com"})
        assert caught.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"

    def test_deleting_person_account_deletes_its_contact(self, sf: Salesforce) -> None:
        """The person contact goes to the recycle bin with its account."""
        account = new_person(sf)
        sf.Account.delete(account["Id"])
        assert sf.query("SELECT Id FROM Contact")["totalSize"] == 0
