"""Change events are decoded as far as their header, which is all the pipeline reads."""

from __future__ import annotations

import io
from typing import Any

import fastavro

from ingress_gateway.change_intake import EventSchema

_HEADER = {
    "name": "ChangeEventHeader",
    "type": {"type": "record", "name": "ChangeEventHeader", "fields": [
        {"name": "entityName", "type": "string"},
        {"name": "changeType", "type": "string"},
        {"name": "recordIds", "type": {"type": "array", "items": "string"}},
    ]},
}
_BODY = [{"name": "LastName", "type": ["null", "string"], "default": None},
         {"name": "Phone", "type": ["null", "string"], "default": None}]


def _encoded(raw: dict[str, Any], record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(raw), record)
    return out.getvalue()


def test_the_header_is_decoded_and_the_record_s_fields_are_not() -> None:
    raw = {"type": "record", "name": "ContactChangeEvent", "fields": [_HEADER, *_BODY]}
    header = {"entityName": "Contact", "changeType": "UPDATE", "recordIds": ["003A"]}
    payload = _encoded(raw, {"ChangeEventHeader": header, "LastName": "Lovelace",
                             "Phone": "+15550100"})

    decoded = fastavro.schemaless_reader(io.BytesIO(payload), EventSchema.parse(raw).header_only)

    assert decoded == {"ChangeEventHeader": header}


def test_a_schema_whose_header_is_not_first_is_decoded_whole() -> None:
    raw = {"type": "record", "name": "OddChangeEvent", "fields": [*_BODY, _HEADER]}
    header = {"entityName": "Contact", "changeType": "CREATE", "recordIds": ["003B"]}
    payload = _encoded(raw, {"ChangeEventHeader": header, "LastName": "Hopper",
                             "Phone": None})

    decoded: Any = fastavro.schemaless_reader(io.BytesIO(payload),
                                              EventSchema.parse(raw).header_only)

    assert decoded["ChangeEventHeader"] == header
    assert decoded["LastName"] == "Hopper"
