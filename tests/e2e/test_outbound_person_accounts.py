"""Person Accounts reach Regal once per change although Salesforce emits two events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from outbound_support import (
    apply_configuration,
    attribute,
    configuration,
    events_about,
    wait_for_events,
    without_timestamps,
)
from suite_harness import SuiteHandle, running_suite

pytestmark = pytest.mark.e2e

PERSON = {"object": "PersonAccount", "attributes": [
    attribute("traits.firstName", "FirstName"), attribute("traits.lastName", "LastName"),
    attribute("traits.phone", "PersonMobilePhone"), attribute("traits.email", "PersonEmail"),
]}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("outbound-person")) as handle:
        apply_configuration(handle, configuration("leads_and_person_accounts", [PERSON]))
        yield handle


def new_person(suite: SuiteHandle) -> dict[str, Any]:
    sf = suite.salesforce()
    record_type = sf.query("SELECT Id FROM RecordType "
                           "WHERE DeveloperName = 'PersonAccount'")["records"][0]["Id"]
    account_id = sf.Account.create({
        "RecordTypeId": record_type, "FirstName": "Ana", "LastName": "Ruiz",
        "PersonMobilePhone": "(973) 587-2432", "PersonEmail": "ana@example.com"})["id"]
    account: dict[str, Any] = sf.Account.get(account_id)
    return account


def person_events(suite: SuiteHandle, account_id: str, count: int) -> list[dict[str, Any]]:
    return wait_for_events(
        suite, lambda: events_about(suite, "salesforce_account_id", account_id), count)


class TestPersonAccounts:
    def test_created_person_account_sends_one_event(self, suite: SuiteHandle) -> None:
        """One Person Account Created event, without userId (no userId mapping) (O2)."""
        account = new_person(suite)
        account_id = account["Id"]
        [created] = person_events(suite, account_id, 1)
        instance = suite.endpoints["salesforce"]["instance_url"]

        assert without_timestamps(created) == {
            "name": "Salesforce Person Account Created", "eventSource": "salesforce",
            "traits": {
                "firstName": "Ana", "lastName": "Ruiz", "phone": "+19735872432",
                "email": "ana@example.com", "salesforceLink": f"{instance}/{account_id}",
                "salesforce_account_id": account_id,
                "optIn": [{"channel": "voice", "subscribed": True},
                          {"channel": "sms", "subscribed": True},
                          {"channel": "email", "subscribed": False}],
            },
        }

    def test_update_through_the_person_contact_sends_one_event(
            self, suite: SuiteHandle) -> None:
        """An edit of the person Contact is one Person Account Updated event, not two."""
        account = new_person(suite)
        account_id = account["Id"]
        person_events(suite, account_id, 1)
        sf = suite.salesforce()
        sf.Contact.update(account["PersonContactId"], {"Email": "ana.ruiz@example.com"})
        sf.Account.update(account_id, {"FirstName": "marker"})
        events = person_events(suite, account_id, 3)

        assert [e["name"] for e in events] == ["Salesforce Person Account Created",
                                               "Salesforce Person Account Updated",
                                               "Salesforce Person Account Updated"]
        assert events[1]["properties"] == {"updated_properties_regal": ["traits.email"],
                                           "updated_properties_sf": ["PersonEmail"]}
        assert events[1]["traits"]["optIn"] == [
            {"channel": "email", "subscribed": False,
             "timestamp": events[1]["originalTimestamp"]}]
        assert all("salesforce_contact_id" not in e["traits"] for e in suite.regal_events())
