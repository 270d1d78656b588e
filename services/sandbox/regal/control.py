"""Control and inspection endpoints under ``/sandbox/``: plainly not Regal's API."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import structlog
from aiohttp import web

from sandbox.regal.appkeys import STATE
from sandbox.regal.catalog import EVENT_TYPES
from sandbox.regal.contact_points import normalize_email, normalize_phone
from sandbox.regal.envelopes import ENVELOPE_SHAPES, EnvelopeShape
from sandbox.regal.faults import FAULT_KINDS, FaultKind
from sandbox.regal.profiles import Profile
from sandbox.regal.replies import (
    ControlError,
    optional_bool,
    optional_float,
    optional_int,
    optional_object,
    optional_str,
    read_object,
)
from sandbox.regal.state import Account, SandboxState
from sandbox.regal.triggers import Trigger, encode, make_event, send
from sandbox.regal.webhooks import Delivery, WebhookSubscription

_log = structlog.get_logger(__name__)


def _account(state: SandboxState, api_key: str | None) -> Account:
    """Return the named account, or the only one when none is named."""
    if api_key is None:
        if len(state.accounts) == 1:
            return next(iter(state.accounts.values()))
        raise ControlError(400, "api_key is required: the sandbox has several accounts")
    account = state.account_for_key(api_key)
    if account is None:
        raise ControlError(404, "no account has this api_key")
    return account


def _accounts(state: SandboxState, api_key: str | None) -> list[Account]:
    """Return the named account, or all of them when none is named."""
    if api_key is None:
        return list(state.accounts.values())
    return [_account(state, api_key)]


async def get_events(request: web.Request) -> web.Response:
    """List accepted events in arrival order, from index ``since`` on."""
    state = request.app[STATE]
    query = dict(request.query)
    since = optional_int(query, "since", default=0) or 0
    wanted = {a.account_id for a in _accounts(state, query.get("api_key"))}
    events = [e.to_json() for e in state.events[since:] if e.account_id in wanted]
    return web.json_response({"events": events})


async def get_profiles(request: web.Request) -> web.Response:
    """List profiles, optionally only those an identifier finds."""
    state = request.app[STATE]
    query = dict(request.query)
    found: list[dict[str, Any]] = []
    for account in _accounts(state, query.get("api_key")):
        profiles = list(account.profiles)
        if {"userId", "phone", "email"} & query.keys():
            match = _find_profile(account, query)
            profiles = [match] if match else []
        found.extend({"account_id": account.account_id, **p.to_json()} for p in profiles)
    return web.json_response({"profiles": found})


async def get_profile(request: web.Request) -> web.Response:
    """Show one profile, its subscriptions and timeline."""
    profile_id = request.match_info["profile_id"]
    for account in request.app[STATE].accounts.values():
        profile = account.profiles.get(profile_id)
        if profile is not None:
            return web.json_response({"account_id": account.account_id, **profile.to_json()})
    raise ControlError(404, "no such profile")


def _find_profile(account: Account, spec: dict[str, Any]) -> Profile | None:
    """Return the profile named by profile_id, userId, phone or email."""
    if (profile_id := optional_str(spec, "profile_id")) is not None:
        return account.profiles.get(profile_id)
    if (user_id := optional_str(spec, "userId")) is not None:
        return account.profiles.by_user_id(user_id)
    if (phone := optional_str(spec, "phone")) is not None:
        number = normalize_phone(phone)
        return account.profiles.by_phone(number) if number else None
    if (email := optional_str(spec, "email")) is not None:
        address = normalize_email(email)
        return account.profiles.by_email(address) if address else None
    raise ControlError(400, "profile needs one of profile_id, userId, phone, email")


async def get_deliveries(request: web.Request) -> web.Response:
    """List webhook deliveries in the order they started."""
    state = request.app[STATE]
    query = dict(request.query)
    wanted = {a.account_id for a in _accounts(state, query.get("api_key"))}
    deliveries = [
        d.to_json() for d in state.dispatcher.deliveries
        if d.account_id in wanted
        and query.get("webhook_id", d.webhook_id) == d.webhook_id
        and query.get("event_type", d.event_type) == d.event_type
    ]
    return web.json_response({"deliveries": deliveries})


async def post_reset(request: web.Request) -> web.Response:
    """Empty the sandbox; accounts stay, webhooks stay when asked to."""
    body = await read_object(request)
    keep = optional_bool(body, "keep_webhooks", False)
    request.app[STATE].reset(keep_webhooks=keep)
    _log.info("sandbox_reset", keep_webhooks=keep)
    return web.json_response({"reset": True})


async def post_faults(request: web.Request) -> web.Response:
    """Plan a fault for the next requests to ``/events``."""
    body = await read_object(request, empty_ok=False)
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        raise ControlError(400, "kind must be one of error, delay, hang")
    status = optional_int(body, "status", minimum=400, default=500) or 500
    if status > 599:
        raise ControlError(400, "status must be an integer between 400 and 599")
    fault = request.app[STATE].faults.add(
        cast(FaultKind, kind), api_key=optional_str(body, "api_key"),
        count=_count(body), status=status, delay_seconds=optional_float(body, "delay_seconds", 1.0))
    return web.json_response({"fault": fault.to_json()}, status=201)


def _count(body: dict[str, Any]) -> int | None:
    """Return how many requests a fault hits; an explicit null means all."""
    if "count" in body and body["count"] is None:
        return None
    return optional_int(body, "count", minimum=1, default=1)


async def get_faults(request: web.Request) -> web.Response:
    """List the faults still planned and how many requests hang."""
    faults = request.app[STATE].faults
    return web.json_response({"faults": [f.to_json() for f in faults.faults],
                              "hanging": faults.hanging})


async def delete_faults(request: web.Request) -> web.Response:
    """Drop every planned fault; hanging requests keep hanging."""
    request.app[STATE].faults.clear()
    return web.json_response({"faults": []})


async def post_release(request: web.Request) -> web.Response:
    """Let hanging requests go on, after waiting for ``wait_for`` of them."""
    body = await read_object(request)
    faults = request.app[STATE].faults
    wait_for = optional_int(body, "wait_for", default=0) or 0
    timeout = optional_float(body, "timeout_seconds", 5.0)
    if wait_for and not await faults.wait_for_hanging(wait_for, timeout):
        raise ControlError(409, f"fewer than {wait_for} requests hung within {timeout:g} s")
    return web.json_response({"released": faults.release()})


async def post_webhooks(request: web.Request) -> web.Response:
    """Add a webhook receiver to an account."""
    state = request.app[STATE]
    body = await read_object(request, empty_ok=False)
    account = _account(state, optional_str(body, "api_key"))
    url = optional_str(body, "url")
    if not url or not url.startswith(("http://", "https://")):
        raise ControlError(400, "url must be an http or https URL")
    subscription = WebhookSubscription(
        webhook_id=state.next_webhook_id(), url=url,
        headers=_headers(body), event_types=_event_types(body),
        retries=optional_int(body, "retries", default=0) or 0,
        backoff_seconds=optional_float(body, "backoff_seconds", 0.5),
        timeout_seconds=optional_float(body, "timeout_seconds", 5.0),
    )
    account.webhooks[subscription.webhook_id] = subscription
    return web.json_response({"webhook": subscription.to_json()}, status=201)


def _headers(body: dict[str, Any]) -> dict[str, str]:
    headers = optional_object(body, "headers")
    if not all(isinstance(v, str) for v in headers.values()):
        raise ControlError(400, "headers must map names to strings")
    return headers


def _event_types(body: dict[str, Any]) -> frozenset[str] | None:
    listed = body.get("event_types")
    if listed is None:
        return None
    if not isinstance(listed, list) or not all(isinstance(t, str) for t in listed):
        raise ControlError(400, "event_types must be a list of event names")
    return frozenset(listed)


async def get_webhooks(request: web.Request) -> web.Response:
    """List the webhook receivers of one account, or of all."""
    state = request.app[STATE]
    listed = [{"account_id": a.account_id, **w.to_json()}
              for a in _accounts(state, request.query.get("api_key"))
              for w in a.webhooks.values()]
    return web.json_response({"webhooks": listed})


async def delete_webhook(request: web.Request) -> web.Response:
    """Remove one webhook receiver."""
    webhook_id = request.match_info["webhook_id"]
    for account in request.app[STATE].accounts.values():
        if account.webhooks.pop(webhook_id, None) is not None:
            return web.json_response({"deleted": webhook_id})
    raise ControlError(404, "no such webhook")


async def post_trigger(request: web.Request) -> web.Response:
    """Make an event happen for a profile and deliver it to the receivers."""
    state = request.app[STATE]
    body = await read_object(request, empty_ok=False)
    account = _account(state, optional_str(body, "api_key"))
    event_type = body.get("event_type")
    if event_type not in EVENT_TYPES:
        raise ControlError(400, "event_type must be one of " + ", ".join(EVENT_TYPES))
    profile = _find_profile(account, optional_object(body, "profile"))
    if profile is None:
        raise ControlError(404, "no profile matches")
    trigger = Trigger(event_type, optional_object(body, "properties"),
                      _shape(body), optional_int(body, "seed"))
    event = make_event(account, profile, trigger)
    deliveries = send(state.dispatcher, account, event_type, encode(event),
                      webhook_id=optional_str(body, "webhook_id"))
    _log.info("webhook_event_triggered", account_id=account.account_id,
              event_type=event_type, deliveries=len(deliveries))
    return await _answer(body, {"event": event}, deliveries)


def _shape(body: dict[str, Any]) -> EnvelopeShape:
    shape = body.get("envelope", "standard")
    if shape not in ENVELOPE_SHAPES:
        raise ControlError(400, "envelope must be standard or alternate")
    return cast(EnvelopeShape, shape)


async def post_replay(request: web.Request) -> web.Response:
    """Deliver the request body, byte for byte, to an account's receivers."""
    state = request.app[STATE]
    query = dict(request.query)
    account = _account(state, query.get("api_key"))
    payload = await request.read()
    if not payload:
        raise ControlError(400, "the body to replay is empty")
    deliveries = send(state.dispatcher, account, _named_type(payload), payload,
                      webhook_id=query.get("webhook_id"), respect_filters=False)
    _log.info("webhook_replayed", account_id=account.account_id, deliveries=len(deliveries))
    return await _answer(query, {}, deliveries)


def _named_type(payload: bytes) -> str | None:
    """Return the event name a replayed body carries, for the record only."""
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    name = body.get("name", body.get("event_type"))
    return name if isinstance(name, str) else None


async def _answer(
    options: dict[str, Any], extra: dict[str, Any], deliveries: list[Delivery],
) -> web.Response:
    """Answer once deliveries finish (200) or at once when ``wait`` is false (202)."""
    if not optional_bool(options, "wait", True):
        listed = [d.to_json() for d in deliveries]
        return web.json_response({**extra, "deliveries": listed}, status=202)
    await asyncio.gather(*(d.done.wait() for d in deliveries))
    return web.json_response({**extra, "deliveries": [d.to_json() for d in deliveries]})
