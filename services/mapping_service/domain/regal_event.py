"""Read a Regal webhook body, whichever envelope shape it arrives in.

Regal sends most events as ``{name, eventId, userId, originalTimestamp,
traits, properties}``, some as ``{event_type, event_id, original_timestamp,
profile_id, properties}``, and a few bare (the properties alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mapping_service.domain.values import JsonValue, epoch_seconds


@dataclass(frozen=True)
class RegalEvent:
    """Hold the parts of a Regal webhook event that regal-sync reads."""

    name: str
    event_id: str | None
    user_id: str | None
    traits: Mapping[str, JsonValue]
    properties: Mapping[str, JsonValue]
    occurred_at: int | None
    raw: Mapping[str, JsonValue] = field(default_factory=dict)

    def text(self, key: str) -> str | None:
        """Return a non-empty string property, else None."""
        value = self.properties.get(key)
        return value if isinstance(value, str) and value else None

    def number(self, key: str) -> int | float | None:
        """Return a numeric property (not a boolean), else None."""
        value = self.properties.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return value

    @property
    def phone(self) -> str | None:
        """Return the contact's phone from traits, else from the properties."""
        return _text(self.traits.get("phone")) or self.text("contact_phone")

    @property
    def email(self) -> str | None:
        """Return the contact's email from traits, else from the properties."""
        return _text(self.traits.get("email")) or self.text("contact_email")


def read_event(body: Mapping[str, JsonValue]) -> RegalEvent:
    """Normalise one webhook body into a RegalEvent."""
    if "event_type" in body or "event_id" in body:
        return RegalEvent(
            name=_text(body.get("event_type")) or "",
            event_id=_text(body.get("event_id")),
            user_id=_text(body.get("userId")),
            traits=_mapping(body.get("traits")),
            properties=_mapping(body.get("properties")),
            occurred_at=_occurred_at(body.get("original_timestamp")),
            raw=body,
        )
    if "properties" in body or "traits" in body:
        return RegalEvent(
            name=_text(body.get("name")) or "",
            event_id=_text(body.get("eventId")),
            user_id=_id_text(body.get("userId")),
            traits=_mapping(body.get("traits")),
            properties=_mapping(body.get("properties")),
            occurred_at=_occurred_at(body.get("originalTimestamp")),
            raw=body,
        )
    return RegalEvent(
        name=_text(body.get("name")) or _text(body.get("event")) or "",
        event_id=_text(body.get("eventId")) or _text(body.get("event_id")),
        user_id=_id_text(body.get("userId")),
        traits={},
        properties=body,
        occurred_at=_occurred_at(body.get("originalTimestamp") or body.get("timestamp")),
        raw=body,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _id_text(value: object) -> str | None:
    """Read an id Regal may send as a string or a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _mapping(value: object) -> Mapping[str, JsonValue]:
    return value if isinstance(value, dict) else {}


def _occurred_at(value: object) -> int | None:
    """Read Unix seconds, or an ISO 8601 time some envelopes use."""
    seconds = epoch_seconds(value)
    if seconds is not None or not isinstance(value, str):
        return seconds
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())
