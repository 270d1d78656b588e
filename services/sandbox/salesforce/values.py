"""Check and convert one written field value the way Salesforce's REST API does.

Values are kept in their REST form: ISO strings for dates, Salesforce's
``2024-05-01T12:00:00.000+0000`` form for datetimes, numbers, booleans and
``;``-joined multi-select picklists.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.salesforce import ids
from sandbox.salesforce.errors import SalesforceError, json_parser_error
from sandbox.salesforce.schema import FieldSchema

_TEXT_TYPES = frozenset({
    "string", "textarea", "phone", "email", "url", "picklist", "multipicklist", "time",
})
_NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_JAVA_NAMES = {"int": "int", "boolean": "boolean", "date": "date", "datetime": "datetime"}


def format_datetime(moment: dt.datetime) -> str:
    """Render a datetime as Salesforce's REST API does (UTC, milliseconds)."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def coerce(f: FieldSchema, raw: Any) -> Any:
    """Return the stored form of ``raw`` for field ``f`` or raise its error."""
    if raw is None:
        return False if f.type == "boolean" else None
    if isinstance(raw, dict | list):
        raise json_parser_error(
            f"Cannot deserialize instance of {_java(f)} from "
            f"{'START_OBJECT' if isinstance(raw, dict) else 'START_ARRAY'} value "
            "or request may be missing a required field",
        )
    if f.type in _TEXT_TYPES:
        return _text(f, raw)
    if f.type in ("reference", "id"):
        return _reference(f, raw)
    if f.type == "boolean":
        return _boolean(f, raw)
    if f.type in _NUMBER_TYPES:
        return _number(f, raw)
    if f.type == "date":
        return _date(f, raw)
    if f.type == "datetime":
        return _datetime(f, raw)
    return raw


def _text(f: FieldSchema, raw: Any) -> str:
    value = _json_text(raw)
    if f.length and len(value) > f.length:
        raise SalesforceError(
            "STRING_TOO_LONG",
            f"{f.label}: data value too large: {value[:40]} (max length={f.length})",
            fields=[f.name],
        )
    if f.type == "email" and value and not _EMAIL.match(value):
        raise SalesforceError(
            "INVALID_EMAIL_ADDRESS", f"{f.label}: invalid email address: {value}",
            fields=[f.name],
        )
    if f.restricted_picklist and value:
        _check_restricted(f, value)
    return value


def _json_text(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def _check_restricted(f: FieldSchema, value: str) -> None:
    allowed = {v.value for v in f.picklist_values if v.active}
    chosen = value.split(";") if f.type == "multipicklist" else [value]
    for item in chosen:
        if item not in allowed:
            raise SalesforceError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{f.label}: bad value for restricted picklist field: {item}",
                fields=[f.name],
            )


def _reference(f: FieldSchema, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _wrong_type(f, raw)
    id15 = ids.normalize(raw)
    if id15 is None:
        raise SalesforceError(
            "MALFORMED_ID", f"{f.label}: id value of incorrect type: {raw}",
            fields=[f.name],
        )
    return ids.to18(id15)


def _boolean(f: FieldSchema, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if isinstance(raw, str):
        raise _parse_error(f, raw)
    raise _wrong_type(f, raw)


def _number(f: FieldSchema, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _wrong_type(f, raw)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise _parse_error(f, raw) from None
    if not value.is_finite():
        raise _parse_error(f, raw)
    if f.precision:
        whole_digits = f.precision - f.scale
        if abs(value) >= Decimal(10) ** whole_digits:
            raise SalesforceError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{f.label}: value outside of valid range on numeric field: {raw}",
                fields=[f.name],
            )
    if f.type == "int":
        if value != value.to_integral_value():
            raise _parse_error(f, raw)
        return int(value)
    rounded = round(value, f.scale) if f.scale else value
    return int(rounded) if f.scale == 0 and rounded == int(rounded) else float(rounded)


def _date(f: FieldSchema, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _wrong_type(f, raw)
    try:
        return dt.date.fromisoformat(raw[:10]).isoformat()
    except ValueError:
        raise _parse_error(f, raw) from None


def _datetime(f: FieldSchema, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _wrong_type(f, raw)
    text = raw.strip()
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _parse_error(f, raw) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return format_datetime(moment)


def _java(f: FieldSchema) -> str:
    if f.type in _NUMBER_TYPES and f.type != "int":
        return "double"
    return _JAVA_NAMES.get(f.type, "String")


def _parse_error(f: FieldSchema, raw: Any) -> SalesforceError:
    return json_parser_error(
        f"Cannot deserialize instance of {_java(f)} from VALUE_STRING value {raw} "
        "or request may be missing a required field",
    )


def _wrong_type(f: FieldSchema, raw: Any) -> SalesforceError:
    return SalesforceError(
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        f"{f.label}: value not of required type: {_json_text(raw)}",
        fields=[f.name],
    )
