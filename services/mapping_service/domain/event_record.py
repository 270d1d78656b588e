"""Store a Regal event as a ``Regal_Event__c`` record in Salesforce (I5).

The record is upserted by ``Event_Id__c`` (Regal's event id), so a
redelivered event updates the same row. The external id also stays in the
fields: sObject Collections upserts read it from each record.
"""

from __future__ import annotations

import hashlib
import json

from mapping_service.domain.regal_event import RegalEvent
from mapping_service.domain.values import JsonObject, JsonValue, iso_from_seconds
from mapping_service.domain.writes import CreatedRecord, MatchedRecord, WriteKind, WriteOut

EVENT_OBJECT = "Regal_Event__c"
EVENT_ID_FIELD = "Event_Id__c"
SYNC_KEY_FIELD = "Regal_Sync_Key__c"
PAYLOAD_LIMIT = 131_072
_LOOKUPS = {
    "Lead": "Lead__c",
    "Contact": "Contact__c",
    "Account": "Account__c",
    "PersonAccount": "Account__c",
}
_DURATIONS = (
    ("talk_time", "Talk_Time__c"),
    ("wrapup_time", "Wrapup_Time__c"),
    ("handle_time", "Handle_Time__c"),
)


def event_record_write(event: RegalEvent, match: MatchedRecord | None,
                       created: CreatedRecord | None = None) -> WriteOut:
    """Build the upsert that stores one Regal event, linked to its match.

    An unmatched event whose record is being created links to that record
    by its sync key (``Lead__r: {Regal_Sync_Key__c: ...}``).
    """
    event_id = event.event_id or payload_digest(event)
    fields: JsonObject = {
        EVENT_ID_FIELD: event_id,
        "Event_Name__c": event.name,
        "User_Id__c": event.user_id,
        "Contact_Email__c": event.email,
        "Occurred_At__c": (
            iso_from_seconds(event.occurred_at) if event.occurred_at is not None else None
        ),
        "Objections__c": _objections(event),
        "Notes__c": event.text("notes"),
        "SMS_Content__c": sms_content(event),
        "Payload__c": _payload(event)[:PAYLOAD_LIMIT],
    }
    for key, field_name in _DURATIONS:
        fields[field_name] = event.number(key)
    lookup = _LOOKUPS.get(match.object_type) if match else None
    if match is not None and lookup is not None:
        fields[lookup] = match.record_id
    ordering_key = match.record_id if match else f"regal-event:{event_id}"
    created_lookup = _LOOKUPS.get(created.object_type) if created else None
    if match is None and created is not None and created_lookup is not None:
        fields[created_lookup.removesuffix("__c") + "__r"] = {SYNC_KEY_FIELD: created.sync_key}
        ordering_key = created.ordering_key
    return WriteOut(
        kind=WriteKind.UPSERT,
        object_type=EVENT_OBJECT,
        fields={k: v for k, v in fields.items() if v is not None},
        ordering_key=ordering_key,
        purpose="event_record",
        external_id_field=EVENT_ID_FIELD,
        external_id=event_id,
    )


def payload_digest(event: RegalEvent) -> str:
    """Stand in for a missing event id with a digest of the payload."""
    return hashlib.sha256(_payload(event).encode()).hexdigest()[:32]


def _payload(event: RegalEvent) -> str:
    return json.dumps(event.raw, ensure_ascii=False, sort_keys=True)


def _objections(event: RegalEvent) -> str | None:
    value = event.properties.get("objections")
    if not isinstance(value, list):
        return None
    # ';' lets a multi-select picklist hold the same text later.
    return ";".join(str(item) for item in value if item is not None) or None


def sms_content(event: RegalEvent) -> str | None:
    """Render an SMS or MMS body, or a whole conversation, as plain text."""
    if not event.name.startswith(("sms.", "mms.")):
        return None
    content = event.properties.get("content")
    if isinstance(content, list):
        return "\n".join(_message_line(entry) for entry in content) or None
    if isinstance(content, str) and content:
        return content
    return event.text("media_url")


def _message_line(entry: JsonValue) -> str:
    """Render ``[time, "Agent"|"Contact", "sent"|"received", text]``."""
    if not isinstance(entry, list) or len(entry) < 4:
        return str(entry)
    when, who, _, text = entry[:4]
    return f"[{when}] {who}: {text}"
