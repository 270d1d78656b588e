"""Shape JSON values the way both edges expect them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TypeAlias

JsonValue: TypeAlias = (
    str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None
)
JsonObject: TypeAlias = dict[str, JsonValue]

_NUMBER_TYPES = frozenset({"double", "currency", "percent", "int", "long"})
_EPOCH = date(1970, 1, 1)


def iso_from_ms(epoch_ms: int) -> str:
    """Render epoch milliseconds as ISO 8601 UTC with millisecond precision."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_from_seconds(epoch_seconds: int | float) -> str:
    """Render epoch seconds as ISO 8601 UTC to the second."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def epoch_seconds(value: object) -> int | None:
    """Read Unix seconds sent as an integer or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def regal_value(value: JsonValue, salesforce_type: str | None) -> JsonValue:
    """Give a Salesforce value the JSON type Regal should keep (O9, C6).

    Without a known Salesforce type the value passes through unchanged:
    JSON from Salesforce already keeps numbers and booleans typed.
    """
    if salesforce_type is None or value is None:
        return value
    if salesforce_type == "multipicklist" and isinstance(value, str):
        return [part for part in value.split(";") if part]
    if salesforce_type in _NUMBER_TYPES and isinstance(value, str):
        return _number(value)
    if salesforce_type == "date" and _is_plain_int(value):
        # The Pub/Sub API sends dates as days since the epoch.
        days = value if isinstance(value, int) else 0
        return (_EPOCH + timedelta(days=days)).isoformat()
    if salesforce_type == "datetime" and _is_plain_int(value):
        # ...and datetimes as epoch milliseconds.
        return iso_from_ms(value if isinstance(value, int) else 0)
    return value


def _is_plain_int(value: JsonValue) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(text: str) -> JsonValue:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def put_nested(target: JsonObject, path: Sequence[str], value: JsonValue) -> None:
    """Set ``value`` at a dotted path, creating the objects on the way."""
    node = target
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[path[-1]] = value


def get_nested(source: Mapping[str, JsonValue], path: Sequence[str]) -> JsonValue | Missing:
    """Read the value at a dotted path, or ``MISSING`` when absent."""
    node = source
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            return MISSING
        node = child
    return node.get(path[-1], MISSING)


class Missing:
    """Mark a key that is absent, as opposed to present with null."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()
