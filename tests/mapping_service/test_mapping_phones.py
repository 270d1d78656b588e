"""Specify how phones and change sources are read and sent (issue 4, items 2 and 4)."""

from __future__ import annotations

from typing import Any

import pytest

from mapping_service.domain.changes import Change, ChangeType
from mapping_service.domain.configuration import ConfigurationError, validate
from mapping_service.domain.model import ChangeSource, Configuration
from mapping_service.domain.phones import e164
from mapping_service.domain.to_regal import Skip, build_regal_events


def parse(**options: Any) -> Configuration:
    document = {
        "tenant": "acme",
        "salesforce": {"login_url": "https://login.salesforce.com", "auth": {
            "flow": "client_credentials", "client_id": "id", "client_secret": "${S}"}},
        "regal": {"api_key": "${K}"},
        "configurations": [{
            "name": "Main", "active": True, "desired_objects": "leads_only",
            "object_mappings": [{"object": "Lead", "attributes": [
                {"regal": "traits.phone", "salesforce": "Phone"},
                {"regal": "traits.mobile", "salesforce": "MobilePhone"},
            ]}],
            **options,
        }],
    }
    config = validate(document).active_configuration()
    assert config is not None
    return config


def lead_traits(config: Configuration, **values: Any) -> dict[str, Any]:
    change = Change("Lead", "00Q000000000001AAA", ChangeType.CREATED, values=values)
    built = build_regal_events(config, change, instance_url="https://x", now_ms=0)
    assert not isinstance(built, Skip)
    traits: dict[str, Any] = built[0].body["traits"]
    return traits


class TestPhones:
    @pytest.mark.parametrize(("stored", "sent"), [
        ("(856) 559-7961", "+18565597961"),
        ("856.559.7961", "+18565597961"),
        ("1 856 559 7961", "+18565597961"),
        ("+44 20 7946 0958", "+442079460958"),
    ])
    def test_parsable_phones_go_out_in_e164(self, stored: str, sent: str) -> None:
        """A number that parses for the default region is sent as E.164."""
        assert lead_traits(parse(), Phone=stored)["phone"] == sent

    @pytest.mark.parametrize("stored", ["12", "ext. 55", "call reception", ""])
    def test_unparsable_phones_go_out_as_stored(self, stored: str) -> None:
        """Anything that is not a possible number is sent exactly as stored."""
        assert lead_traits(parse(), Phone=stored)["phone"] == stored

    def test_every_phone_field_is_normalised(self) -> None:
        """Fields named *Phone count as phones without describe types."""
        assert lead_traits(parse(), MobilePhone="(415) 555-0100")["mobile"] == "+14155550100"

    def test_default_region_is_configurable(self) -> None:
        """A UK tenant reads national numbers as UK numbers."""
        config = parse(default_phone_region="GB")
        assert lead_traits(config, Phone="020 7946 0958")["phone"] == "+442079460958"

    def test_us_is_the_default_region(self) -> None:
        """Without the option, national numbers are read as US numbers."""
        assert parse().default_phone_region == "US"
        assert e164("020 7946 0958", "US") == "020 7946 0958"

    def test_region_must_be_a_code(self) -> None:
        """A region that is not two capital letters is refused with its path."""
        with pytest.raises(ConfigurationError) as caught:
            parse(default_phone_region="usa")
        assert caught.value.errors[0].path == "configurations[0].default_phone_region"


class TestChangeSources:
    def test_change_events_by_default_and_case_comments_always_polled(self) -> None:
        """Objects use change events unless chosen otherwise; CaseComment has none."""
        sources = parse().change_sources
        assert sources.source_of("Contact") is ChangeSource.EVENTS
        assert sources.source_of("CaseComment") is ChangeSource.POLLING

    def test_an_object_can_be_switched_to_polling(self) -> None:
        """``change_sources.objects`` picks polling per object, with an interval."""
        sources = parse(change_sources={"objects": {"Contact": "polling"},
                                        "polling_interval_seconds": 5}).change_sources
        assert sources.source_of("Contact") is ChangeSource.POLLING
        assert sources.source_of("Lead") is ChangeSource.EVENTS
        assert sources.polling_interval_seconds == 5.0

    def test_the_choice_round_trips(self) -> None:
        """The document form parses back to the same choice."""
        config = parse(change_sources={"default": "polling", "objects": {"Lead": "events"}})
        rendered = config.to_json_dict()["change_sources"]
        assert parse(change_sources=rendered).change_sources == config.change_sources


class TestLeadConversion:
    def test_a_converted_lead_sends_nothing(self) -> None:
        """After conversion the converted record speaks for the profile (O5)."""
        change = Change("Lead", "00Q000000000001AAA", ChangeType.UPDATED,
                        changed_fields=("Phone",),
                        values={"Phone": "2125550199", "IsConverted": True})
        built = build_regal_events(parse(), change, instance_url="https://x", now_ms=0)
        assert isinstance(built, Skip) and built.code == "lead_converted"
