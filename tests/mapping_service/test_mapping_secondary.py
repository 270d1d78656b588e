"""Specify Case, Case comment and calendar Event events (SPEC O6)."""

from __future__ import annotations

from typing import Any

from mapping_service.domain.changes import Change, ChangeType, RegalEventOut, Skip
from mapping_service.domain.configuration import validate
from mapping_service.domain.model import Configuration
from mapping_service.domain.to_regal import build_regal_events

INSTANCE = "https://acme.my.salesforce.com"
CONTACT_ID = "0038c000036blDJAAY"
ACCOUNT_ID = "0018c000036blDJAAY"
LEAD_ID = "00Q8c000036blDJAAY"
CASE_ID = "5008c000036blDJAAY"
COMMIT_MS = 1_718_805_229_000
COMMIT_ISO = "2024-06-19T13:53:49.000Z"
OWNER = {"Name": "Sam Agent", "Email": "sam@example.com"}
CONTACT = {"Id": CONTACT_ID, "Phone": "(856) 559-7961", "Email": "jo@example.com"}


def configuration(desired: str = "leads_and_contacts", **options: Any) -> Configuration:
    primary = "Account" if desired == "leads_and_accounts" else "Contact"
    document = {
        "tenant": "acme",
        "salesforce": {"login_url": "https://login.salesforce.com", "auth": {
            "flow": "client_credentials", "client_id": "id", "client_secret": "${S}"}},
        "regal": {"api_key": "${K}"},
        "configurations": [{
            "name": "Main", "active": True, "desired_objects": desired,
            "object_mappings": [
                {"object": primary, "attributes": [
                    {"regal": "traits.phone", "salesforce": "Phone"},
                    {"regal": "traits.email", "salesforce": "Email"}]},
                {"object": "Lead", "attributes": [
                    {"regal": "traits.phone", "salesforce": "Phone"}]},
            ],
            **options,
        }],
    }
    return validate(document).configurations[0]


def case(change_type: ChangeType = ChangeType.CREATED, changed: tuple[str, ...] = (),
         **values: Any) -> Change:
    fields = {"Id": CASE_ID, "Subject": "Broken", "Status": "New", "ContactId": CONTACT_ID,
              "Contact": CONTACT, "Owner": OWNER, **values}
    return Change("Case", CASE_ID, change_type, changed, fields, COMMIT_MS)


def built(change: Change, config: Configuration | None = None) -> list[RegalEventOut] | Skip:
    return build_regal_events(config or configuration(), change, instance_url=INSTANCE,
                              now_ms=0)


def body_of(change: Change, config: Configuration | None = None) -> dict[str, Any]:
    result = built(change, config)
    assert isinstance(result, list) and len(result) == 1
    return result[0].body


class TestCases:
    def test_created_case_sends_all_fields_owner_and_contact(self) -> None:
        """A new Case carries every field, its owner and its Contact's ids."""
        assert body_of(case()) == {
            "name": "Salesforce Case Created", "eventSource": "salesforce",
            "originalTimestamp": COMMIT_ISO,
            "traits": {"phone": "+18565597961", "email": "jo@example.com",
                       "salesforce_contact_id": CONTACT_ID},
            "salesforce_case_id": CASE_ID, "salesforceLink": f"{INSTANCE}/{CASE_ID}",
            "properties": {"Id": CASE_ID, "Subject": "Broken", "Status": "New",
                           "ContactId": CONTACT_ID, "assigned_user_name": "Sam Agent",
                           "assigned_user_email": "sam@example.com"},
        }

    def test_update_sends_only_changed_fields(self) -> None:
        """An update carries the changed fields, Id, owner and the changed names."""
        body = body_of(case(ChangeType.UPDATED, ("Status", "LastModifiedDate")))

        assert body["name"] == "Salesforce Case Updated"
        assert body["properties"] == {
            "Status": "New", "Id": CASE_ID, "updated_properties_regal": ["Status"],
            "updated_properties_sf": ["Status"], "assigned_user_name": "Sam Agent",
            "assigned_user_email": "sam@example.com"}

    def test_audit_only_update_sends_nothing(self) -> None:
        """A save that changed only audit fields is not news."""
        result = built(case(ChangeType.UPDATED, ("LastModifiedDate", "SystemModstamp")))

        assert isinstance(result, Skip) and result.code == "no_field_changed"

    def test_deleted_case_is_canceled(self) -> None:
        """Deleting a Case sends Salesforce Case Canceled with its last fields."""
        body = body_of(case(ChangeType.DELETED, IsDeleted=True))

        assert body["name"] == "Salesforce Case Canceled"
        assert body["properties"]["IsDeleted"] is True

    def test_toggle_off_sends_nothing(self) -> None:
        """outbound.case false switches Case events off."""
        result = built(case(), configuration(outbound={"case": False}))

        assert isinstance(result, Skip) and result.code == "outbound_disabled"

    def test_case_without_mapped_primary_record_sends_nothing(self) -> None:
        """A Case with no Contact or Account cannot be placed on a profile."""
        result = built(case(Contact=None, ContactId=None))

        assert isinstance(result, Skip) and result.code == "no_related_primary_record"

    def test_account_configuration_uses_the_cases_account(self) -> None:
        """Under an Accounts configuration the Case's Account speaks for it."""
        account = {"Id": ACCOUNT_ID, "Phone": "2025550100", "IsPersonAccount": False}
        body = body_of(case(Account=account), configuration("leads_and_accounts"))

        assert body["traits"] == {"phone": "+12025550100",
                                  "salesforce_account_id": ACCOUNT_ID}


class TestCaseComments:
    def comment(self, change_type: ChangeType, changed: tuple[str, ...] = ()) -> Change:
        values = {"Id": "00a1", "ParentId": CASE_ID, "CommentBody": "Called back",
                  "IsPublished": False, "Parent": {"Contact": CONTACT}}
        return Change("CaseComment", "00a1", change_type, changed, values, COMMIT_MS)

    def test_new_comment_is_added_with_its_case(self) -> None:
        """A new comment sends Added, its Case's id and the Case's Contact."""
        body = body_of(self.comment(ChangeType.CREATED))

        assert body["name"] == "Salesforce Case Comment Added"
        assert body["salesforce_case_comment_id"] == "00a1"
        assert body["salesforce_case_id"] == CASE_ID
        assert body["traits"]["salesforce_contact_id"] == CONTACT_ID
        assert body["properties"] == {"Id": "00a1", "ParentId": CASE_ID,
                                      "CommentBody": "Called back", "IsPublished": False}

    def test_changed_comment_is_edited(self) -> None:
        """An edited comment sends Edited with the changed body only."""
        body = body_of(self.comment(ChangeType.UPDATED, ("CommentBody",)))

        assert body["name"] == "Salesforce Case Comment Edited"
        assert body["properties"] == {
            "CommentBody": "Called back", "Id": "00a1",
            "updated_properties_regal": ["CommentBody"],
            "updated_properties_sf": ["CommentBody"]}


class TestCalendarEvents:
    def event(self, change_type: ChangeType = ChangeType.CREATED, **values: Any) -> Change:
        fields = {"Id": "00U1", "Subject": "Callback", "WhoId": LEAD_ID,
                  "Who": {"Id": LEAD_ID, "Phone": "2025550111"}, "Owner": OWNER, **values}
        return Change("Event", "00U1", change_type, (), fields, COMMIT_MS)

    def test_event_on_a_lead_goes_to_the_leads_profile(self) -> None:
        """An Event whose Who is a Lead carries the Lead's phone and id."""
        body = body_of(self.event())

        assert body["name"] == "Salesforce Event Created"
        assert body["traits"] == {"phone": "+12025550111", "salesforce_lead_id": LEAD_ID}
        assert body["salesforce_event_id"] == "00U1"
        assert body["properties"]["assigned_user_email"] == "sam@example.com"

    def test_event_on_an_account_under_accounts_configuration(self) -> None:
        """An Event whose What is an Account reaches that Account's profile."""
        event = self.event(Who=None, WhoId=None, What={"Id": ACCOUNT_ID, "Phone": "2025550122"})
        body = body_of(event, configuration("leads_and_accounts"))

        assert body["traits"] == {"phone": "+12025550122", "salesforce_account_id": ACCOUNT_ID}

    def test_deleted_event_is_canceled(self) -> None:
        """Deleting a calendar Event sends Salesforce Event Canceled."""
        assert body_of(self.event(ChangeType.DELETED))["name"] == "Salesforce Event Canceled"

    def test_toggle_off_sends_nothing(self) -> None:
        """outbound.event false switches calendar Event events off."""
        result = built(self.event(), configuration(outbound={"event": False}))

        assert isinstance(result, Skip) and result.code == "outbound_disabled"
