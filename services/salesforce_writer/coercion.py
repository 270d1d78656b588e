"""Convert Regal's JSON values to what each Salesforce field accepts (SPEC I3, C6).

The field's describe type decides: checkboxes take booleans (and their
usual spellings), numeric fields numbers (numeric strings converted),
multi-select picklists ``;``-joined lists, dates and datetimes ISO 8601
(Unix seconds converted), text fields strings cut to the field's length.
A value that cannot be converted raises ``Unwritable`` with a reason; the
writer drops that field and writes the rest (I8).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

_TRUE = frozenset({"true", "yes", "y", "1", "on", "checked", "subscribed"})
_FALSE = frozenset({"false", "no", "n", "0", "off", "", "unchecked", "unsubscribed"})
_NUMERIC = frozenset({"double", "currency", "percent", "int", "long"})
_TEXT = frozenset({"string", "textarea", "phone", "email", "url", "picklist", "combobox",
                   "encryptedstring"})
_NUMBER_NOISE = re.compile(r"[\s,$%€£]")
# Unix times above this are milliseconds (year 2286 in seconds).
_MILLISECONDS_FROM = 10_000_000_000


class Unwritable(ValueError):
    """A value the field cannot take; ``reason`` is machine-readable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FieldInfo:
    """What the writer needs from a field's describe."""

    name: str
    type: str
    length: int
    createable: bool
    updateable: bool
    external_id: bool = False
    # The name a write uses to point at the referenced record by an
    # external id (``Lead__r``, ``Who``); empty for other fields.
    relationship_name: str = ""

    @classmethod
    def from_describe(cls, field: dict[str, Any]) -> FieldInfo:
        """Read one entry of a describe result's ``fields``."""
        return cls(name=str(field["name"]), type=str(field.get("type", "string")),
                   length=int(field.get("length") or 0),
                   createable=bool(field.get("createable")),
                   updateable=bool(field.get("updateable")),
                   external_id=bool(field.get("externalId")),
                   relationship_name=str(field.get("relationshipName") or ""))


def coerce(value: Any, field: FieldInfo) -> Any:
    """Return ``value`` as ``field`` accepts it, or raise Unwritable."""
    if value is None:
        return None
    kind = field.type
    if kind == "boolean":
        return _boolean(value)
    if kind in _NUMERIC:
        number = _number(value)
        return round(number) if kind in ("int", "long") else number
    if kind == "date":
        return _moment(value).date().isoformat() if not _is_date_text(value) else value
    if kind == "datetime":
        return _moment(value).isoformat().replace("+00:00", "Z")
    if kind == "multipicklist":
        return _truncated(_multi(value), field.length)
    if kind in _TEXT or kind.endswith("textarea"):
        return _truncated(_text(value), field.length)
    if kind in ("id", "reference"):
        return _text(value)
    raise Unwritable(f"unsupported_type:{kind}")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise Unwritable("not_a_boolean")


def _number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise Unwritable("not_a_number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unwritable("not_a_number")
        return value
    if isinstance(value, str):
        text = _NUMBER_NOISE.sub("", value)
        try:
            number = float(text)
        except ValueError:
            raise Unwritable("not_a_number") from None
        if not math.isfinite(number):
            raise Unwritable("not_a_number")
        return int(number) if number.is_integer() and "." not in text else number
    raise Unwritable("not_a_number")


def _is_date_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _moment(value: Any) -> datetime:
    if isinstance(value, bool):
        raise Unwritable("not_a_date")
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
        value = float(value)
    if isinstance(value, int | float):
        seconds = value / 1000 if value > _MILLISECONDS_FROM else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise Unwritable("not_a_date") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise Unwritable("not_a_date")


def _multi(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(_text(v) for v in value if v is not None)
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value if v is not None)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _truncated(text: str, length: int) -> str:
    return text[:length] if length > 0 else text
