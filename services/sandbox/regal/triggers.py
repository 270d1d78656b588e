"""Make reporting-webhook events happen for a profile, and send them out."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any

from sandbox.regal.catalog import GENERATORS, Scene, remember, settle_durations
from sandbox.regal.envelopes import EnvelopeShape, alternate_envelope, standard_envelope
from sandbox.regal.profiles import Profile, Subscription, deep_merge
from sandbox.regal.state import Account
from sandbox.regal.validation import CHANNELS
from sandbox.regal.webhooks import Delivery, WebhookDispatcher

_SUBSCRIPTION_EVENTS = {"contact.subscribed": True, "contact.unsubscribed": False}
# Events whose envelope time is when the work was completed, not when sent.
_COMPLETION_EVENTS = frozenset({"call.completed", "sms.conversation.completed"})


@dataclass(frozen=True)
class Trigger:
    event_type: str
    overrides: dict[str, Any]
    shape: EnvelopeShape = "standard"
    seed: int | None = None


def make_event(account: Account, profile: Profile, trigger: Trigger) -> dict[str, Any]:
    """Return the webhook body for ``trigger`` and apply it to the profile."""
    now = int(time.time())
    # A seeded trigger makes the same properties again; ids stay fresh per event.
    rng = random.Random(trigger.seed)  # noqa: S311 - test data, not secrets
    activity = account.activity_of(profile.profile_id)
    scene = Scene(rng, now, account.brand, profile.primary_phone, activity,
                  profile.traits, trigger.overrides)
    properties = GENERATORS[trigger.event_type](scene)
    deep_merge(properties, trigger.overrides)
    settle_durations(properties, trigger.overrides)
    remember(trigger.event_type, properties, activity, now)
    _apply(account, profile, trigger.event_type, properties)
    stamp = properties.get("completed_at")
    if trigger.event_type not in _COMPLETION_EVENTS or not isinstance(stamp, int):
        stamp = now
    if trigger.shape == "alternate":
        return alternate_envelope(
            event_type=trigger.event_type, brand=account.brand,
            profile_id=profile.profile_id, properties=properties, original_timestamp=stamp)
    traits: dict[str, Any] = {"phone": profile.primary_phone, "email": profile.primary_email}
    if trigger.event_type in _SUBSCRIPTION_EVENTS:
        traits["ip"] = properties.get("ip")
    return standard_envelope(
        event_type=trigger.event_type, user_id=profile.user_id, traits=traits,
        properties=properties, original_timestamp=stamp)


def _apply(account: Account, profile: Profile, event_type: str, props: dict[str, Any]) -> None:
    """Change the profile as the event says Regal changed it."""
    subscribed = _SUBSCRIPTION_EVENTS.get(event_type)
    channel = props.get("channel")
    if subscribed is not None and channel in CHANNELS:
        profile.subscribe(channel, Subscription(
            subscribed, _text(props.get("timestamp")), _text(props.get("source")),
            _text(props.get("ip")), _text(props.get("text"))))
    if event_type == "contact.attribute.edited":
        edited = props.get("changes", {}).get("custom_properties", {})
        for name, change in edited.items() if isinstance(edited, dict) else ():
            if isinstance(change, dict):
                profile.traits[name] = change.get("new_value")
    account.profiles.record(profile, event_type, "webhook_trigger", None, props)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def send(
    dispatcher: WebhookDispatcher, account: Account, event_type: str | None,
    payload: bytes, *, webhook_id: str | None = None, respect_filters: bool = True,
) -> list[Delivery]:
    """Start one delivery per receiver that wants this event.

    Naming a ``webhook_id`` sends there whatever its event-type filter says.
    """
    chosen = [s for s in account.webhooks.values()
              if webhook_id is None or s.webhook_id == webhook_id]
    if respect_filters and webhook_id is None and event_type is not None:
        chosen = [s for s in chosen if s.wants(event_type)]
    return [dispatcher.start(s, account.account_id, event_type, payload) for s in chosen]


def encode(body: dict[str, Any]) -> bytes:
    """Return a webhook body as the bytes sent."""
    return json.dumps(body).encode()
