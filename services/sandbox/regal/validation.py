"""Check a body posted to ``/events`` and read it into a typed event.

Regal documents 400 for bad input without listing its rules; the rules
below are the sandbox's reading of the reference, stated in the docs page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

from sandbox.regal.contact_points import normalize_email, normalize_phone

Channel = Literal["voice", "sms", "email"]
CHANNELS: tuple[Channel, ...] = ("voice", "sms", "email")

# Traits that are about identity and consent, kept apart from the rest.
_IDENTITY_TRAITS = frozenset({"phone", "phones", "email", "emails", "optIn"})


class EventRejected(Exception):
    """Raised when a body breaks a rule; the message goes back to the caller."""


@dataclass(frozen=True)
class PhoneTrait:
    number: str
    is_primary: bool = False
    label: str | None = None
    voice_opt_in: bool | None = None
    sms_opt_in: bool | None = None


@dataclass(frozen=True)
class EmailTrait:
    address: str
    is_primary: bool = False
    label: str | None = None
    email_opt_in: bool | None = None


@dataclass(frozen=True)
class OptIn:
    channel: Channel
    subscribed: bool
    timestamp: str | None
    source: str | None = None
    ip: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class RegalEvent:
    """Hold one accepted body; ``name`` None means a traits-only identify."""

    user_id: str | None
    name: str | None
    phones: tuple[PhoneTrait, ...]
    emails: tuple[EmailTrait, ...]
    opt_ins: tuple[OptIn, ...]
    traits: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    event_source: str | None = None

    @property
    def primary_phone(self) -> PhoneTrait | None:
        """Return the phone that opt-ins for voice and SMS apply to."""
        return _primary(self.phones)

    @property
    def primary_email(self) -> EmailTrait | None:
        """Return the email that opt-ins for email apply to."""
        return _primary(self.emails)


_Point = TypeVar("_Point", "PhoneTrait", "EmailTrait")


def _primary(items: tuple[_Point, ...]) -> _Point | None:
    for item in items:
        if item.is_primary:
            return item
    return items[0] if items else None


def parse_event(body: object) -> RegalEvent:
    """Return the event in ``body`` or raise EventRejected saying why not."""
    if not isinstance(body, dict):
        raise EventRejected("body must be a JSON object")
    user_id = _optional_str(body, "userId", "userId")
    name = _optional_str(body, "name", "name")
    event_source = _optional_str(body, "eventSource", "eventSource")
    _check_timestamp(body.get("originalTimestamp"), "originalTimestamp")
    traits = _optional_object(body, "traits", "traits")
    properties = _optional_object(body, "properties", "properties")
    if "properties" in body and name is None:
        raise EventRejected("name is required when properties are sent")
    phones = _phones(traits)
    emails = _emails(traits)
    if user_id is None and not phones and not emails:
        raise EventRejected("userId or a phone or email in traits is required")
    rest = {k: v for k, v in traits.items() if k not in _IDENTITY_TRAITS}
    return RegalEvent(
        user_id=user_id, name=name, phones=phones, emails=emails,
        opt_ins=_opt_ins(traits.get("optIn")), traits=rest,
        properties=properties, event_source=event_source,
    )


def _optional_str(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise EventRejected(f"{where} must be a string")
    return value or None


def _optional_bool(data: dict[str, Any], key: str, where: str) -> bool | None:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise EventRejected(f"{where}.{key} must be true or false")


def _optional_object(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EventRejected(f"{where} must be an object")
    return cast(dict[str, Any], value)


def _check_timestamp(value: object, where: str) -> None:
    if value is None or isinstance(value, str):
        return
    if isinstance(value, int | float) and not isinstance(value, bool):
        return
    raise EventRejected(f"{where} must be a string or a number")


def _phone(raw: object, where: str) -> str:
    if not isinstance(raw, str):
        raise EventRejected(f"{where} must be a string")
    number = normalize_phone(raw)
    if number is None:
        raise EventRejected(f"{where} is not a phone number")
    return number


def _email(raw: object, where: str) -> str:
    if not isinstance(raw, str):
        raise EventRejected(f"{where} must be a string")
    address = normalize_email(raw)
    if address is None:
        raise EventRejected(f"{where} is not an email address")
    return address


def _phones(traits: dict[str, Any]) -> tuple[PhoneTrait, ...]:
    found: list[PhoneTrait] = []
    legacy = traits.get("phone")
    if legacy is not None:
        # The latest phone sent in the legacy form becomes primary.
        found.append(PhoneTrait(_phone(legacy, "traits.phone"), is_primary=True))
    for raw, where, spec in _keyed_entries(traits, "phones"):
        number = _phone(raw, where)
        if any(p.number == number for p in found):
            continue
        found.append(PhoneTrait(
            number,
            is_primary=not found and bool(_optional_bool(spec, "isPrimary", where)),
            label=_optional_str(spec, "label", f"{where}.label"),
            voice_opt_in=_optional_bool(spec, "voiceOptIn", where),
            sms_opt_in=_optional_bool(spec, "smsOptIn", where),
        ))
    return tuple(found)


def _emails(traits: dict[str, Any]) -> tuple[EmailTrait, ...]:
    found: list[EmailTrait] = []
    legacy = traits.get("email")
    if legacy is not None:
        found.append(EmailTrait(_email(legacy, "traits.email"), is_primary=True))
    for raw, where, spec in _keyed_entries(traits, "emails"):
        address = _email(raw, where)
        if any(e.address == address for e in found):
            continue
        found.append(EmailTrait(
            address,
            is_primary=not found and bool(_optional_bool(spec, "isPrimary", where)),
            label=_optional_str(spec, "label", f"{where}.label"),
            email_opt_in=_optional_bool(spec, "emailOptIn", where),
        ))
    return tuple(found)


def _keyed_entries(
    traits: dict[str, Any], key: str,
) -> list[tuple[str, str, dict[str, Any]]]:
    """Return (key, path for messages, entry) of ``traits[key]``, primary first."""
    entries = _optional_object(traits, key, f"traits.{key}")
    listed: list[tuple[str, str, dict[str, Any]]] = []
    for raw, spec in entries.items():
        where = f"traits.{key}.{raw}"
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise EventRejected(f"{where} must be an object")
        listed.append((raw, where, spec))
    listed.sort(key=lambda entry: entry[2].get("isPrimary") is not True)
    return listed


def _opt_ins(value: object) -> tuple[OptIn, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise EventRejected("traits.optIn must be a list")
    return tuple(_opt_in(item, f"traits.optIn[{i}]") for i, item in enumerate(value))


def _opt_in(item: object, where: str) -> OptIn:
    if not isinstance(item, dict):
        raise EventRejected(f"{where} must be an object")
    channel = item.get("channel")
    if channel not in CHANNELS:
        raise EventRejected(f"{where}.channel must be one of voice, sms, email")
    subscribed = item.get("subscribed")
    if not isinstance(subscribed, bool):
        raise EventRejected(f"{where}.subscribed must be true or false")
    timestamp = item.get("timestamp")
    _check_timestamp(timestamp, f"{where}.timestamp")
    return OptIn(
        channel=cast(Channel, channel), subscribed=subscribed,
        timestamp=None if timestamp is None else str(timestamp),
        source=_optional_str(item, "source", f"{where}.source"),
        ip=_optional_str(item, "ip", f"{where}.ip"),
        text=_optional_str(item, "text", f"{where}.text"),
    )
