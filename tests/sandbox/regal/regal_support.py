"""Helpers the Regal sandbox tests share: account keys, a receiver, publishing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

KEY_A = "key-account-a"
KEY_B = "key-account-b"


@dataclass
class ReceivedWebhook:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server standing in for regal-sync's webhook endpoint."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[ReceivedWebhook] = field(default_factory=list)
    arrivals: asyncio.Queue[ReceivedWebhook] = field(default_factory=asyncio.Queue)
    stall: bool = False
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        """Record the delivery, then answer the next planned status (else 200)."""
        arrival = ReceivedWebhook(dict(request.headers), await request.read())
        self.received.append(arrival)
        self.arrivals.put_nowait(arrival)
        if self.stall:
            await self.released.wait()
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"received": len(self.received)}, status=status)


async def publish(
    client: httpx.AsyncClient, body: Any, key: str | None = KEY_A,
) -> httpx.Response:
    """Post one event the way regal-sync's publisher does."""
    headers = {"Authorization": key} if key is not None else {}
    return await client.post("/events", json=body, headers=headers)


async def profiles(client: httpx.AsyncClient, key: str = KEY_A) -> list[dict[str, Any]]:
    """Return every profile of the account behind ``key``."""
    answer = await client.get("/sandbox/profiles", params={"api_key": key})
    assert answer.status_code == 200
    found: list[dict[str, Any]] = answer.json()["profiles"]
    return found


async def add_webhook(
    client: httpx.AsyncClient, receiver: Receiver, **options: Any,
) -> dict[str, Any]:
    """Configure ``receiver`` as a webhook of account A."""
    body = {"api_key": KEY_A, "url": receiver.url, **options}
    answer = await client.post("/sandbox/webhooks", json=body)
    assert answer.status_code == 201, answer.text
    webhook: dict[str, Any] = answer.json()["webhook"]
    return webhook
