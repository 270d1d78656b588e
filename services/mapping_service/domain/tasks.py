"""Log completed Regal calls and SMS conversations as Salesforce Tasks (I6).

A completed call is a Task create; the writer turns it into an upsert on
``Regal_Sync_Key__c`` (the write's idempotency key), so a retry never
makes a second Task. Each SMS or MMS message of a conversation is
appended to one Task, upserted on ``Regal_Sync_Key__c = sms:<conversation
id>``; ``sms.conversation.completed`` completes that Task and appends the
agent's notes. The writer owns the appending (it reads the stored text)
and gives each Task to the Salesforce user whose email is the agent's.
"""

from __future__ import annotations

from mapping_service.domain.event_record import sms_content
from mapping_service.domain.regal_event import RegalEvent
from mapping_service.domain.values import JsonObject, iso_from_seconds
from mapping_service.domain.writes import CreatedRecord, MatchedRecord, WriteKind, WriteOut

SUBJECT_LIMIT = 255
SYNC_KEY_FIELD = "Regal_Sync_Key__c"
TASK_EVENTS = ("call.completed", "sms.conversation.completed")
MESSAGE_EVENTS = ("sms.sent", "sms.received", "mms.sent", "mms.received")
CONVERSATION_TASK = "conversation_task"
# The record a Task belongs to: matched, or being created by the same event.
Target = MatchedRecord | CreatedRecord


def task_write(event: RegalEvent, match: Target) -> WriteOut | None:
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
    conversation = event.text("sms_conversation_id")
    if event.name == "sms.conversation.completed" and conversation:
        fields["Description"] = _description(event, [])
        return _conversation_write(event, match, conversation, fields)
    return WriteOut(
        kind=WriteKind.CREATE,
        object_type="Task",
        fields={k: v for k, v in fields.items() if v is not None},
        ordering_key=_ordering_key(match),
        purpose="task",
        owner_email=agent_email(event),
    )


def message_write(event: RegalEvent, match: Target) -> WriteOut | None:
    """Append one SMS or MMS message to its conversation's Task."""
    conversation = event.text("sms_conversation_id")
    if event.name not in MESSAGE_EVENTS or not conversation:
        return None
    fields: JsonObject = {"Subject": "SMS conversation",
                          "Description": _message_line(event), **_link(match)}
    return _conversation_write(event, match, conversation, fields)


def _conversation_write(event: RegalEvent, match: Target, conversation: str,
                        fields: JsonObject) -> WriteOut:
    return WriteOut(
        kind=WriteKind.UPSERT,
        object_type="Task",
        # TaskSubtype can be set on create only, and an upsert may update.
        fields={k: v for k, v in fields.items() if v is not None and k != "TaskSubtype"},
        ordering_key=_ordering_key(match),
        purpose=CONVERSATION_TASK,
        external_id_field=SYNC_KEY_FIELD,
        external_id=f"sms:{conversation}",
        append_fields=("Description",),
        owner_email=agent_email(event),
    )


def agent_email(event: RegalEvent) -> str | None:
    """Return the agent's email, which some events carry as ``agent_id``."""
    for key in ("agent_email", "agent_id"):
        value = event.text(key)
        if value and "@" in value:
            return value
    return None


def _message_line(event: RegalEvent) -> str:
    who = "Contact" if event.name.endswith(".received") else "Agent"
    when = iso_from_seconds(event.occurred_at) if event.occurred_at is not None else ""
    text = event.text("content") or event.text("media_url") or ""
    return f"[{when}] {who}: {text}"


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


def _ordering_key(target: Target) -> str:
    if isinstance(target, CreatedRecord):
        return target.ordering_key
    return target.record_id


def _link(match: Target) -> JsonObject:
    """Tie the Task to a person (WhoId) or, for business Accounts, WhatId.

    A record still being created is named by its sync key; Who and What
    point at several objects, so the reference names its type.
    """
    if isinstance(match, CreatedRecord):
        relationship = "Who" if match.object_type in ("Lead", "Contact") else "What"
        return {relationship: {"attributes": {"type": match.sobject},
                               SYNC_KEY_FIELD: match.sync_key}}
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
