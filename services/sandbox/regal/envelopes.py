"""Wrap webhook properties in the envelopes Regal's reporting webhooks use."""

from __future__ import annotations

import secrets
from typing import Any, Literal

EnvelopeShape = Literal["standard", "alternate"]
ENVELOPE_SHAPES: tuple[EnvelopeShape, ...] = ("standard", "alternate")
EVENT_SOURCE = "Regal Voice"


def new_event_id() -> str:
    """Return a fresh event id: 32 hex characters, as Regal's."""
    return secrets.token_hex(16)


def standard_envelope(
    *, event_type: str, user_id: str | None, traits: dict[str, Any],
    properties: dict[str, Any], original_timestamp: int,
) -> dict[str, Any]:
    """Return the envelope most reporting webhooks use."""
    return {
        "userId": user_id,
        "traits": traits,
        "name": event_type,
        "properties": properties,
        "originalTimestamp": str(original_timestamp),
        "eventSource": EVENT_SOURCE,
        "eventId": new_event_id(),
    }


def alternate_envelope(
    *, event_type: str, brand: str, profile_id: str,
    properties: dict[str, Any], original_timestamp: int,
) -> dict[str, Any]:
    """Return the second shape, which Regal uses for a few other event types."""
    return {
        "brand": brand,
        "event_id": new_event_id(),
        "event_type": event_type,
        "original_timestamp": str(original_timestamp),
        "profile_id": profile_id,
        "source": EVENT_SOURCE,
        "properties": properties,
    }
