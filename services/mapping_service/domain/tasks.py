"""Log completed Regal calls and SMS conversations as Salesforce Tasks (I6).

Task has no external id in regal-sync's metadata, so a Task is a plain
create; the writer drops a second create under the same idempotency key.
The Task owner is left to Salesforce (the integration user): finding the
agent's user by email is a read, which belongs to the matcher.
"""

from __future__ import annotations

from mapping_service.domain.event_record import sms_content
from mapping_service.domain.regal_event import RegalEvent
from mapping_service.domain.values import JsonObject, iso_from_seconds
from mapping_service.domain.writes import MatchedRecord, WriteKind, WriteOut

SUBJECT_LIMIT = 255
TASK_EVENTS = ("call.completed", "sms.conversation.completed")


def task_write(event: RegalEvent, match: MatchedRecord) -> WriteOut | None:
    """Build the Task create for a completed call or SMS conversation."""
    if event.name == "call.completed":
        fields = _call_fields(event)
    elif event.name == "sms.conversation.completed":
        fields = _sms_fields(event)
    else:
        return None
    fields.update(_link(match))
    fields["Status"] = "Completed"
    activity_date = _activity_date(event)
    if activity_date:
        fields["ActivityDate"] = activity_date
    return WriteOut(
        kind=WriteKind.CREATE,
        object_type="Task",
        fields={k: v for k, v in fields.items() if v is not None},
        ordering_key=match.record_id,
        purpose="task",
    )


def _call_fields(event: RegalEvent) -> JsonObject:
    direction = (event.text("direction") or "").capitalize()
    talk_time = event.number("talk_time")
    return {
        "Subject": _subject(event, "Call"),
        "Type": "Call",
        "TaskSubtype": "Call",
        "CallType": direction if direction in ("Inbound", "Outbound") else None,
        "CallDurationInSeconds": int(talk_time) if talk_time is not None else None,
        "CallDisposition": event.text("disposition"),
        "CallObject": event.text("call_id"),
        "Description": _description(event, []),
    }


def _sms_fields(event: RegalEvent) -> JsonObject:
    conversation = sms_content(event)
    return {
        "Subject": _subject(event, "SMS"),
        "TaskSubtype": "Task",
        "Description": _description(event, [conversation] if conversation else []),
    }


def _subject(event: RegalEvent, fallback: str) -> str:
    kind = event.text("type") or fallback
    disposition = event.text("disposition")
    subject = f"{kind} - {disposition}" if disposition else kind
    return subject[:SUBJECT_LIMIT]


def _description(event: RegalEvent, leading: list[str]) -> str:
    lines = list(leading)
    notes = event.text("notes")
    if notes:
        lines.append(f"Notes: {notes}")
    handle_time = event.number("handle_time")
    if handle_time is not None:
        lines.append(f"Handle time: {handle_time:g} s")
    campaign = event.text("campaign_name")
    if campaign:
        campaign_id = event.text("campaign_friendly_id")
        lines.append(f"Campaign: {campaign}" + (f" ({campaign_id})" if campaign_id else ""))
    agent = event.text("agent_fullname")
    if agent:
        lines.append(f"Agent: {agent}")
    objections = event.properties.get("objections")
    if isinstance(objections, list) and objections:
        lines.append("Objections: " + ", ".join(str(o) for o in objections))
    recording = event.text("recording_link")
    if recording:
        lines.append(f"Recording: {recording}")
    return "\n".join(lines)


def _link(match: MatchedRecord) -> JsonObject:
    """Tie the Task to a person (WhoId) or, for business Accounts, WhatId."""
    if match.object_type in ("Lead", "Contact"):
        return {"WhoId": match.record_id}
    person = match.fields.get("PersonContactId")
    if match.object_type == "PersonAccount" and isinstance(person, str) and person:
        return {"WhoId": person}
    return {"WhatId": match.record_id}


def _activity_date(event: RegalEvent) -> str | None:
    completed = event.number("completed_at") or event.occurred_at
    if completed is None:
        return None
    return iso_from_seconds(completed)[:10]
