"""The inbox tells webhooks from changes, which it gathers for different times."""

from __future__ import annotations

from ingress_gateway.inbox import RecordChange, change_item, is_webhook, webhook_item
from regalsync.storage import ClaimedItem, QueueItem


def claimed(item: QueueItem) -> ClaimedItem:
    return ClaimedItem(id=1, queue="ingress_inbox", tenant=item.tenant,
                       idempotency_key=item.idempotency_key,
                       ordering_key=item.ordering_key, payload=item.payload,
                       attempts=1, enqueued_at=0.0, lease_until=60.0, last_error=None)


def test_a_webhook_is_a_webhook() -> None:
    event = {"eventId": "evt-1", "name": "call.completed"}
    assert is_webhook(claimed(webhook_item("acme", event)))


def test_a_bare_webhook_without_id_is_a_webhook() -> None:
    assert is_webhook(claimed(webhook_item("acme", {"name": "sms.sent"})))


def test_a_salesforce_change_is_not() -> None:
    change = RecordChange(entity="Contact", change_type="UPDATE",
                          record_id="003000000000001AAA", changed_fields=("Phone",),
                          commit_timestamp_ms=1)
    assert not is_webhook(claimed(change_item("acme", b"\x01", change)))
