"""The events API as a publisher meets it: keys, validation, rate limit, faults."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from regal_support import KEY_A, KEY_B, publish

from sandbox.regal.app import RunningSandbox
from sandbox.regal.settings import SandboxSettings

CONTACT = {"userId": "0038c000036blDJAAY",
           "traits": {"phone": "(856) 559-7961", "email": "jo@example.com"}}


class TestAuthorization:
    async def test_bare_key_is_accepted_with_ok(self, client: httpx.AsyncClient) -> None:
        """A configured key sent bare in Authorization gets 200 {"message": "ok"}."""
        answer = await publish(client, CONTACT)

        assert answer.status_code == 200
        assert answer.json() == {"message": "ok"}

    async def test_ok_answer_is_plain_utf8_json(self, client: httpx.AsyncClient) -> None:
        """The 200 answer's bytes and content type stay what publishers already parse."""
        answer = await publish(client, CONTACT)

        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        assert answer.content == b'{"message": "ok"}'

    async def test_every_configured_account_key_is_accepted(
        self, client: httpx.AsyncClient,
    ) -> None:
        """Each account's own key opens the events API."""
        answer = await publish(client, CONTACT, key=KEY_B)

        assert answer.status_code == 200

    @pytest.mark.parametrize("key", [None, "not-a-key", f"Bearer {KEY_A}"])
    async def test_missing_unknown_or_bearer_key_is_401(
        self, client: httpx.AsyncClient, key: str | None,
    ) -> None:
        """No key, an unknown key or a 'Bearer'-prefixed key gets 401 with a message."""
        answer = await publish(client, CONTACT, key=key)

        assert answer.status_code == 401
        assert isinstance(answer.json()["message"], str)


class TestValidation:
    @pytest.mark.parametrize(("body", "message"), [
        ([CONTACT], "body must be a JSON object"),
        ({"traits": {"firstName": "Jo"}}, "userId or a phone or email"),
        ({"userId": "u1", "traits": ["phone"]}, "traits must be an object"),
        ({"userId": 20417}, "userId must be a string"),
        ({"userId": "u1", "properties": {"a": 1}}, "name is required"),
        ({"userId": "u1", "name": "X", "properties": []}, "properties must be an object"),
        ({"userId": "u1", "traits": {"phone": "12"}}, "traits.phone is not a phone"),
        ({"userId": "u1", "traits": {"email": "nobody"}}, "traits.email is not an email"),
        ({"userId": "u1", "traits": {"optIn": {"channel": "sms"}}}, "optIn must be a list"),
        ({"userId": "u1", "traits": {"optIn": [{"channel": "fax", "subscribed": True}]}},
         "optIn[0].channel"),
        ({"userId": "u1", "traits": {"optIn": [{"channel": "sms", "subscribed": "yes"}]}},
         "optIn[0].subscribed"),
        ({"userId": "u1", "traits": {"phones": {"+13125550147": {"isPrimary": "y"}}}},
         "isPrimary must be true or false"),
    ])
    async def test_bad_body_is_400_with_a_message(
        self, client: httpx.AsyncClient, body: object, message: str,
    ) -> None:
        """A body breaking a rule gets 400 and a message naming the rule."""
        answer = await publish(client, body)

        assert answer.status_code == 400
        assert message in answer.json()["message"]

    async def test_body_that_is_not_json_is_400(self, client: httpx.AsyncClient) -> None:
        """A body that does not parse as JSON gets 400."""
        answer = await client.post("/events", content=b"{userId:",
                                   headers={"Authorization": KEY_A})

        assert answer.status_code == 400
        assert answer.json() == {"message": "body is not valid JSON"}

    async def test_rejected_body_is_not_kept(self, client: httpx.AsyncClient) -> None:
        """Only accepted events show up in the inspection log."""
        await publish(client, {"traits": {}})

        events = (await client.get("/sandbox/events")).json()["events"]
        assert events == []


class TestRateLimit:
    @pytest.fixture
    def settings(self) -> SandboxSettings:
        return SandboxSettings(api_keys=(KEY_A, KEY_B), rate_limit=3)

    async def test_request_past_the_limit_is_429_with_retry_after(
        self, client: httpx.AsyncClient,
    ) -> None:
        """The fourth request within a second past a limit of 3 gets 429 and Retry-After."""
        answers = [await publish(client, CONTACT) for _ in range(4)]

        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert int(answers[3].headers["Retry-After"]) >= 1

    async def test_limit_is_counted_per_key(self, client: httpx.AsyncClient) -> None:
        """Account A spending its allowance leaves account B untouched."""
        for _ in range(4):
            await publish(client, CONTACT, key=KEY_A)

        answer = await publish(client, CONTACT, key=KEY_B)

        assert answer.status_code == 200


class TestFaults:
    async def test_error_fault_answers_the_next_n_requests(
        self, client: httpx.AsyncClient,
    ) -> None:
        """An error fault with count 2 fails two requests with its status, then stops."""
        await client.post("/sandbox/faults", json={"kind": "error", "status": 500, "count": 2})

        codes = [(await publish(client, CONTACT)).status_code for _ in range(3)]

        assert codes == [500, 500, 200]

    async def test_per_key_fault_spares_other_keys(self, client: httpx.AsyncClient) -> None:
        """A 503 fault for key A leaves key B's requests alone."""
        await client.post("/sandbox/faults",
                          json={"kind": "error", "status": 503, "api_key": KEY_A})

        other = await publish(client, CONTACT, key=KEY_B)
        hit = await publish(client, CONTACT, key=KEY_A)

        assert (other.status_code, hit.status_code) == (200, 503)

    async def test_fault_without_count_lasts_until_cleared(
        self, client: httpx.AsyncClient,
    ) -> None:
        """A fault with count null keeps failing until DELETE /sandbox/faults."""
        await client.post("/sandbox/faults",
                          json={"kind": "error", "status": 503, "count": None})
        failing = [(await publish(client, CONTACT)).status_code for _ in range(3)]

        await client.delete("/sandbox/faults")

        assert failing == [503, 503, 503]
        assert (await publish(client, CONTACT)).status_code == 200

    async def test_delay_fault_slows_the_answer(self, client: httpx.AsyncClient) -> None:
        """A delay fault answers normally, but only after the delay."""
        await client.post("/sandbox/faults", json={"kind": "delay", "delay_seconds": 0.3})

        started = time.monotonic()
        answer = await publish(client, CONTACT)

        assert answer.status_code == 200
        assert time.monotonic() - started >= 0.3

    async def test_hang_fault_never_answers(self, client: httpx.AsyncClient) -> None:
        """A hanging request gives the client nothing until its own timeout."""
        await client.post("/sandbox/faults", json={"kind": "hang"})

        with pytest.raises(httpx.ReadTimeout):
            await client.post("/events", json=CONTACT, headers={"Authorization": KEY_A},
                              timeout=0.3)

    async def test_released_hang_goes_on_normally(self, client: httpx.AsyncClient) -> None:
        """Releasing a hanging request lets it be processed and answered 200."""
        await client.post("/sandbox/faults", json={"kind": "hang"})
        pending = asyncio.create_task(publish(client, CONTACT))

        release = await client.post("/sandbox/faults/release", json={"wait_for": 1})

        assert release.json() == {"released": 1}
        assert (await pending).status_code == 200

    async def test_reset_ends_hanging_requests_with_503(
        self, client: httpx.AsyncClient, sandbox: RunningSandbox,
    ) -> None:
        """A reset answers requests left hanging with 503."""
        await client.post("/sandbox/faults", json={"kind": "hang"})
        pending = asyncio.create_task(publish(client, CONTACT))
        assert await sandbox.state.faults.wait_for_hanging(1, within=5.0)

        await client.post("/sandbox/reset")

        assert (await pending).status_code == 503

    async def test_bad_fault_kind_is_400(self, client: httpx.AsyncClient) -> None:
        """Planning an unknown kind of fault is refused with a message."""
        answer = await client.post("/sandbox/faults", json={"kind": "explode"})

        assert answer.status_code == 400
        assert "kind" in answer.json()["message"]
