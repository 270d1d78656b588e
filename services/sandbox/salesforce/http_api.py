"""The HTTP face of ``/services/data``: auth, limits, faults, JSON in and out."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web

from sandbox.salesforce.calls import ApiRequest, ApiResponse, error_response
from sandbox.salesforce.context import STATE, SandboxState
from sandbox.salesforce.errors import SalesforceError, invalid_session, json_parser_error
from sandbox.salesforce.faults import FAULT_ERRORS
from sandbox.salesforce.rest import VERSIONS, dispatch
from sandbox.salesforce.store import CallContext

log = structlog.get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_VERSIONED = re.compile(r"^/services/data/v(\d+\.0)(?:/(.*))?$")
_CLIENT_OPTION = re.compile(r"(?:^|,)\s*client=([^,\s]+)")
DATA_PREFIX = "/services/data"


def add_routes(app: web.Application) -> None:
    """Mount the REST API under ``/services/data``."""
    app.router.add_get("/services/data", versions)
    app.router.add_get("/services/data/", versions)
    app.router.add_route("*", "/services/data/{tail:.*}", data_call)


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Delay or fail requests as the fault rules say, before anything else runs."""
    if request.path.startswith("/sandbox/"):
        return await handler(request)
    rule = request.app[STATE].faults.match(request.method, request.path)
    if rule is None:
        return await handler(request)
    if rule.latency_ms:
        await asyncio.sleep(rule.latency_ms / 1000)
    if rule.error is None:
        return await handler(request)
    status, message = FAULT_ERRORS[rule.error]
    log.info("fault_injected", rule_id=rule.rule_id, error=rule.error)
    return _json(status, [{"message": message, "errorCode": rule.error}], request)


async def versions(request: web.Request) -> web.Response:
    """List the API versions, as the unauthenticated ``/services/data`` does."""
    return web.json_response([
        {"label": label, "url": f"/services/data/v{version}", "version": version}
        for version, label in VERSIONS
    ])


async def data_call(request: web.Request) -> web.Response:
    """Serve one authenticated REST call as one counted API request."""
    state = request.app[STATE]
    match = _VERSIONED.match(request.path)
    if match is None:
        return _json(404, [{"errorCode": "NOT_FOUND",
                            "message": "The requested resource does not exist"}], request)
    session = state.tokens.session(_bearer(request))
    if session is None:
        return _json(401, [invalid_session().as_rest()], request)
    if not state.usage.try_spend():
        return _json(403, [{
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
            "message": "TotalRequests Limit exceeded.",
        }], request)
    version = match.group(1)
    ctx = CallContext(session.user_id, _client_id(request), version)
    try:
        api_request = ApiRequest(
            method=request.method,
            segments=[s for s in (match.group(2) or "").split("/") if s],
            query=dict(request.query), body=await _body(request),
            version=version, headers=dict(request.headers),
        )
        response = _run(state, ctx, api_request)
    except SalesforceError as exc:
        response = error_response(exc)
    except Exception:
        # Salesforce answers its own bugs this way; the caller sees a 500.
        log.exception("api_call_failed", method=request.method, path=request.path)
        response = ApiResponse(500, [{
            "errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred.",
        }])
    log.info("api_call", method=request.method, path=request.path, status=response.status)
    return _render(response, request)


def _run(state: SandboxState, ctx: CallContext, api_request: ApiRequest) -> ApiResponse:
    with state.store.transaction(ctx) as unit:
        return dispatch(state, unit, api_request)


async def _body(request: web.Request) -> Any:
    if request.method not in ("POST", "PATCH", "PUT"):
        return None
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise json_parser_error(f"Unexpected character in JSON body: {exc}") from None


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") else ""


def _client_id(request: web.Request) -> str | None:
    match = _CLIENT_OPTION.search(request.headers.get("Sforce-Call-Options", ""))
    return match.group(1) if match else None


def _render(response: ApiResponse, request: web.Request) -> web.Response:
    if response.body is None:
        out = web.Response(status=response.status, headers=response.headers)
    else:
        out = web.json_response(response.body, status=response.status, headers=response.headers)
    out.headers["Sforce-Limit-Info"] = request.app[STATE].usage.header()
    return out


def _json(status: int, body: Any, request: web.Request) -> web.Response:
    out = web.json_response(body, status=status)
    if request.path.startswith(DATA_PREFIX):
        out.headers["Sforce-Limit-Info"] = request.app[STATE].usage.header()
    return out
