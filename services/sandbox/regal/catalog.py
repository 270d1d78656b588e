"""Realistic properties for the 13 reporting-webhook events the sync uses.

Field names, nesting and types follow the documented examples in
``regal-webhook-samples.json``; the values are invented but hang together:
call times add up, an SMS conversation keeps its id across its messages and
its completion lists them, a recording points at the last call.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

EVENT_TYPES: tuple[str, ...] = (
    "call.completed", "call.recording.available", "contact.subscribed",
    "contact.unsubscribed", "contact.attribute.edited",
    "contact.experiment.assigned", "sms.conversation.completed", "sms.sent",
    "sms.received", "mms.sent", "mms.received", "task.created", "task.canceled",
)

_T = TypeVar("_T")


@dataclass(frozen=True)
class Agent:
    first_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        """Return the agent's name as Regal writes it."""
        return f"{self.first_name} {self.last_name}"

    @property
    def email(self) -> str:
        """Return the agent's login email."""
        return f"{self.first_name}.{self.last_name}@example.com".lower()


@dataclass(frozen=True)
class Journey:
    name: str
    uuid: str
    friendly_id: int


_AGENTS = (Agent("Casey", "Sampleton"), Agent("Morgan", "Ellery"),
           Agent("Riley", "Okafor"), Agent("Avery", "Lindqvist"))
_LINES = (("+16465550112", "Renewals Line"), ("+16465550178", "Sales Line"))
_CAMPAIGNS = (("Policy Renewal Reminder", "212"), ("New Quote Follow-up", "215"),
              ("Win-back Offer", "219"))
_JOURNEYS = (Journey("Renewal Outreach", "4a4879cd-9f4c-4d5d-9fbb-6bb091e775ed", 57),
             Journey("New Lead Speed-to-Lead", "9c1e07d2-5b8a-4f43-8d0e-2f6a1c7b3e90", 61))
# Disposition and whether a conversation happened on such a call.
_CALL_DISPOSITIONS = (("Follow Up Scheduled", True), ("Sale Completed", True),
                      ("Not Interested", True), ("Left Voicemail", False),
                      ("No Answer", False))
_SMS_DISPOSITIONS = ("Policy Updated", "Question Answered", "Follow Up Scheduled")
_OBJECTIONS = ("Timing", "Price", "Coverage", "Start Date", "Spouse Decision")
_NOTES = ("Wants a side-by-side quote by email before renewing.",
          "Asked to be called back next week after payday.",
          "Compared with a competitor's offer; sent the discount details.")
_AGENT_TEXTS = ("Hi, this is {agent} from {brand}. Did the quote come through OK?",
                "Done - I've updated it. You'll get a confirmation email shortly.",
                "Happy to help. Anything else I can check for you?")
_CONTACT_TEXTS = ("It did, but can I move my start date to the 1st?",
                  "Thanks! What's the monthly price with the discount?",
                  "Sounds good, talk soon.")
_EXPERIMENTS = (("Renewal Discount Messaging", "33fa2f3a-73b4-4788-9a43-07bb5610068b",
                 ("Loyalty Credit - 10%", "Control")),)
_ATTRIBUTE_VALUES = ("Renters", "Homeowners", "Auto", "Umbrella")
_CONSENT_TEXT = ("Yes, {brand} may send me recurring automated texts at the number "
                 "above. Reply STOP to opt out, HELP for help. Msg & data rates may apply.")


@dataclass
class Conversation:
    conversation_id: str
    agent: Agent
    line: tuple[str, str]
    started_at: int
    messages: list[list[Any]] = field(default_factory=list)


@dataclass
class ProfileActivity:
    """Remember what earlier triggers did, so later ones can follow on."""

    conversation: Conversation | None = None
    last_call: dict[str, Any] | None = None
    open_task_id: str | None = None


@dataclass
class Scene:
    """Hold what one trigger's properties are made from."""

    rng: random.Random
    now: int
    brand: str
    contact_phone: str | None
    activity: ProfileActivity
    traits: dict[str, Any]
    overrides: dict[str, Any]

    def pick(self, options: tuple[_T, ...]) -> _T:
        """Return one of ``options``."""
        return options[self.rng.randrange(len(options))]

    def sid(self, prefix: str) -> str:
        """Return an id shaped like Regal's and Twilio's: prefix and 32 hex."""
        return f"{prefix}{self.rng.getrandbits(128):032x}"

    def conversation(self) -> Conversation:
        """Return the open SMS conversation, opening one when needed."""
        wanted = self.overrides.get("sms_conversation_id")
        open_one = self.activity.conversation
        if open_one is None or (wanted and wanted != open_one.conversation_id):
            open_one = Conversation(
                conversation_id=wanted if isinstance(wanted, str) else self.sid("WT"),
                agent=self.pick(_AGENTS), line=self.pick(_LINES), started_at=self.now)
            self.activity.conversation = open_one
        return open_one


def message_time(unix_seconds: int) -> str:
    """Return a time as SMS conversation content writes it (UTC)."""
    moment = dt.datetime.fromtimestamp(unix_seconds, dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _journey_fields(journey: Journey | None) -> dict[str, Any]:
    return {
        "journey_uuid": journey.uuid if journey else None,
        "journey_name": journey.name if journey else None,
        "journey_friendly_id": journey.friendly_id if journey else None,
    }


def _call_completed(s: Scene) -> dict[str, Any]:
    agent, (line, line_name) = s.pick(_AGENTS), s.pick(_LINES)
    campaign, campaign_id = s.pick(_CAMPAIGNS)
    disposition, happened = s.pick(_CALL_DISPOSITIONS)
    direction = "OUTBOUND" if s.rng.random() < 0.8 else "INBOUND"
    talk = s.rng.randint(45, 900) if happened else s.rng.randint(15, 40)
    wrapup = s.rng.randint(10, 120)
    ended = s.now - wrapup
    return {
        "agent_firstname": agent.first_name, "agent_fullname": agent.full_name,
        "agent_email": agent.email, "direction": direction,
        "regal_voice_phone": line, "regal_voice_phone_internal_name": line_name,
        "contact_phone": s.contact_phone, "call_id": s.sid("WT"),
        "type": "Outbound Call" if direction == "OUTBOUND" else "Inbound Call",
        "disposition": disposition, "notes": s.pick(_NOTES),
        "objections": [s.pick(_OBJECTIONS)] if happened else None,
        "campaign_name": campaign, "campaign_friendly_id": campaign_id,
        "conversation_happened": happened,
        "started_at": ended - talk, "ended_at": ended, "completed_at": s.now,
        "talk_time": talk, "wrapup_time": wrapup, "handle_time": talk + wrapup,
        **_journey_fields(s.pick(_JOURNEYS)),
    }


_RECORDING_KEYS = ("agent_email", "direction", "regal_voice_phone",
                   "regal_voice_phone_internal_name", "contact_phone", "call_id",
                   "type", "disposition", "notes", "objections", "campaign_name",
                   "campaign_friendly_id", "started_at", "ended_at", "talk_time",
                   "journey_uuid", "journey_name", "journey_friendly_id")


def _call_recording_available(s: Scene) -> dict[str, Any]:
    call = s.activity.last_call or _call_completed(s)
    recording = (f"https://api.twilio.com/2010-04-01/Accounts/{s.sid('AC')}"
                 f"/Recordings/{s.sid('RE')}.mp3")
    properties = {key: call.get(key) for key in _RECORDING_KEYS}
    properties["call_sid"] = s.sid("CA")
    properties["recording_link"] = recording
    return properties


def _subscription(s: Scene, subscribed: bool) -> dict[str, Any]:
    channel = s.overrides.get("channel", "sms")
    place = "quote_form" if subscribed else "preference_center"
    return {
        "new_subscription": True, "channel": channel,
        "text": _CONSENT_TEXT.format(brand=s.brand) if subscribed else None,
        "ip": f"203.0.113.{s.rng.randint(1, 254)}",
        "source": f"{s.brand}.{place}", "timestamp": str(s.now - 2),
    }


def _contact_subscribed(s: Scene) -> dict[str, Any]:
    return _subscription(s, subscribed=True)


def _contact_unsubscribed(s: Scene) -> dict[str, Any]:
    return _subscription(s, subscribed=False)


def _attribute_changes(s: Scene) -> dict[str, Any]:
    """Return the edited attributes with old values read from the profile."""
    asked = s.overrides.get("changes", {}).get("custom_properties")
    if isinstance(asked, dict) and asked:
        return {name: {"old_value": s.traits.get(name),
                       "new_value": change.get("new_value") if isinstance(change, dict) else None}
                for name, change in asked.items()}
    name = "policy_type"
    old = s.traits.get(name)
    new = s.pick(tuple(v for v in _ATTRIBUTE_VALUES if v != old))
    return {name: {"old_value": old, "new_value": new}}


def _contact_attribute_edited(s: Scene) -> dict[str, Any]:
    return {
        "agent_email": s.pick(_AGENTS).email, "contact_phone": s.contact_phone,
        "changes": {"custom_properties": _attribute_changes(s)},
        "created_at": str(s.now),
    }


def _contact_experiment_assigned(s: Scene) -> dict[str, Any]:
    name, experiment_id, variants = s.pick(_EXPERIMENTS)
    journey = s.pick(_JOURNEYS)
    return {
        "experiment_name": name, "experiment_id": experiment_id,
        "experiment_variant": s.pick(variants), "journey_uuid": journey.uuid,
        "journey_friendly_id": journey.friendly_id, "journey_name": journey.name,
    }


def _message(s: Scene, outbound: bool, media: bool) -> dict[str, Any]:
    conversation = s.conversation()
    agent, (line, line_name) = conversation.agent, conversation.line
    message_id = s.sid("IM")
    texts = _AGENT_TEXTS if outbound else _CONTACT_TEXTS
    text = s.pick(texts).format(agent=agent.first_name, brand=s.brand)
    media_url = (f"https://media.rv-apps.io/{s.brand}/mms/{s.sid('CH')}/{message_id}"
                 f"/{s.sid('ME')}/{'summary.png' if outbound else 'IMG_4821.jpg'}")
    properties: dict[str, Any] = {
        "agent_fullname": agent.full_name, "agent_id": agent.email,
        "direction": "OUTBOUND" if outbound else "INBOUND",
        "content": None if media else text, "media_url": media_url if media else None,
        "regal_voice_phone": line, "regal_voice_phone_internal_name": line_name,
        "contact_phone": s.contact_phone,
        "from_number": line if outbound else s.contact_phone,
        "to_number": s.contact_phone if outbound else line,
        "sms_conversation_id": conversation.conversation_id,
        "sms_message_id": message_id,
    }
    if media:
        properties.update(agent_email=agent.email, related_object_id=None,
                          related_object_type=None)
    return properties


def _sms_sent(s: Scene) -> dict[str, Any]:
    properties = _message(s, outbound=True, media=False)
    # The documented agent-sent example names no line.
    del properties["regal_voice_phone_internal_name"]
    return properties


def _sms_received(s: Scene) -> dict[str, Any]:
    return _message(s, outbound=False, media=False)


def _mms_sent(s: Scene) -> dict[str, Any]:
    return _message(s, outbound=True, media=True)


def _mms_received(s: Scene) -> dict[str, Any]:
    properties = _message(s, outbound=False, media=True)
    # An inbound MMS has no agent yet, as in the documented example.
    properties.update(agent_email=None, agent_fullname=None, agent_id=None)
    return properties


def _sms_conversation_completed(s: Scene) -> dict[str, Any]:
    conversation = s.conversation()
    if not conversation.messages:
        conversation.started_at = s.now - 180
        for offset, outbound in ((0, True), (120, False), (150, True)):
            when = message_time(conversation.started_at + offset)
            texts = _AGENT_TEXTS if outbound else _CONTACT_TEXTS
            text = s.pick(texts).format(agent=conversation.agent.first_name, brand=s.brand)
            conversation.messages.append(
                [when, "Agent" if outbound else "Contact",
                 "sent" if outbound else "received", text])
    outbound = conversation.messages[0][1] == "Agent"
    wrapup = s.rng.randint(10, 60)
    ended = max(conversation.started_at, s.now - wrapup)
    agent, (line, line_name) = conversation.agent, conversation.line
    return {
        "content": [list(m) for m in conversation.messages],
        "regal_voice_phone": line, "regal_voice_phone_internal_name": line_name,
        "contact_phone": s.contact_phone,
        "sms_conversation_id": conversation.conversation_id,
        "agent_id": agent.email, "agent_firstname": agent.first_name,
        "agent_fullname": agent.full_name,
        "direction": "OUTBOUND" if outbound else "INBOUND",
        "type": "Outbound SMS" if outbound else "Inbound SMS",
        "disposition": s.pick(_SMS_DISPOSITIONS), "objections": [s.pick(_OBJECTIONS)],
        "notes": s.pick(_NOTES),
        "started_at": conversation.started_at, "ended_at": ended, "completed_at": s.now,
        "conversation_happened": True,
        "talk_time": ended - conversation.started_at, "wrapup_time": s.now - ended,
        "handle_time": s.now - conversation.started_at,
        **_journey_fields(None),
    }


def _task(s: Scene, task_id: str) -> dict[str, Any]:
    agent, (line, line_name) = s.pick(_AGENTS), s.pick(_LINES)
    campaign, campaign_id = s.pick(_CAMPAIGNS)
    return {
        "direction": "OUTBOUND", "regal_voice_phone": line,
        "regal_voice_phone_internal_name": line_name,
        "contact_phone": s.contact_phone, "task_id": task_id,
        "type": "Outbound Call", "campaign_name": campaign,
        "campaign_friendly_id": campaign_id, "queue": "Outbound Call",
        "channel": "voice", "target_agent_fullname": agent.full_name,
        "target_agent_id": agent.email,
        **_journey_fields(s.pick(_JOURNEYS)),
    }


def _task_created(s: Scene) -> dict[str, Any]:
    properties = _task(s, s.sid("WT"))
    properties.update(scheduling_agent_fullname=None, scheduling_agent_id=None)
    return properties


def _task_canceled(s: Scene) -> dict[str, Any]:
    properties = _task(s, s.activity.open_task_id or s.sid("WT"))
    properties.update(canceled_by="regal_voice", cancelation_reason="task_timeout",
                      cancelation_source="system", cancelation_notes=None)
    return properties


GENERATORS: Mapping[str, Callable[[Scene], dict[str, Any]]] = MappingProxyType({
    "call.completed": _call_completed,
    "call.recording.available": _call_recording_available,
    "contact.subscribed": _contact_subscribed,
    "contact.unsubscribed": _contact_unsubscribed,
    "contact.attribute.edited": _contact_attribute_edited,
    "contact.experiment.assigned": _contact_experiment_assigned,
    "sms.conversation.completed": _sms_conversation_completed,
    "sms.sent": _sms_sent,
    "sms.received": _sms_received,
    "mms.sent": _mms_sent,
    "mms.received": _mms_received,
    "task.created": _task_created,
    "task.canceled": _task_canceled,
})

_CALL_TIMES = ("started_at", "ended_at", "completed_at")
_DURATIONS = {"talk_time": ("started_at", "ended_at"),
              "wrapup_time": ("ended_at", "completed_at"),
              "handle_time": ("started_at", "completed_at")}


def settle_durations(properties: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Recompute durations from the call times, unless a caller chose them.

    Overriding ``talk_time`` or ``wrapup_time`` without any call time moves
    the end times instead, so that talk = ended - started, wrap-up =
    completed - ended and handle = completed - started keep holding.
    """
    if not all(isinstance(properties.get(k), int) for k in _CALL_TIMES):
        return
    talk, wrapup = overrides.get("talk_time"), overrides.get("wrapup_time")
    moved = isinstance(talk, int) or isinstance(wrapup, int)
    if moved and not any(k in overrides for k in _CALL_TIMES):
        kept_wrapup = properties["completed_at"] - properties["ended_at"]
        if isinstance(talk, int):
            properties["ended_at"] = properties["started_at"] + talk
        properties["completed_at"] = properties["ended_at"] + (
            wrapup if isinstance(wrapup, int) else kept_wrapup)
    for duration, (start, end) in _DURATIONS.items():
        if duration in properties and duration not in overrides:
            properties[duration] = properties[end] - properties[start]


def remember(
    event_type: str, properties: dict[str, Any], activity: ProfileActivity, now: int,
) -> None:
    """Note what this event changes for the events that follow it."""
    conversation = activity.conversation
    if event_type == "call.completed":
        activity.last_call = properties
    elif event_type in ("sms.sent", "sms.received") and conversation is not None:
        outbound = event_type == "sms.sent"
        conversation.messages.append([
            message_time(now), "Agent" if outbound else "Contact",
            "sent" if outbound else "received", properties.get("content")])
    elif event_type == "sms.conversation.completed":
        activity.conversation = None
    elif event_type == "task.created":
        activity.open_task_id = properties.get("task_id")
    elif event_type == "task.canceled":
        activity.open_task_id = None

