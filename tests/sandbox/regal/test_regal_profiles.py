"""Regal's identity rules, trait merging and subscription state from optIn."""

from __future__ import annotations

from typing import Any

import httpx
from regal_support import KEY_A, KEY_B, profiles, publish

PHONE_1, PHONE_2 = "+13125550147", "+13125550199"
STAMP = "2024-06-19T14:30:00Z"


def by_user(found: list[dict[str, Any]], user_id: str) -> dict[str, Any]:
    return next(p for p in found if p["userId"] == user_id)


class TestIdentity:
    async def test_raw_phone_is_stored_as_e164(self, client: httpx.AsyncClient) -> None:
        """A phone sent as Salesforce shows it is kept in E.164."""
        await publish(client, {"userId": "u1", "traits": {"phone": "(312) 555-0147"}})

        [profile] = await profiles(client)

        assert profile["phone"] == PHONE_1

    async def test_same_phone_lands_on_the_same_profile(
        self, client: httpx.AsyncClient,
    ) -> None:
        """An event whose phone is known merges into that profile, taking its userId."""
        await publish(client, {"userId": "lead-1", "traits": {"phone": PHONE_1}})
        await publish(client, {"userId": "contact-1",
                               "traits": {"phone": "312-555-0147", "title": "CFO"}})

        [profile] = await profiles(client)

        assert profile["userId"] == "contact-1"
        assert profile["traits"] == {"title": "CFO"}

    async def test_phone_held_by_another_profile_is_not_moved(
        self, client: httpx.AsyncClient,
    ) -> None:
        """A phone already on profile A stays there when profile B's event lists it."""
        await publish(client, {"userId": "a", "traits": {"phone": PHONE_1}})
        await publish(client, {"userId": "b", "traits": {"phone": PHONE_2}})

        await publish(client, {"userId": "b", "traits": {"phones": {
            PHONE_2: {"isPrimary": True}, PHONE_1: {"label": "work"}}}})

        found = await profiles(client)
        assert list(by_user(found, "a")["phones"]) == [PHONE_1]
        assert list(by_user(found, "b")["phones"]) == [PHONE_2]

    async def test_email_finds_the_profile_when_the_phone_is_new(
        self, client: httpx.AsyncClient,
    ) -> None:
        """With an unknown phone, a known email finds the profile and adds the phone."""
        await publish(client, {"userId": "u1", "traits": {"email": "jo@example.com"}})

        await publish(client, {"traits": {"phone": PHONE_1, "email": "JO@example.com"}})

        [profile] = await profiles(client)
        assert (profile["userId"], profile["phone"]) == ("u1", PHONE_1)

    async def test_user_id_finds_the_profile_last(self, client: httpx.AsyncClient) -> None:
        """With unknown phone and email, the userId finds the profile."""
        await publish(client, {"userId": "u1", "traits": {"email": "jo@example.com"}})

        await publish(client, {"userId": "u1", "traits": {"email": "jo@work.example"}})

        [profile] = await profiles(client)
        assert list(profile["emails"]) == ["jo@example.com", "jo@work.example"]
        assert profile["email"] == "jo@work.example"

    async def test_unknown_identifiers_create_a_new_profile(
        self, client: httpx.AsyncClient,
    ) -> None:
        """An event matching nothing makes a second profile."""
        await publish(client, {"userId": "u1", "traits": {"phone": PHONE_1}})
        await publish(client, {"userId": "u2", "traits": {"phone": PHONE_2}})

        assert len(await profiles(client)) == 2

    async def test_accounts_keep_separate_profiles(self, client: httpx.AsyncClient) -> None:
        """The same phone sent to two accounts makes one profile in each."""
        await publish(client, {"userId": "u1", "traits": {"phone": PHONE_1}}, key=KEY_A)
        await publish(client, {"userId": "u9", "traits": {"phone": PHONE_1}}, key=KEY_B)

        assert [p["userId"] for p in await profiles(client, KEY_B)] == ["u9"]

    async def test_latest_legacy_phone_becomes_primary(
        self, client: httpx.AsyncClient,
    ) -> None:
        """A second legacy phone becomes primary; the first stays on the profile."""
        await publish(client, {"userId": "u1", "traits": {"phone": PHONE_1}})
        await publish(client, {"userId": "u1", "traits": {"phone": PHONE_2}})

        [profile] = await profiles(client)

        assert profile["phone"] == PHONE_2
        assert set(profile["phones"]) == {PHONE_1, PHONE_2}


class TestIdentityAfterChanges:
    async def test_user_id_moves_to_the_latest_events_profile(
        self, client: httpx.AsyncClient,
    ) -> None:
        """A userId taken by another profile is found there; the old holder loses it."""
        await publish(client, {"userId": "lead-1", "traits": {"phone": PHONE_1}})
        await publish(client, {"userId": "contact-1", "traits": {"phone": PHONE_2}})

        await publish(client, {"userId": "lead-1", "traits": {"phone": PHONE_2}})

        found = await profiles(client)
        old_holder = next(p for p in found if p["phone"] == PHONE_1)
        new_holder = next(p for p in found if p["phone"] == PHONE_2)
        assert (old_holder["userId"], new_holder["userId"]) == (None, "lead-1")
        assert new_holder["timeline"][-1]["notes"] == [
            f"userId taken from profile {old_holder['profile_id']}"]
        [looked_up] = await find_profiles(client, userId="lead-1")
        assert looked_up["profile_id"] == new_holder["profile_id"]

    async def test_a_replaced_user_id_finds_no_profile(
        self, client: httpx.AsyncClient,
    ) -> None:
        """Once a profile takes a new userId, an event with the old one makes a new profile."""
        await publish(client, {"userId": "lead-1", "traits": {"phone": PHONE_1}})
        await publish(client, {"userId": "contact-1", "traits": {"phone": PHONE_1}})

        assert await find_profiles(client, userId="lead-1") == []
        await publish(client, {"userId": "lead-1", "traits": {"title": "CFO"}})

        found = await profiles(client)
        assert sorted(p["userId"] for p in found) == ["contact-1", "lead-1"]

    async def test_shared_email_finds_the_oldest_profile(
        self, client: httpx.AsyncClient,
    ) -> None:
        """An email on two profiles finds the older one, even if it got the email later."""
        await publish(client, {"userId": "older", "traits": {"phone": PHONE_1}})
        await publish(client, {"userId": "newer", "traits": {
            "phone": PHONE_2, "email": "jo@example.com"}})
        await publish(client, {"traits": {"phone": PHONE_1, "email": "jo@example.com"}})

        await publish(client, {"name": "Email Only", "traits": {"email": "JO@example.com"}})

        [looked_up] = await find_profiles(client, email="jo@example.com")
        assert looked_up["userId"] == "older"
        assert looked_up["timeline"][-1]["name"] == "Email Only"


async def find_profiles(client: httpx.AsyncClient, **identifier: str) -> list[dict[str, Any]]:
    """Return what ``GET /sandbox/profiles`` finds for one identifier."""
    answer = await client.get("/sandbox/profiles", params={"api_key": KEY_A, **identifier})
    assert answer.status_code == 200
    found: list[dict[str, Any]] = answer.json()["profiles"]
    return found


class TestTraits:
    async def test_nested_traits_merge_deeply(self, client: httpx.AsyncClient) -> None:
        """Nested objects merge key by key; scalars are replaced."""
        await publish(client, {"userId": "u1", "traits": {
            "firstName": "Jo", "address": {"city": "Chicago", "state": "IL"}}})
        await publish(client, {"userId": "u1", "traits": {
            "firstName": "Joanna", "address": {"zipcode": "60601"}}})

        [profile] = await profiles(client)

        assert profile["traits"] == {"firstName": "Joanna", "address": {
            "city": "Chicago", "state": "IL", "zipcode": "60601"}}

    async def test_timeline_records_each_accepted_event(
        self, client: httpx.AsyncClient,
    ) -> None:
        """Each event lands on the profile's timeline with its name and log index."""
        await publish(client, {"userId": "u1", "traits": {"phone": PHONE_1}})
        await publish(client, {"userId": "u1", "name": "Salesforce Contact Updated",
                               "properties": {"updated_properties_sf": ["Title"]}})

        [profile] = await profiles(client)

        timeline = [(t["name"], t["event_index"]) for t in profile["timeline"]]
        assert timeline == [("identify", 0), ("Salesforce Contact Updated", 1)]


class TestSubscriptions:
    async def test_voice_and_sms_opt_in_apply_to_the_events_phone(
        self, client: httpx.AsyncClient,
    ) -> None:
        """optIn voice and sms set the subscription of the phone in the event."""
        await publish(client, {"userId": "u1", "traits": {"phone": PHONE_1, "optIn": [
            {"channel": "voice", "subscribed": True, "timestamp": STAMP},
            {"channel": "sms", "subscribed": False, "timestamp": STAMP}]}})

        [profile] = await profiles(client)

        phone = profile["phones"][PHONE_1]
        assert (phone["voice"]["subscribed"], phone["sms"]["subscribed"]) == (True, False)

    async def test_email_opt_in_applies_to_the_events_email(
        self, client: httpx.AsyncClient,
    ) -> None:
        """optIn email sets the subscription of the email in the event."""
        await publish(client, {"userId": "u1", "traits": {
            "email": "jo@example.com",
            "optIn": [{"channel": "email", "subscribed": True, "timestamp": STAMP,
                       "source": "Brand.web_form"}]}})

        [profile] = await profiles(client)

        assert profile["subscriptions"]["email"]["subscribed"] is True
        assert profile["emails"]["jo@example.com"]["email"]["source"] == "Brand.web_form"

    async def test_later_opt_out_replaces_the_opt_in(self, client: httpx.AsyncClient) -> None:
        """The latest optIn for a channel wins."""
        for subscribed in (True, False):
            await publish(client, {"userId": "u1", "traits": {"phone": PHONE_1, "optIn": [
                {"channel": "sms", "subscribed": subscribed, "timestamp": STAMP}]}})

        [profile] = await profiles(client)

        assert profile["subscriptions"]["sms"]["subscribed"] is False

    async def test_opt_in_without_timestamp_is_ignored(
        self, client: httpx.AsyncClient,
    ) -> None:
        """An optIn with no timestamp changes nothing and is noted on the timeline."""
        await publish(client, {"userId": "u1", "traits": {"phone": PHONE_1, "optIn": [
            {"channel": "sms", "subscribed": True}]}})

        [profile] = await profiles(client)

        assert profile["subscriptions"]["sms"] is None
        assert "no timestamp" in profile["timeline"][0]["notes"][0]

    async def test_phones_form_carries_opt_ins(self, client: httpx.AsyncClient) -> None:
        """The newer phones form sets primary phone, label and per-channel opt-ins."""
        await publish(client, {"userId": "u1", "traits": {"phones": {
            PHONE_2: {"label": "home"},
            PHONE_1: {"isPrimary": True, "label": "mobile", "smsOptIn": True}}}})

        [profile] = await profiles(client)

        assert profile["phone"] == PHONE_1
        assert profile["phones"][PHONE_1]["label"] == "mobile"
        assert profile["subscriptions"]["sms"]["subscribed"] is True
