"""What the ingress records in its durable inbox before acknowledging.

Two kinds of input share the inbox: Regal webhook events and Salesforce
record changes. Each becomes one item whose idempotency key makes a
redelivery a no-op: Regal's ``eventId``, or the change event's replay id
plus the record id (one change event can name several records).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from regalsync.storage import ClaimedItem, QueueItem

QUEUE = "ingress_inbox"
WEBHOOK = "regal_webhook"
CHANGE = "salesforce_change"
_WEBHOOK_KEY_PREFIX = "regal:"


@dataclass(frozen=True)
class RecordChange:
    """One record named by a change event, as the pipeline needs it."""

    entity: str
    change_type: str
    record_id: str
    changed_fields: tuple[str, ...]
    commit_timestamp_ms: int


def webhook_item(tenant: str, event: dict[str, Any]) -> QueueItem:
    """Wrap one Regal webhook event for the inbox."""
    event_id = str(event.get("eventId") or event.get("event_id") or "")
    if not event_id:
        # Bare events carry no id: their content is their identity.
        canonical = json.dumps(event, sort_keys=True, separators=(",", ":"))
        event_id = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    body = {"kind": WEBHOOK, "event": event}
    return QueueItem(tenant=tenant, idempotency_key=f"{_WEBHOOK_KEY_PREFIX}{event_id}",
                     ordering_key=f"regal:{event_id}", payload=_dump(body))


def is_webhook(item: ClaimedItem) -> bool:
    """Tell a Regal webhook's inbox item from a Salesforce change's."""
    return item.idempotency_key.startswith(_WEBHOOK_KEY_PREFIX)


def change_item(tenant: str, replay_id: bytes, change: RecordChange) -> QueueItem:
    """Wrap one record's change for the inbox; ordered per record."""
    body = {"kind": CHANGE, "entity": change.entity, "change_type": change.change_type,
            "record_id": change.record_id, "changed_fields": list(change.changed_fields),
            "commit_timestamp_ms": change.commit_timestamp_ms}
    return QueueItem(tenant=tenant,
                     idempotency_key=f"cdc:{replay_id.hex()}:{change.record_id}",
                     ordering_key=f"sf:{change.record_id[:15]}", payload=_dump(body))


def resync_item(tenant: str, source: str, change: RecordChange) -> QueueItem:
    """Wrap a change found by querying Salesforce (recovery, overflow, polling).

    The key names the record and its modification stamp, so finding the
    same modification twice (two overlapping queries) queues it once.
    """
    body = {"kind": CHANGE, "entity": change.entity, "change_type": change.change_type,
            "record_id": change.record_id, "changed_fields": list(change.changed_fields),
            "commit_timestamp_ms": change.commit_timestamp_ms, "source": source}
    key = f"{source}:{change.entity}:{change.record_id[:15]}:{change.commit_timestamp_ms}"
    return QueueItem(tenant=tenant, idempotency_key=key,
                     ordering_key=f"sf:{change.record_id[:15]}", payload=_dump(body))


def _dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
