"""Drive inbox items through the pipeline until a downstream queue has them.

Salesforce changes take the outbound flow (outbound_flow.py), Regal
webhooks the inbound flow (inbound_flow.py). An inbox item is
acknowledged only after the downstream queue answered; if anything fails
the whole batch is retried, and the idempotency keys carried downstream
make the retry harmless.

A tenant whose work cannot proceed for now (its API budget is spent, or
its org's connection was revoked) has its items postponed rather than
retried: the pause does not count towards dead-lettering, so nothing is
lost however long it lasts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import grpc
import structlog

from ingress_gateway.flows import Downstream
from ingress_gateway.inbound_flow import apply_webhooks
from ingress_gateway.inbox import CHANGE, QUEUE, WEBHOOK
from ingress_gateway.outbound_flow import send_changes
from regalsync.queue_worker import Settle, Settlement
from regalsync.storage import ClaimedItem, Storage
from regalsync.tenants import TenantDirectory

log = structlog.get_logger(__name__)
# Downstream answers that mean "this tenant must wait", not "this failed".
PAUSING_CODES = frozenset({grpc.StatusCode.RESOURCE_EXHAUSTED,
                           grpc.StatusCode.FAILED_PRECONDITION})
# How soon a paused tenant's items are tried again; cheap, as the check
# that refuses them reads a cache, and not counted as attempts.
PAUSE_RECHECK_SECONDS = 10.0


class Pipeline:
    """The inbox handler."""

    def __init__(self, storage: Storage, tenants: TenantDirectory,
                 downstream: Downstream) -> None:
        self._storage = storage
        self._tenants = tenants
        self._down = downstream

    async def handle(self, items: Sequence[ClaimedItem]) -> list[Settlement]:
        """Process a batch per tenant and kind; ack what reached its queue."""
        groups: dict[tuple[str, str], list[tuple[ClaimedItem, dict[str, Any]]]] = (
            defaultdict(list))
        for item in items:
            body = json.loads(item.payload)
            groups[(item.tenant, body["kind"])].append((item, body))
        settlements: list[Settlement] = []
        for (tenant_id, kind), group in groups.items():
            try:
                await self._send(tenant_id, kind, group)
            except grpc.aio.AioRpcError as error:
                if error.code() not in PAUSING_CODES:
                    raise
                await self._postpone(tenant_id, [i for i, _ in group], error)
                settlements.extend(Settlement(i.id, Settle.DONE) for i, _ in group)
                continue
            settlements.extend(Settlement(i.id, Settle.ACK) for i, _ in group)
        return settlements

    async def _send(self, tenant_id: str, kind: str,
                    group: list[tuple[ClaimedItem, dict[str, Any]]]) -> None:
        if kind == CHANGE:
            await send_changes(self._storage, self._tenants, self._down, tenant_id, group)
        elif kind == WEBHOOK:
            await apply_webhooks(self._storage, self._tenants, self._down, tenant_id, group)

    async def _postpone(self, tenant_id: str, items: list[ClaimedItem],
                        error: grpc.aio.AioRpcError) -> None:
        reason = "api_budget_exhausted" if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED \
            else "salesforce_connection_unusable"
        await self._storage.postpone(QUEUE, [i.id for i in items],
                                     delay_seconds=PAUSE_RECHECK_SECONDS, reason=reason)
        log.info("tenant_paused", tenant=tenant_id, items=len(items), reason=reason)
