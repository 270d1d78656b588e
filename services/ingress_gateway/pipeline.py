"""Drive inbox items through the pipeline until a downstream queue has them.

Salesforce changes take the outbound flow (outbound_flow.py), Regal
webhooks the inbound flow (inbound_flow.py). An inbox item is
acknowledged only after the downstream queue answered; if anything fails
the whole batch is retried, and the idempotency keys carried downstream
make the retry harmless.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ingress_gateway.flows import Downstream
from ingress_gateway.inbound_flow import apply_webhooks
from ingress_gateway.inbox import CHANGE, WEBHOOK
from ingress_gateway.outbound_flow import send_changes
from regalsync.queue_worker import Settle, Settlement
from regalsync.storage import ClaimedItem, Storage
from regalsync.tenants import TenantDirectory


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
            if kind == CHANGE:
                await send_changes(self._storage, self._tenants, self._down, tenant_id, group)
            elif kind == WEBHOOK:
                await apply_webhooks(self._storage, self._tenants, self._down, tenant_id,
                                     group)
            settlements.extend(Settlement(i.id, Settle.ACK) for i, _ in group)
        return settlements
