"""``POST /events``: Regal's events API as a publisher meets it."""

from __future__ import annotations

import asyncio
import json

import structlog
from aiohttp import web

from sandbox.regal.appkeys import STATE
from sandbox.regal.faults import Fault
from sandbox.regal.replies import message_reply
from sandbox.regal.state import SandboxState
from sandbox.regal.validation import EventRejected, parse_event

_log = structlog.get_logger(__name__)
_FAULT_MESSAGES = {500: "Internal Server Error", 502: "Bad Gateway",
                   503: "Service Unavailable", 504: "Gateway Timeout"}
# Serialised once: the same answer goes back for every accepted event.
_OK_TEXT = json.dumps({"message": "ok"})


async def post_events(request: web.Request) -> web.Response:
    """Accept one event: fault, key, rate limit and body checks, in that order."""
    state = request.app[STATE]
    api_key = request.headers.get("Authorization")
    fault = state.faults.take(api_key)
    if fault is not None:
        answer = await _suffer(fault, state)
        if answer is not None:
            return answer
    account = state.account_for_key(api_key)
    if account is None:
        _log.info("event_unauthorized", key_sent=api_key is not None)
        return message_reply(401, "Unauthorized")
    wait = state.limiter.admit(account.api_key)
    if wait is not None:
        _log.info("event_rate_limited", account_id=account.account_id)
        return message_reply(429, "Too Many Requests", {"Retry-After": str(wait)})
    try:
        body = json.loads(await request.read())
    except ValueError:
        return _rejected(account.account_id, "body is not valid JSON")
    try:
        event = parse_event(body)
    except EventRejected as error:
        return _rejected(account.account_id, str(error))
    index = state.record_event(account, dict(request.headers), body)
    applied = account.profiles.apply(event, index)
    # Debug, not info: at a thousand events a second rendering this line costs more
    # than the rest of the handler; GET /sandbox/events lists every event anyway.
    _log.debug("event_accepted", account_id=account.account_id, index=index,
               profile_id=applied.profile.profile_id, created=applied.created,
               notes=len(applied.notes))
    return web.json_response(text=_OK_TEXT)


def _rejected(account_id: str, message: str) -> web.Response:
    # The message may quote a phone or an email, so it stays out of the log.
    _log.info("event_rejected", account_id=account_id)
    return message_reply(400, message)


async def _suffer(fault: Fault, state: SandboxState) -> web.Response | None:
    """Play a fault out; return the answer it forces, or None to go on."""
    _log.info("fault_applied", fault_id=fault.fault_id, kind=fault.kind)
    if fault.kind == "error":
        return message_reply(fault.status, _FAULT_MESSAGES.get(fault.status, "Error"))
    if fault.kind == "delay":
        await asyncio.sleep(fault.delay_seconds)
        return None
    if await state.faults.hang():
        return None
    return message_reply(503, "Service Unavailable")
