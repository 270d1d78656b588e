"""Record ids and describe results look like a real org's."""

from __future__ import annotations

import re

from simple_salesforce import Salesforce

from sandbox.salesforce import ids


class TestIds:
    def test_checksum_matches_salesforce_for_a_known_id(self) -> None:
        """The case-safe suffix of a published example id is reproduced."""
        assert ids.to18("001A0000006Vm9r") == "001A0000006Vm9rIAC"

    def test_fifteen_and_eighteen_character_forms_normalize_alike(self) -> None:
        """Both forms of one id name the same record; a bad suffix is refused."""
        assert ids.normalize("001A0000006Vm9rIAC") == "001A0000006Vm9r"
        assert ids.normalize("001A0000006Vm9r") == "001A0000006Vm9r"
        assert ids.normalize("001A0000006Vm9rAAA") is None

    def test_created_ids_carry_prefix_and_valid_suffix(self, sf: Salesforce) -> None:
        """A new Lead's id starts 00Q and is 18 characters with a correct suffix."""
        lead_id = sf.Lead.create({"LastName": "Doe", "Company": "Acme"})["id"]
        assert re.fullmatch(r"00Q[0-9A-Za-z]{15}", lead_id)
        assert ids.to18(lead_id[:15]) == lead_id

    def test_record_is_readable_by_its_fifteen_character_id(self, sf: Salesforce) -> None:
        """GET accepts the 15-character id and answers the 18-character one."""
        lead_id = sf.Lead.create({"LastName": "Doe", "Company": "Acme"})["id"]
        assert sf.Lead.get(lead_id[:15])["Id"] == lead_id


class TestDescribe:
    def test_global_describe_lists_standard_and_custom_objects(self, sf: Salesforce) -> None:
        """Every standard object and the Regal_Event__c custom object are listed."""
        names = {o["name"]: o for o in sf.describe()["sobjects"]}
        for name in ("Lead", "Contact", "Account", "Opportunity", "OpportunityContactRole",
                     "Case", "CaseComment", "Task", "Event", "User", "RecordType"):
            assert name in names
        assert names["Regal_Event__c"]["custom"] is True
        assert names["Lead"]["keyPrefix"] == "00Q"

    def test_lead_fields_report_types_and_permissions(self, sf: Salesforce) -> None:
        """Describe reports type, length, writability and picklist values."""
        fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
        assert fields["LastName"]["type"] == "string"
        assert fields["LastName"]["length"] == 80
        assert fields["LastName"]["nillable"] is False
        assert fields["Name"]["calculated"] is True
        assert fields["Name"]["createable"] is False
        assert fields["Address"]["type"] == "address"
        assert fields["City"]["compoundFieldName"] == "Address"
        assert fields["Status"]["restrictedPicklist"] is True
        assert "Open - Not Contacted" in [v["value"] for v in fields["Status"]["picklistValues"]]
        assert fields["OwnerId"]["referenceTo"] == ["User"]
        assert fields["OwnerId"]["relationshipName"] == "Owner"
        assert fields["SMS_Opt_In__c"]["type"] == "boolean"

    def test_custom_object_fields_come_from_metadata_files(self, sf: Salesforce) -> None:
        """Regal_Event__c fields have the types and lengths of their DX source."""
        fields = {f["name"]: f for f in sf.Regal_Event__c.describe()["fields"]}
        assert fields["Event_Id__c"]["externalId"] is True
        assert fields["Event_Id__c"]["length"] == 64
        assert fields["Payload__c"]["type"] == "textarea"
        assert fields["Payload__c"]["length"] == 131072
        assert fields["Lead__c"]["referenceTo"] == ["Lead"]
        assert fields["Lead__c"]["relationshipName"] == "Lead__r"
        assert fields["Occurred_At__c"]["type"] == "datetime"
        assert fields["Name"]["autoNumber"] is True

    def test_person_account_fields_appear_on_account(self, sf: Salesforce) -> None:
        """Contact custom fields show on Account with the __pc suffix."""
        describe = sf.Account.describe()
        fields = {f["name"] for f in describe["fields"]}
        assert {"SMS_Opt_In__pc", "PersonEmail", "PersonContactId", "IsPersonAccount"} <= fields
        assert "PersonAccount" in [r["developerName"] for r in describe["recordTypeInfos"]]
