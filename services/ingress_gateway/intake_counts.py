"""Count what the ingress accepted into its inbox, by tenant and type.

A webhook counts under its Regal event name, a record change under
``<object>.<change type>`` (``Lead.UPDATE``); duplicates are not counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from ingress_gateway.inbox import WEBHOOK
from regalsync.metrics import count_events, current_metrics
from regalsync.storage import QueueItem


def count_accepted(tenant: str, items: Sequence[QueueItem], accepted: Sequence[bool]) -> None:
    """Count the new items of one enqueue as events taken in."""
    if current_metrics() is None:
        return
    count_events("in", tenant, _types(item for item, new in zip(items, accepted, strict=True)
                                      if new))


def _types(items: Iterator[QueueItem]) -> Iterator[str]:
    for item in items:
        body: Any = json.loads(item.payload)
        if body.get("kind") == WEBHOOK:
            event = body.get("event") or {}
            name = event.get("name") or event.get("event_type") or event.get("type")
            yield name if isinstance(name, str) else "unknown"
        else:
            yield f"{body.get('entity', 'unknown')}.{body.get('change_type', 'unknown')}"
