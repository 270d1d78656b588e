"""Reporting webhooks: envelopes, realistic properties, retries, timeouts, replay."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from regal_support import KEY_A, Receiver, add_webhook, publish

PHONE = "+13125550147"
EMAIL = "jordan@example.com"
SECRET = {"X-Regal-Sync-Secret": "s3cret"}

# Property names of each event type, as Regal's documented examples show them.
SAMPLE_PROPERTIES: dict[str, set[str]] = {
    "call.completed": {
        "agent_email", "agent_firstname", "agent_fullname", "call_id",
        "campaign_friendly_id", "campaign_name", "completed_at", "contact_phone",
        "conversation_happened", "direction", "disposition", "ended_at", "handle_time",
        "journey_friendly_id", "journey_name", "journey_uuid", "notes", "objections",
        "regal_voice_phone", "regal_voice_phone_internal_name", "started_at",
        "talk_time", "type", "wrapup_time",
    },
    "call.recording.available": {
        "agent_email", "call_id", "call_sid", "campaign_friendly_id", "campaign_name",
        "contact_phone", "direction", "disposition", "ended_at", "journey_friendly_id",
        "journey_name", "journey_uuid", "notes", "objections", "recording_link",
        "regal_voice_phone", "regal_voice_phone_internal_name", "started_at",
        "talk_time", "type",
    },
    "contact.subscribed": {
        "channel", "ip", "new_subscription", "source", "text", "timestamp",
    },
    "contact.unsubscribed": {
        "channel", "ip", "new_subscription", "source", "text", "timestamp",
    },
    "contact.attribute.edited": {
        "agent_email", "changes", "contact_phone", "created_at",
    },
    "contact.experiment.assigned": {
        "experiment_id", "experiment_name", "experiment_variant", "journey_friendly_id",
        "journey_name", "journey_uuid",
    },
    "sms.conversation.completed": {
        "agent_firstname", "agent_fullname", "agent_id", "completed_at",
        "contact_phone", "content", "conversation_happened", "direction", "disposition",
        "ended_at", "handle_time", "journey_friendly_id", "journey_name",
        "journey_uuid", "notes", "objections", "regal_voice_phone",
        "regal_voice_phone_internal_name", "sms_conversation_id", "started_at",
        "talk_time", "type", "wrapup_time",
    },
    "sms.sent": {
        "agent_fullname", "agent_id", "contact_phone", "content", "direction",
        "from_number", "media_url", "regal_voice_phone", "sms_conversation_id",
        "sms_message_id", "to_number",
    },
    "sms.received": {
        "agent_fullname", "agent_id", "contact_phone", "content", "direction",
        "from_number", "media_url", "regal_voice_phone",
        "regal_voice_phone_internal_name", "sms_conversation_id", "sms_message_id",
        "to_number",
    },
    "mms.sent": {
        "agent_email", "agent_fullname", "agent_id", "contact_phone", "content",
        "direction", "from_number", "media_url", "regal_voice_phone",
        "regal_voice_phone_internal_name", "related_object_id", "related_object_type",
        "sms_conversation_id", "sms_message_id", "to_number",
    },
    "mms.received": {
        "agent_email", "agent_fullname", "agent_id", "contact_phone", "content",
        "direction", "from_number", "media_url", "regal_voice_phone",
        "regal_voice_phone_internal_name", "related_object_id", "related_object_type",
        "sms_conversation_id", "sms_message_id", "to_number",
    },
    "task.created": {
        "campaign_friendly_id", "campaign_name", "channel", "contact_phone",
        "direction", "journey_friendly_id", "journey_name", "journey_uuid", "queue",
        "regal_voice_phone", "regal_voice_phone_internal_name",
        "scheduling_agent_fullname", "scheduling_agent_id", "target_agent_fullname",
        "target_agent_id", "task_id", "type",
    },
    "task.canceled": {
        "campaign_friendly_id", "campaign_name", "cancelation_notes",
        "cancelation_reason", "cancelation_source", "canceled_by", "channel",
        "contact_phone", "direction", "journey_friendly_id", "journey_name",
        "journey_uuid", "queue", "regal_voice_phone", "regal_voice_phone_internal_name",
        "target_agent_fullname", "target_agent_id", "task_id", "type",
    },
}


@pytest.fixture
async def contact(client: httpx.AsyncClient) -> None:
    """Create the profile the triggers speak about."""
    answer = await publish(client, {"userId": "0031", "traits": {
        "phone": PHONE, "email": EMAIL, "policy_type": "Renters"}})
    assert answer.status_code == 200


async def trigger(
    client: httpx.AsyncClient, event_type: str, **options: Any,
) -> dict[str, Any]:
    """Trigger ``event_type`` for the contact and return the sandbox's answer."""
    body = {"api_key": KEY_A, "event_type": event_type,
            "profile": {"userId": "0031"}, **options}
    answer = await client.post("/sandbox/trigger", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def delivered(client: httpx.AsyncClient, event_type: str) -> dict[str, Any]:
    """Trigger ``event_type`` and return the properties the receiver got."""
    properties: dict[str, Any] = (await trigger(client, event_type))["event"]["properties"]
    return properties


@pytest.mark.usefixtures("contact")
class TestTriggeredEvents:
    @pytest.mark.parametrize("event_type", sorted(SAMPLE_PROPERTIES))
    async def test_event_arrives_in_regals_envelope(
        self, client: httpx.AsyncClient, receiver: Receiver, event_type: str,
    ) -> None:
        """Each of the 13 types reaches the receiver in the envelope, headers and fields."""
        await add_webhook(client, receiver, headers=SECRET)

        await trigger(client, event_type)

        arrival = receiver.received[0]
        body = json.loads(arrival.body)
        assert arrival.headers["X-Regal-Sync-Secret"] == "s3cret"
        assert arrival.headers["Content-Type"] == "application/json"
        assert list(body) == ["userId", "traits", "name", "properties",
                              "originalTimestamp", "eventSource", "eventId"]
        assert (body["userId"], body["name"], body["eventSource"]) == (
            "0031", event_type, "Regal Voice")
        assert (body["traits"]["phone"], body["traits"]["email"]) == (PHONE, EMAIL)
        assert re.fullmatch(r"[0-9a-f]{32}", body["eventId"])
        assert body["originalTimestamp"].isdigit()
        assert set(body["properties"]) == SAMPLE_PROPERTIES[event_type]

    async def test_call_times_add_up(self, client: httpx.AsyncClient) -> None:
        """talk = ended - started, wrap-up = completed - ended, handle = their sum."""
        call = await delivered(client, "call.completed")

        assert call["talk_time"] == call["ended_at"] - call["started_at"]
        assert call["wrapup_time"] == call["completed_at"] - call["ended_at"]
        assert call["handle_time"] == call["talk_time"] + call["wrapup_time"]

    async def test_call_envelope_time_is_completion(self, client: httpx.AsyncClient) -> None:
        """A completed call's originalTimestamp is its completed_at."""
        event = (await trigger(client, "call.completed"))["event"]

        assert event["originalTimestamp"] == str(event["properties"]["completed_at"])

    async def test_overrides_merge_and_durations_follow(
        self, client: httpx.AsyncClient,
    ) -> None:
        """Overridden call times and agent replace generated ones; durations follow."""
        times = {"started_at": 1718805000, "ended_at": 1718805184,
                 "completed_at": 1718805229}
        call = (await trigger(client, "call.completed", properties={
            **times, "agent_email": "pat@example.com", "disposition": "Sale Completed",
        }))["event"]["properties"]

        assert (call["talk_time"], call["wrapup_time"], call["handle_time"]) == (
            184, 45, 229)
        assert (call["agent_email"], call["disposition"]) == (
            "pat@example.com", "Sale Completed")

    async def test_recording_belongs_to_the_last_call(self, client: httpx.AsyncClient) -> None:
        """call.recording.available carries the call_id of the call before it."""
        call = await delivered(client, "call.completed")

        recording = await delivered(client, "call.recording.available")

        assert recording["call_id"] == call["call_id"]
        assert recording["recording_link"].endswith(".mp3")

    async def test_sms_events_share_a_conversation(self, client: httpx.AsyncClient) -> None:
        """sms.sent, sms.received and the completion share one sms_conversation_id."""
        sent = await delivered(client, "sms.sent")
        received = await delivered(client, "sms.received")
        completed = await delivered(client, "sms.conversation.completed")

        ids = {sent["sms_conversation_id"], received["sms_conversation_id"],
               completed["sms_conversation_id"]}
        assert len(ids) == 1
        assert [m[1:] for m in completed["content"]] == [
            ["Agent", "sent", sent["content"]], ["Contact", "received", received["content"]]]

    async def test_completed_conversation_is_closed(self, client: httpx.AsyncClient) -> None:
        """An SMS after a completed conversation starts a new conversation id."""
        first = await delivered(client, "sms.sent")
        await delivered(client, "sms.conversation.completed")

        second = await delivered(client, "sms.sent")

        assert second["sms_conversation_id"] != first["sms_conversation_id"]

    async def test_received_sms_comes_from_the_contact(self, client: httpx.AsyncClient) -> None:
        """An inbound SMS goes from the contact's phone to the Regal line."""
        received = await delivered(client, "sms.received")

        assert received["from_number"] == PHONE
        assert received["to_number"] == received["regal_voice_phone"]

    async def test_attribute_edit_carries_old_and_new_value(
        self, client: httpx.AsyncClient,
    ) -> None:
        """An attribute edit names the profile's old value and updates the profile."""
        edit = (await trigger(client, "contact.attribute.edited", properties={
            "changes": {"custom_properties": {"policy_type": {"new_value": "Auto"}}}}))

        change = edit["event"]["properties"]["changes"]["custom_properties"]["policy_type"]
        assert change == {"old_value": "Renters", "new_value": "Auto"}
        found = (await client.get("/sandbox/profiles", params={"userId": "0031"})).json()
        assert found["profiles"][0]["traits"]["policy_type"] == "Auto"

    async def test_unsubscribe_changes_the_profile(self, client: httpx.AsyncClient) -> None:
        """contact.unsubscribed for voice records the opt-out on the profile."""
        event = (await trigger(client, "contact.unsubscribed",
                               properties={"channel": "voice"}))["event"]

        assert event["traits"]["ip"] == event["properties"]["ip"]
        found = (await client.get("/sandbox/profiles", params={"userId": "0031"})).json()
        assert found["profiles"][0]["subscriptions"]["voice"]["subscribed"] is False

    async def test_canceled_task_is_the_created_one(self, client: httpx.AsyncClient) -> None:
        """task.canceled names the task_id task.created announced."""
        created = await delivered(client, "task.created")

        canceled = await delivered(client, "task.canceled")

        assert canceled["task_id"] == created["task_id"]

    async def test_each_trigger_gets_a_fresh_event_id(self, client: httpx.AsyncClient) -> None:
        """Two triggers of the same type carry different eventIds."""
        first = (await trigger(client, "sms.sent"))["event"]["eventId"]
        second = (await trigger(client, "sms.sent"))["event"]["eventId"]

        assert first != second

    async def test_alternate_envelope_on_request(self, client: httpx.AsyncClient) -> None:
        """envelope "alternate" sends Regal's second shape with the profile id."""
        event = (await trigger(client, "call.completed", envelope="alternate"))["event"]

        assert list(event) == ["brand", "event_id", "event_type", "original_timestamp",
                               "profile_id", "source", "properties"]
        assert event["event_type"] == "call.completed"

    async def test_receiver_gets_only_the_types_it_asked_for(
        self, client: httpx.AsyncClient, receiver: Receiver,
    ) -> None:
        """A webhook configured for call.completed gets no sms.sent."""
        await add_webhook(client, receiver, event_types=["call.completed"])

        await trigger(client, "sms.sent")
        await trigger(client, "call.completed")

        assert [json.loads(r.body)["name"] for r in receiver.received] == ["call.completed"]

    async def test_trigger_for_unknown_profile_is_404(self, client: httpx.AsyncClient) -> None:
        """Triggering for a profile no identifier finds is refused with 404."""
        answer = await client.post("/sandbox/trigger", json={
            "event_type": "sms.sent", "api_key": KEY_A, "profile": {"phone": "+15550000000"}})

        assert answer.status_code == 404

    async def test_unknown_event_type_is_400(self, client: httpx.AsyncClient) -> None:
        """Only the 13 event types can be triggered."""
        answer = await client.post("/sandbox/trigger", json={
            "event_type": "call.placed", "api_key": KEY_A, "profile": {"userId": "0031"}})

        assert answer.status_code == 400


@pytest.mark.usefixtures("contact")
class TestDelivery:
    async def test_retries_until_the_receiver_accepts(
        self, client: httpx.AsyncClient, receiver: Receiver,
    ) -> None:
        """With 2 retries, two 500 answers are followed by a delivered third attempt."""
        receiver.statuses = [500, 500]
        await add_webhook(client, receiver, retries=2, backoff_seconds=0)

        [delivery] = (await trigger(client, "call.completed"))["deliveries"]

        assert [a["response"]["status"] for a in delivery["attempts"]] == [500, 500, 200]
        assert delivery["outcome"] == "delivered"
        assert len({r.body for r in receiver.received}) == 1

    async def test_no_retries_by_default(
        self, client: httpx.AsyncClient, receiver: Receiver,
    ) -> None:
        """Like Regal, a failed delivery is not retried unless configured."""
        receiver.statuses = [500]
        await add_webhook(client, receiver)

        [delivery] = (await trigger(client, "call.completed"))["deliveries"]

        assert (delivery["outcome"], len(receiver.received)) == ("failed", 1)
        assert delivery["response"] == {"status": 500, "body": {"received": 1}}

    async def test_slow_receiver_is_recorded_as_timeout(
        self, client: httpx.AsyncClient, receiver: Receiver,
    ) -> None:
        """A receiver slower than the timeout gets a failed delivery naming the timeout."""
        receiver.stall = True
        await add_webhook(client, receiver, timeout_seconds=0.2)

        [delivery] = (await trigger(client, "sms.sent"))["deliveries"]

        assert delivery["outcome"] == "failed"
        assert delivery["error"].startswith("timeout")
        assert delivery["response"] is None

    async def test_default_timeout_is_regals_five_seconds(
        self, client: httpx.AsyncClient, receiver: Receiver,
    ) -> None:
        """A webhook configured without a timeout waits 5 s, as Regal does."""
        webhook = await add_webhook(client, receiver)

        assert webhook["timeout_seconds"] == 5.0

    async def test_replay_sends_the_body_byte_for_byte(
        self, client: httpx.AsyncClient, receiver: Receiver,
    ) -> None:
        """A replayed payload reaches the receiver verbatim, eventId included."""
        await add_webhook(client, receiver, event_types=["call.completed"])
        raw = b'{"name":"sms.sent",  "eventId": "414f664a4161eb8dbe3087f715dee36f"}'

        answer = await client.post("/sandbox/replay", params={"api_key": KEY_A}, content=raw)

        assert answer.status_code == 200
        assert receiver.received[0].body == raw

    async def test_background_delivery_is_awaitable(
        self, client: httpx.AsyncClient, receiver: Receiver,
    ) -> None:
        """With wait false the trigger answers 202 and the delivery still arrives."""
        await add_webhook(client, receiver)

        answer = await client.post("/sandbox/trigger", json={
            "event_type": "task.created", "api_key": KEY_A,
            "profile": {"email": EMAIL}, "wait": False})
        arrival = await receiver.arrivals.get()

        assert answer.status_code == 202
        assert json.loads(arrival.body)["name"] == "task.created"
