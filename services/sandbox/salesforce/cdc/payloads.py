"""Encode one change event: header, field values and bitmaps as Avro."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import fastavro
import structlog

from regalsync.pubsub.bitmaps import encode_bitmaps
from sandbox.salesforce.cdc.avro_schemas import ChangeEventSchema
from sandbox.salesforce.changes import RecordChange

log = structlog.get_logger(__name__)

_EPOCH_DAY = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_MS = dt.timedelta(milliseconds=1)


@dataclass(frozen=True)
class EventHeader:
    """The header values of one change event, as Salesforce names them."""

    entity: str
    record_ids: tuple[str, ...]
    change_type: str
    change_origin: str
    transaction_key: str
    sequence_number: int
    commit_timestamp_ms: int
    commit_number: int
    commit_user: str


@dataclass
class _Marks:
    """Positions to set in a bitmap: top-level and inside compounds."""

    top: set[int] = field(default_factory=set)
    nested: dict[int, set[int]] = field(default_factory=dict)

    def bitmaps(self) -> list[str]:
        return encode_bitmaps(self.top, self.nested)


def encode_event(
    schema: ChangeEventSchema, header: EventHeader, change: RecordChange | None,
) -> bytes:
    """Encode a change event as an Avro binary datum of ``schema``.

    ``change`` is None for gap and overflow events, which carry only the
    header. Every schema field is written; those the change does not touch
    are null.
    """
    values = _values(schema, change) if change else {}
    changed, nulled = _marks(schema, change)
    datum: dict[str, Any] = {
        "ChangeEventHeader": {
            "entityName": header.entity,
            "recordIds": list(header.record_ids),
            "changeType": header.change_type,
            "changeOrigin": header.change_origin,
            "transactionKey": header.transaction_key,
            "sequenceNumber": header.sequence_number,
            "commitTimestamp": header.commit_timestamp_ms,
            "commitNumber": header.commit_number,
            "commitUser": header.commit_user,
            "nulledFields": nulled.bitmaps(),
            # The sandbox always sends whole values, never text diffs.
            "diffFields": [],
            "changedFields": changed.bitmaps(),
        },
    }
    for slot in schema.slots:
        datum[slot.name] = values.get(slot.name)
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema.parsed, datum)

    return out.getvalue()


def _values(schema: ChangeEventSchema, change: RecordChange) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, raw in change.values.items():
        located = schema.slot_for(name)
        if located is None or raw is None:
            continue
        slot, component = located
        if component is None and slot.is_compound:
            # The composed value (a full Name) is not a field of the event.
            continue
        kind = component.kind if component else slot.kind
        value = _convert(schema.entity, name, kind, raw)
        if component is None:
            values[slot.name] = value
            continue
        nested = values.setdefault(slot.name, dict.fromkeys(
            (c.name for c in slot.components), None,
        ))
        nested[component.name] = value

    return values


def _marks(
    schema: ChangeEventSchema, change: RecordChange | None,
) -> tuple[_Marks, _Marks]:
    # Salesforce fills the field lists for updates only.
    if change is None or change.change_type != "UPDATE":
        return _Marks(), _Marks()
    changed = _mark(schema, (*change.changed_fields, *change.nulled_fields))
    nulled = _mark(schema, change.nulled_fields)

    return changed, nulled


def _mark(schema: ChangeEventSchema, names: Iterable[str]) -> _Marks:
    marks = _Marks()
    for name in names:
        located = schema.slot_for(name)
        if located is None:
            continue
        slot, component = located
        marks.top.add(slot.position)
        if component is not None:
            index = slot.components.index(component)
            marks.nested.setdefault(slot.position, set()).add(index)

    return marks


def _convert(entity: str, name: str, kind: str, raw: Any) -> Any:
    try:
        return _CONVERTERS[kind](raw)
    except (TypeError, ValueError):
        # The record store validated the value already; a value that still
        # does not fit is sent as null rather than losing the whole event.
        log.warning("change_event_value_unconvertible", entity=entity, field=name, kind=kind)
        return None


def _to_string(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def _to_boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ValueError(f"not a boolean: {type(raw).__name__}")


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise TypeError("boolean is not an int")
    return int(raw)


def _to_double(raw: Any) -> float:
    if isinstance(raw, bool):
        raise TypeError("boolean is not a double")
    return float(raw)


def _to_epoch_days(raw: Any) -> int:
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    day = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw)[:10])
    return (day - _EPOCH_DAY).days


def _to_epoch_ms(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    moment = raw if isinstance(raw, dt.datetime) else dt.datetime.fromisoformat(str(raw))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // _ONE_MS


_CONVERTERS = {
    "string": _to_string,
    "boolean": _to_boolean,
    "int": _to_int,
    "double": _to_double,
    "date": _to_epoch_days,
    "datetime": _to_epoch_ms,
}
