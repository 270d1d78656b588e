"""Control endpoints under ``/sandbox/``: plainly not Salesforce's API.

Tests use them to inject faults, move time, expire tokens, emit gap and
overflow events, convert leads, undelete records, read API usage and
reset the org. With an admin token configured they need
``Authorization: Bearer <admin token>``; without one they answer loopback
callers only.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web

from sandbox.salesforce.context import STATE, SandboxState
from sandbox.salesforce.conversion import ConversionRequest, convert_lead
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.faults import FaultSpecError
from sandbox.salesforce.jwt_bearer import load_public_key
from sandbox.salesforce.persistence import save_state

log = structlog.get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ControlError(Exception):
    """A control request that cannot be carried out."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def add_routes(app: web.Application) -> None:
    """Mount the control endpoints."""
    routes = (
        ("GET", "/sandbox/faults", list_faults), ("POST", "/sandbox/faults", add_fault),
        ("DELETE", "/sandbox/faults", clear_faults),
        ("POST", "/sandbox/tokens/expire", expire_tokens),
        ("POST", "/sandbox/clock/advance", advance_clock),
        ("POST", "/sandbox/cdc/gap", emit_gap), ("POST", "/sandbox/cdc/overflow", emit_overflow),
        ("POST", "/sandbox/leads/{lead_id}/convert", convert),
        ("POST", "/sandbox/undelete", undelete),
        ("GET", "/sandbox/api-usage", read_usage), ("PUT", "/sandbox/api-usage", set_usage),
        ("POST", "/sandbox/jwt-certificates", register_certificate),
        ("POST", "/sandbox/state/save", save), ("POST", "/sandbox/reset", reset),
    )
    for method, path, handler in routes:
        app.router.add_route(method, path, _guarded(handler))


def _guarded(handler: Callable[[web.Request, SandboxState], Awaitable[Any]]) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        if not _allowed(request, state.config.admin_token):
            return web.json_response({"error": "forbidden"}, status=403)
        try:
            body = await handler(request, state)
        except ControlError as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)
        except SalesforceError as exc:
            return web.json_response([exc.as_rest()], status=exc.status)
        log.info("control_call", path=request.path)
        return web.json_response(body)

    return guarded


def _allowed(request: web.Request, admin_token: str | None) -> bool:
    if admin_token is not None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return secrets.compare_digest(given, admin_token)
    peer = request.remote or ""
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlError(f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ControlError("body must be a JSON object")
    return body


async def list_faults(request: web.Request, state: SandboxState) -> Any:
    return {"faults": [r.as_json() for r in state.faults.rules()]}


async def add_fault(request: web.Request, state: SandboxState) -> Any:
    try:
        return state.faults.add(await _json_body(request)).as_json()
    except FaultSpecError as exc:
        raise ControlError(str(exc)) from None


async def clear_faults(request: web.Request, state: SandboxState) -> Any:
    state.faults.clear()
    return {"faults": []}


async def expire_tokens(request: web.Request, state: SandboxState) -> Any:
    return {"expired": state.tokens.expire_all()}


async def advance_clock(request: web.Request, state: SandboxState) -> Any:
    seconds = (await _json_body(request)).get("seconds")
    if not isinstance(seconds, int | float) or seconds < 0:
        raise ControlError("seconds must be a non-negative number")
    return {"now": state.clock.advance(float(seconds))}


async def emit_gap(request: web.Request, state: SandboxState) -> Any:
    body = await _json_body(request)
    entity, record_ids = body.get("entity"), body.get("record_ids")
    change_type = body.get("change_type", "GAP_UPDATE")
    if not isinstance(entity, str) or not isinstance(record_ids, list):
        raise ControlError("entity (string) and record_ids (list) are required")
    _bus(state).emit_gap(entity, [str(i) for i in record_ids], str(change_type))
    return {"emitted": change_type}


async def emit_overflow(request: web.Request, state: SandboxState) -> Any:
    entity = (await _json_body(request)).get("entity")
    if not isinstance(entity, str):
        raise ControlError("entity (string) is required")
    _bus(state).emit_overflow(entity)
    return {"emitted": "GAP_OVERFLOW"}


async def convert(request: web.Request, state: SandboxState) -> Any:
    body = await _json_body(request)
    conversion = ConversionRequest(
        lead_id=request.match_info["lead_id"],
        account_id=body.get("account_id"), contact_id=body.get("contact_id"),
        create_opportunity=bool(body.get("create_opportunity", True)),
        opportunity_name=body.get("opportunity_name"),
        converted_status=body.get("converted_status", "Closed - Converted"),
    )
    with state.store.transaction(state.store.system_context()) as unit:
        result = convert_lead(unit, conversion)
    return {
        "lead_id": result.lead_id, "account_id": result.account_id,
        "contact_id": result.contact_id, "opportunity_id": result.opportunity_id,
    }


async def undelete(request: web.Request, state: SandboxState) -> Any:
    record_ids = (await _json_body(request)).get("ids")
    if not isinstance(record_ids, list) or not all(isinstance(i, str) for i in record_ids):
        raise ControlError("ids must be a list of record ids")
    results = []
    with state.store.transaction(state.store.system_context()) as unit:
        for record_id in record_ids:
            try:
                with unit.atomic():
                    unit.undelete(record_id)
                results.append({"id": record_id, "success": True, "errors": []})
            except SalesforceError as exc:
                results.append({
                    "id": record_id, "success": False, "errors": [exc.as_record_result()],
                })
    return {"results": results}


async def read_usage(request: web.Request, state: SandboxState) -> Any:
    return {"used": state.usage.used, "max": state.usage.daily_limit}


async def set_usage(request: web.Request, state: SandboxState) -> Any:
    body = await _json_body(request)
    for key in ("used", "max"):
        if key in body and (not isinstance(body[key], int) or body[key] < 0):
            raise ControlError(f"{key} must be a non-negative integer")
    state.usage.used = body.get("used", state.usage.used)
    state.usage.daily_limit = body.get("max", state.usage.daily_limit)
    return await read_usage(request, state)


async def register_certificate(request: web.Request, state: SandboxState) -> Any:
    pem = (await _json_body(request)).get("certificate")
    if not isinstance(pem, str):
        raise ControlError("certificate (PEM string) is required")
    try:
        load_public_key(pem.encode())
    except ValueError as exc:
        raise ControlError(f"certificate is not a usable RSA certificate: {exc}") from None
    state.app.certificates.append(pem.encode())
    return {"certificates": len(state.app.certificates)}


async def save(request: web.Request, state: SandboxState) -> Any:
    if state.config.state_file is None:
        raise ControlError("the sandbox was started without --state-file", status=409)
    await save_state(state)
    return {"saved": str(state.config.state_file)}


async def reset(request: web.Request, state: SandboxState) -> Any:
    state.store.reset()
    state.clock.offset_seconds = 0.0
    state.faults.clear()
    state.cursors.clear()
    state.usage.reset()
    return {"reset": True}


def _bus(state: SandboxState) -> Any:
    if state.bus is None:
        raise ControlError("change data capture is not running (no --pubsub-port)", status=409)
    return state.bus
