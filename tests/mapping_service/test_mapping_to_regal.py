"""Specify the Regal events built from Salesforce record changes (O2-O4, O6-O10)."""

from __future__ import annotations

from typing import Any

from mapping_service.domain.changes import RelatedRecord
from mapping_service.domain.configuration import validate
from mapping_service.domain.model import Configuration
from mapping_service.domain.to_regal import (
    Change,
    ChangeType,
    MappingProblem,
    RegalEventOut,
    Skip,
    build_regal_events,
)

INSTANCE = "https://acme.my.salesforce.com"
CONTACT_ID = "0038c000036blDJAAY"
COMMIT_MS = 1_718_805_229_000
COMMIT_ISO = "2024-06-19T13:53:49.000Z"
CONTACT_VALUES: dict[str, Any] = {
    "FirstName": "John",
    "LastName": "Doe",
    "Phone": "(856) 559-7961",
    "Email": "john.doe@example.com",
    "Title": "some title",
    "MailingStreet": "123 sesame st",
    "MailingCity": "somewhere",
    "SMS_Opt_In__c": False,
}


def configuration(
    contact_attributes: list[dict[str, str]] | None = None,
    desired: str = "leads_and_contacts",
    extra_mappings: list[dict[str, Any]] | None = None,
) -> Configuration:
    """Build an active configuration mapping Contacts (the guide's example fields)."""
    attributes = contact_attributes if contact_attributes is not None else [
        {"regal": "traits.firstName", "salesforce": "FirstName"},
        {"regal": "traits.lastName", "salesforce": "LastName"},
        {"regal": "traits.phone", "salesforce": "Phone"},
        {"regal": "traits.email", "salesforce": "Email"},
        {"regal": "traits.title", "salesforce": "Title"},
        {"regal": "traits.address.street", "salesforce": "MailingStreet"},
        {"regal": "traits.address.city", "salesforce": "MailingCity"},
        {"regal": "optIn.sms.subscribed", "salesforce": "SMS_Opt_In__c"},
    ]
    converted = "PersonAccount" if desired == "leads_and_person_accounts" else "Contact"
    document = {
        "tenant": "acme",
        "salesforce": {"login_url": "https://login.salesforce.com", "auth": {
            "flow": "client_credentials", "client_id": "id", "client_secret": "${S}"}},
        "regal": {"api_key": "${K}"},
        "configurations": [{
            "name": "Main",
            "active": True,
            "desired_objects": desired,
            "subscribed_by_default": {"voice": True, "sms": True, "email": True},
            "object_mappings": [
                {"object": converted, "attributes": attributes},
                *(extra_mappings or []),
            ],
        }],
    }
    return validate(document).configurations[0]


def contact_change(
    change_type: ChangeType = ChangeType.CREATED,
    changed: tuple[str, ...] = (),
    values: dict[str, Any] | None = None,
    **extra: Any,
) -> Change:
    """Build a change of the example Contact."""
    return Change(
        object_type="Contact",
        record_id=CONTACT_ID,
        change_type=change_type,
        changed_fields=changed,
        values=CONTACT_VALUES if values is None else values,
        commit_timestamp_ms=COMMIT_MS,
        **extra,
    )


def one_event(config: Configuration, change: Change) -> RegalEventOut:
    """Build the events of a change and return the single one expected."""
    result = build_regal_events(config, change, instance_url=INSTANCE, now_ms=0)
    assert isinstance(result, list) and len(result) == 1
    return result[0]


def skip_code(config: Configuration, change: Change) -> str:
    """Build the events of a change that must send nothing; return the reason."""
    result = build_regal_events(config, change, instance_url=INSTANCE, now_ms=0)
    assert isinstance(result, Skip)
    return result.code


class TestPrimaryCreate:
    def test_contact_created_body(self) -> None:
        """A created Contact sends every mapped field, its link, id and opt-ins."""
        event = one_event(configuration(), contact_change())

        assert event.body == {
            "name": "Salesforce Contact Created",
            "eventSource": "salesforce",
            "originalTimestamp": COMMIT_ISO,
            "traits": {
                "firstName": "John",
                "lastName": "Doe",
                "phone": "+18565597961",
                "email": "john.doe@example.com",
                "title": "some title",
                "address": {"street": "123 sesame st", "city": "somewhere"},
                "salesforceLink": f"{INSTANCE}/{CONTACT_ID}",
                "salesforce_contact_id": CONTACT_ID,
                "optIn": [
                    {"channel": "voice", "subscribed": True, "timestamp": COMMIT_ISO},
                    {"channel": "sms", "subscribed": False, "timestamp": COMMIT_ISO},
                    {"channel": "email", "subscribed": True, "timestamp": COMMIT_ISO},
                ],
            },
        }
        assert event.ordering_key == CONTACT_ID

    def test_no_user_id_without_mapping(self) -> None:
        """Without a userId mapping the event has no userId."""
        event = one_event(configuration(), contact_change())

        assert "userId" not in event.body

    def test_user_id_from_mapping(self) -> None:
        """A userId mapping to Id sends the record id as userId."""
        config = configuration([{"regal": "userId", "salesforce": "Id"}])

        event = one_event(config, contact_change())

        assert event.body["userId"] == CONTACT_ID

    def test_record_without_phone_still_sends(self) -> None:
        """A record with no phone value still produces an event."""
        values = {**CONTACT_VALUES, "Phone": None}

        event = one_event(configuration(), contact_change(values=values))

        assert event.body["traits"]["phone"] is None

    def test_to_salesforce_fields_stay_home(self) -> None:
        """Fields mapped only towards Salesforce are not sent to Regal."""
        config = configuration([
            {"regal": "traits.lastName", "salesforce": "LastName"},
            {"regal": "traits.title", "salesforce": "Title", "direction": "to_salesforce"},
        ])

        traits = one_event(config, contact_change()).body["traits"]

        assert "title" not in traits and traits["lastName"] == "Doe"


class TestPrimaryUpdate:
    def test_updated_body_matches_guide_shape(self) -> None:
        """An update lists the changed fields by Regal and Salesforce names."""
        config = configuration([
            {"regal": "traits.firstName", "salesforce": "FirstName"},
            {"regal": "traits.lastName", "salesforce": "LastName"},
            {"regal": "traits.phone", "salesforce": "Phone"},
            {"regal": "traits.email", "salesforce": "Email"},
            {"regal": "traits.title", "salesforce": "Title"},
            {"regal": "traits.address.street", "salesforce": "MailingStreet"},
            {"regal": "traits.address.city", "salesforce": "MailingCity"},
            {"regal": "userId", "salesforce": "Id"},
        ])
        change = contact_change(
            ChangeType.UPDATED, ("LastName", "Email", "Title", "MailingAddress.Street")
        )

        event = one_event(config, change)

        assert event.body == {
            "name": "Salesforce Contact Updated",
            "eventSource": "salesforce",
            "originalTimestamp": COMMIT_ISO,
            "userId": CONTACT_ID,
            "traits": {
                "firstName": "John",
                "lastName": "Doe",
                "phone": "+18565597961",
                "email": "john.doe@example.com",
                "title": "some title",
                "address": {"street": "123 sesame st", "city": "somewhere"},
                "salesforceLink": f"{INSTANCE}/{CONTACT_ID}",
                "salesforce_contact_id": CONTACT_ID,
                "optIn": [
                    {"channel": "email", "subscribed": True, "timestamp": COMMIT_ISO},
                ],
            },
            "properties": {
                "updated_properties_regal": [
                    "traits.lastName", "traits.email", "traits.title",
                    "traits.address.street",
                ],
                "updated_properties_sf": ["LastName", "Email", "Title", "MailingStreet"],
            },
        }

    def test_unmapped_field_update_sends_nothing(self) -> None:
        """An update that touches no mapped field is skipped."""
        change = contact_change(ChangeType.UPDATED, ("Department", "LastModifiedDate"))

        assert skip_code(configuration(), change) == "no_mapped_field_changed"

    def test_other_updates_carry_no_opt_in(self) -> None:
        """Changing a name re-sends traits but no opt-in."""
        event = one_event(configuration(), contact_change(ChangeType.UPDATED, ("FirstName",)))

        assert "optIn" not in event.body["traits"]

    def test_phone_change_sends_voice_and_sms_opt_in(self) -> None:
        """A phone change sends voice and sms opt-ins: checkbox value, else default."""
        event = one_event(configuration(), contact_change(ChangeType.UPDATED, ("Phone",)))

        assert event.body["traits"]["optIn"] == [
            {"channel": "voice", "subscribed": True, "timestamp": COMMIT_ISO},
            {"channel": "sms", "subscribed": False, "timestamp": COMMIT_ISO},
        ]

    def test_opt_in_checkbox_change_sends_its_channel(self) -> None:
        """Ticking the mapped sms checkbox sends the sms opt-in."""
        values = {**CONTACT_VALUES, "SMS_Opt_In__c": True}
        change = contact_change(ChangeType.UPDATED, ("SMS_Opt_In__c",), values)

        event = one_event(configuration(), change)

        assert event.body["traits"]["optIn"] == [
            {"channel": "sms", "subscribed": True, "timestamp": COMMIT_ISO},
        ]

    def test_undeleted_record_resends_traits_without_opt_in(self) -> None:
        """An undeleted record sends an Updated event with its traits, no opt-in."""
        event = one_event(configuration(), contact_change(ChangeType.UNDELETED))

        assert event.body["name"] == "Salesforce Contact Updated"
        assert event.body["traits"]["lastName"] == "Doe"
        assert "optIn" not in event.body["traits"]

    def test_deleted_record_sends_nothing(self) -> None:
        """A deleted primary record sends no event."""
        change = contact_change(ChangeType.DELETED, values={})

        assert skip_code(configuration(), change) == "record_deleted"


class TestValues:
    def test_values_keep_json_types(self) -> None:
        """Numbers, booleans and multi-select picklists keep their JSON types."""
        config = configuration([
            {"regal": "traits.score", "salesforce": "Score__c"},
            {"regal": "traits.vip", "salesforce": "VIP__c"},
            {"regal": "traits.products", "salesforce": "Products__c"},
            {"regal": "traits.renewal", "salesforce": "Renewal__c"},
        ])
        values = {"Score__c": 42.5, "VIP__c": True, "Products__c": "Home;Auto",
                  "Renewal__c": 19_893}
        types = {"Products__c": "multipicklist", "Renewal__c": "date"}

        traits = one_event(config, contact_change(values=values, field_types=types)).body[
            "traits"
        ]

        assert traits["score"] == 42.5
        assert traits["vip"] is True
        assert traits["products"] == ["Home", "Auto"]
        assert traits["renewal"] == "2024-06-19"

    def test_text_with_quotes_and_newlines_is_intact(self) -> None:
        """Quotes, commas and line breaks pass through untouched."""
        title = 'He said "yes",\nthen left'
        values = {**CONTACT_VALUES, "Title": title}

        event = one_event(configuration(), contact_change(values=values))

        assert event.body["traits"]["title"] == title

    def test_broken_mapping_does_not_block_the_others(self) -> None:
        """A mapped field missing from the record is left out and reported."""
        values = {k: v for k, v in CONTACT_VALUES.items() if k != "Title"}

        event = one_event(configuration(), contact_change(values=values))

        assert "title" not in event.body["traits"]
        assert event.body["traits"]["lastName"] == "Doe"
        assert event.problems == (
            MappingProblem("traits.title", "Title", "field missing from the record"),
        )


class TestPersonAccounts:
    def test_person_account_created(self) -> None:
        """An Account change under a Person Account mapping speaks as Person Account."""
        config = configuration(
            [{"regal": "traits.phone", "salesforce": "PersonMobilePhone"}],
            desired="leads_and_person_accounts",
        )
        change = Change("Account", "001A", ChangeType.CREATED,
                        values={"PersonMobilePhone": "+15550100", "IsPersonAccount": True},
                        commit_timestamp_ms=COMMIT_MS)

        body = one_event(config, change).body

        assert body["name"] == "Salesforce Person Account Created"
        assert body["traits"]["salesforce_account_id"] == "001A"
        assert body["traits"]["phone"] == "+15550100"

    def test_business_account_skipped_under_person_accounts(self) -> None:
        """A business Account sends nothing when Person Accounts are synced."""
        config = configuration([], desired="leads_and_person_accounts")
        change = Change("Account", "001B", ChangeType.CREATED,
                        values={"IsPersonAccount": False})

        assert skip_code(config, change) == "not_a_person_account"


OPPORTUNITY_VALUES = {"Name": "Renewal", "StageName": "Needs Analysis", "Amount": 456.0}
RELATED = RelatedRecord("Contact", CONTACT_ID, {"Phone": "9735872432"})


def opportunity_change(
    change_type: ChangeType = ChangeType.CREATED, changed: tuple[str, ...] = ()
) -> Change:
    """Build a change of an Opportunity related to the example Contact."""
    return Change("Opportunity", "006A", change_type, changed, OPPORTUNITY_VALUES,
                  COMMIT_MS, related=RELATED)


class TestOpportunities:
    def test_unmapped_opportunity_created_sends_all_fields(self) -> None:
        """Without Opportunity mappings every field goes under its API name."""
        config = configuration([{"regal": "traits.phone", "salesforce": "Phone"}])

        body = one_event(config, opportunity_change()).body

        assert body == {
            "name": "Salesforce Opportunity Created",
            "eventSource": "salesforce",
            "originalTimestamp": COMMIT_ISO,
            "traits": {"phone": "+19735872432", "salesforce_contact_id": CONTACT_ID},
            "salesforce_opportunity_id": "006A",
            "salesforceLink": f"{INSTANCE}/006A",
            "properties": {**OPPORTUNITY_VALUES, "Id": "006A"},
        }

    def test_mapped_opportunity_update_sends_changed_mapped_fields(self) -> None:
        """With mappings only changed mapped fields travel, under mapped names."""
        config = configuration(
            [{"regal": "traits.phone", "salesforce": "Phone"}],
            extra_mappings=[{"object": "Opportunity", "attributes": [
                {"regal": "properties.amount", "salesforce": "Amount"},
                {"regal": "properties.stage", "salesforce": "StageName"},
            ]}],
        )

        body = one_event(config, opportunity_change(ChangeType.UPDATED, ("Amount",))).body

        assert body["properties"] == {
            "amount": 456.0,
            "Id": "006A",
            "updated_properties_regal": ["properties.amount"],
            "updated_properties_sf": ["Amount"],
        }

    def test_mapped_opportunity_unmapped_change_sends_nothing(self) -> None:
        """With mappings, a change to an unmapped field sends nothing."""
        config = configuration(
            [{"regal": "traits.phone", "salesforce": "Phone"}],
            extra_mappings=[{"object": "Opportunity", "attributes": [
                {"regal": "properties.amount", "salesforce": "Amount"},
            ]}],
        )

        change = opportunity_change(ChangeType.UPDATED, ("Description",))

        assert skip_code(config, change) == "no_mapped_field_changed"
