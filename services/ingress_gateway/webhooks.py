"""Accept Regal's reporting webhooks: authenticate, check, record, answer.

An event is acknowledged only after it is in the durable inbox, and the
answer never waits for Salesforce, so it stays far inside Regal's 5 s
timeout. Every refusal is a 4xx with a machine-readable ``error``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

import grpc
import structlog
from aiohttp import web

from ingress_gateway.backpressure import InboxLimit
from ingress_gateway.inbox import QUEUE, webhook_item
from ingress_gateway.intake_counts import count_accepted
from regalsync import secrets
from regalsync.group_commit import GroupCommit
from regalsync.secrets import MissingSecret
from regalsync.storage._queues import QueueStore
from regalsync.tenants import TenantDirectory
from regalsync.tracing import traced_request

log = structlog.get_logger(__name__)

ROUTE = "/v1/tenants/{tenant}/regal/webhooks"


def problem(status: int, error: str, detail: str = "") -> web.Response:
    """Return a JSON error answer."""
    body: dict[str, str] = {"error": error}
    if detail:
        body["detail"] = detail
    return web.json_response(body, status=status)


class WebhookHandler:
    """``POST /v1/tenants/{tenant}/regal/webhooks``."""

    def __init__(self, queues: QueueStore, tenants: TenantDirectory, *,
                 token_header: str, on_accepted: Callable[[], None],
                 max_pending: int = 0) -> None:
        # Concurrent webhooks share one commit: durable before the answer,
        # without one fsync per request.
        self._inbox = GroupCommit(queues, QUEUE)
        self._limit = InboxLimit(queues, QUEUE, max_pending=max_pending)
        self._tenants = tenants
        self._token_header = token_header
        self._on_accepted = on_accepted

    async def __call__(self, request: web.Request) -> web.Response:
        # The request's span is the root of the trace its events follow.
        return await traced_request(request, ROUTE, lambda: self._handle(request))

    async def _handle(self, request: web.Request) -> web.Response:
        tenant_id = request.match_info["tenant"]
        try:
            expected = await self._expected_token(tenant_id)
        except grpc.aio.AioRpcError as lookup_error:
            log.warning("webhook_tenant_lookup_failed", tenant=tenant_id,
                        code=lookup_error.code().name)
            return problem(503, "temporarily_unavailable")
        supplied = request.headers.get(self._token_header, "")
        if expected is None or not hmac.compare_digest(supplied.encode(), expected.encode()):
            return problem(401, "unauthorized")
        if await self._limit.full():
            log.warning("webhook_refused_inbox_full", tenant=tenant_id)
            answer = problem(429, "inbox_full")
            answer.headers["Retry-After"] = "5"
            return answer
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return problem(413, "body_too_large")
        events, error = parse_events(raw)
        if error:
            log.info("webhook_rejected", tenant=tenant_id, reason=error)
            return problem(400, error)
        items = [webhook_item(tenant_id, e) for e in events]
        accepted = await self._inbox.enqueue(items)
        count_accepted(tenant_id, items, accepted)
        self._on_accepted()
        fresh = sum(accepted)
        log.info("webhook_accepted", tenant=tenant_id, events=len(events),
                 duplicates=len(events) - fresh)
        return web.json_response({"accepted": fresh, "duplicates": len(events) - fresh})

    async def _expected_token(self, tenant_id: str) -> str | None:
        try:
            tenant = await self._tenants.get(tenant_id)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        try:
            return secrets.resolve(tenant.regal.webhook_token_ref)
        except MissingSecret:
            log.error("webhook_token_missing", tenant=tenant_id)
            return None


def parse_events(raw: bytes) -> tuple[list[dict[str, Any]], str]:
    """Return the events of a body, or an error code for a bad one."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return [], "malformed_json"
    events = document if isinstance(document, list) else [document]
    if not events:
        return [], "empty_batch"
    if not all(isinstance(e, dict) for e in events):
        return [], "unknown_shape"
    if not all(_event_name(e) for e in events):
        return [], "missing_event_name"
    return events, ""


def _event_name(event: dict[str, Any]) -> str:
    name = event.get("name") or event.get("event_type") or event.get("type")
    return name if isinstance(name, str) else ""
