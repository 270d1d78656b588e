"""Inspection, reset and the command-line entry point."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import httpx
from regal_support import KEY_A, KEY_B, Receiver, add_webhook, profiles, publish


class TestEventLog:
    async def test_events_are_listed_in_arrival_order(
        self, client: httpx.AsyncClient,
    ) -> None:
        """GET /sandbox/events lists bodies in the order they arrived, with headers."""
        for n in range(3):
            await publish(client, {"userId": f"u{n}", "name": "Ping", "properties": {}})

        events = (await client.get("/sandbox/events")).json()["events"]

        assert [e["body"]["userId"] for e in events] == ["u0", "u1", "u2"]
        assert events[0]["headers"]["Authorization"] == KEY_A
        assert events[0]["received_at"].endswith("Z")

    async def test_events_can_be_read_from_an_index(self, client: httpx.AsyncClient) -> None:
        """?since=N skips the first N events."""
        for n in range(3):
            await publish(client, {"userId": f"u{n}"})

        events = (await client.get("/sandbox/events", params={"since": 2})).json()["events"]

        assert [e["body"]["userId"] for e in events] == ["u2"]

    async def test_events_can_be_filtered_by_account(self, client: httpx.AsyncClient) -> None:
        """?api_key= lists only that account's events."""
        await publish(client, {"userId": "a"}, key=KEY_A)
        await publish(client, {"userId": "b"}, key=KEY_B)

        answer = await client.get("/sandbox/events", params={"api_key": KEY_B})

        assert [e["body"]["userId"] for e in answer.json()["events"]] == ["b"]


class TestProfilesAndDeliveries:
    async def test_profile_is_readable_by_id(self, client: httpx.AsyncClient) -> None:
        """GET /sandbox/profiles/{id} shows the same profile as the list."""
        await publish(client, {"userId": "u1", "traits": {"email": "jo@example.com"}})
        [listed] = await profiles(client)

        answer = await client.get(f"/sandbox/profiles/{listed['profile_id']}")

        assert answer.json()["userId"] == "u1"

    async def test_unknown_profile_id_is_404(self, client: httpx.AsyncClient) -> None:
        """Asking for a profile that does not exist answers 404 with a message."""
        answer = await client.get("/sandbox/profiles/nope")

        assert answer.status_code == 404
        assert answer.json() == {"message": "no such profile"}

    async def test_deliveries_show_request_and_response(
        self, client: httpx.AsyncClient, receiver: Receiver,
    ) -> None:
        """Each delivery lists what was sent and what the receiver answered."""
        await publish(client, {"userId": "u1", "traits": {"phone": "+13125550147"}})
        await add_webhook(client, receiver, headers={"X-Secret": "s"})
        await client.post("/sandbox/trigger", json={
            "event_type": "sms.received", "profile": {"userId": "u1"}, "api_key": KEY_A})

        [delivery] = (await client.get("/sandbox/webhook-deliveries")).json()["deliveries"]

        assert delivery["request"]["url"] == receiver.url
        assert delivery["request"]["headers"]["X-Secret"] == "s"
        assert delivery["request"]["body"]["name"] == "sms.received"
        assert delivery["response"] == {"status": 200, "body": {"received": 1}}


class TestReset:
    async def test_reset_forgets_events_profiles_and_webhooks(
        self, client: httpx.AsyncClient, receiver: Receiver,
    ) -> None:
        """After reset, events, profiles, webhooks and deliveries are empty."""
        await publish(client, {"userId": "u1", "traits": {"phone": "+13125550147"}})
        await add_webhook(client, receiver)

        await client.post("/sandbox/reset")

        assert (await client.get("/sandbox/events")).json() == {"events": []}
        assert await profiles(client) == []
        assert (await client.get("/sandbox/webhooks")).json() == {"webhooks": []}

    async def test_reset_can_keep_webhooks(
        self, client: httpx.AsyncClient, receiver: Receiver,
    ) -> None:
        """keep_webhooks leaves the receivers configured."""
        webhook = await add_webhook(client, receiver)

        await client.post("/sandbox/reset", json={"keep_webhooks": True})

        listed = (await client.get("/sandbox/webhooks")).json()["webhooks"]
        assert [w["webhook_id"] for w in listed] == [webhook["webhook_id"]]

    async def test_keys_still_work_after_reset(self, client: httpx.AsyncClient) -> None:
        """Reset keeps the accounts, so publishing goes on."""
        await client.post("/sandbox/reset")

        assert (await publish(client, {"userId": "u1"})).status_code == 200


class TestEntryPoint:
    async def test_command_announces_itself_and_stops_on_sigterm(
        self, tmp_path: Path,
    ) -> None:
        """python -m sandbox.regal prints one JSON line, writes it, serves, exits on SIGTERM."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sandbox.regal", "--port", "0", "--api-key", "k1",
            "--rate-limit", "5", "--state-dir", str(tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        announced = json.loads(line)

        async with httpx.AsyncClient() as http:
            answer = await http.post(announced["events_url"], json={"userId": "u1"},
                                     headers={"Authorization": "k1"})
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=20)

        assert announced["api_keys"] == ["k1"]
        assert json.loads((tmp_path / "regal-sandbox.json").read_text()) == announced
        assert answer.json() == {"message": "ok"}
        assert (code, await process.stdout.read()) == (0, b"")
