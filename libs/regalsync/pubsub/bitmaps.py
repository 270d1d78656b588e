"""The field bitmaps of change event headers, both ways.

Over the Pub/Sub API, ``changedFields``, ``nulledFields`` and ``diffFields``
are lists of hex strings rather than field names:

* element 0, ``"0x..."``: one big-endian integer whose bit *i* marks the
  field at position *i* of the event's Avro record (position 0 is the
  ``ChangeEventHeader`` itself);
* further elements, ``"<p>-0x..."``: a bitmap over the fields of the nested
  record at top-level position *p*, for compound fields such as
  ``BillingAddress``.

:func:`field_names_from_bitmaps` is the decoder the ingress uses; the
Salesforce sandbox uses :func:`encode_bitmaps` to produce them, so both
sides share one definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_HEX_PREFIX = "0x"


def encode_bitmaps(
    positions: Iterable[int], nested: Mapping[int, Iterable[int]] | None = None,
) -> list[str]:
    """Encode top-level positions and compound components as header bitmaps.

    ``nested`` maps a compound field's top-level position to the positions
    of its changed components inside the nested record; that compound's own
    top-level bit is set too. No positions at all give an empty list.
    """
    nested = nested or {}
    top = set(positions) | set(nested)
    if not top:
        return []
    bitmaps = [_hex(top)]
    for parent in sorted(nested):
        inner = set(nested[parent])
        if inner:
            bitmaps.append(f"{parent}-{_hex(inner)}")

    return bitmaps


def positions_from_hex(bitmap: str) -> list[int]:
    """List the set bit positions of one ``0x...`` bitmap, lowest first.

    Raise ``ValueError`` for anything but a ``0x``-prefixed hex number.
    """
    if not bitmap.lower().startswith(_HEX_PREFIX):
        raise ValueError(f"bitmap {bitmap!r} lacks the 0x prefix")
    value = int(bitmap[len(_HEX_PREFIX):], 16)

    return [i for i in range(value.bit_length()) if value >> i & 1]


def field_names_from_bitmaps(
    schema: Mapping[str, Any], bitmaps: Sequence[str],
) -> list[str]:
    """Turn header bitmaps into field names, using the event's Avro schema.

    ``schema`` is the parsed JSON of ``GetSchema(schema_id).schema_json``.
    Top-level fields come out by name; a compound field that has its own
    nested bitmap is replaced by its components as ``Parent.Component``
    (``BillingAddress.City``), in schema order. Raise ``ValueError`` when a
    bitmap is malformed or names a position the schema does not have.
    """
    fields = schema["fields"]
    nested: dict[int, list[str]] = {}
    top: list[int] = []
    for bitmap in bitmaps:
        parent, separator, inner = bitmap.partition("-")
        if not separator:
            top.extend(positions_from_hex(bitmap))
            continue
        position = _position(parent, len(fields))
        record = _nested_record(fields[position]["type"], _named_records(schema))
        names = _names_at(record["fields"], positions_from_hex(inner))
        nested[position] = [f"{fields[position]['name']}.{n}" for n in names]

    result: list[str] = []
    for position in sorted(set(top) | set(nested)):
        if position in nested:
            result.extend(nested[position])
        else:
            result.extend(_names_at(fields, [position]))

    return result


def _hex(positions: Iterable[int]) -> str:
    value = 0
    for position in positions:
        value |= 1 << position

    return f"{_HEX_PREFIX}{value:X}"


def _position(text: str, field_count: int) -> int:
    if not text.isdigit() or int(text) >= field_count:
        raise ValueError(f"compound position {text!r} is not in the schema")

    return int(text)


def _names_at(fields: Sequence[Mapping[str, Any]], positions: Iterable[int]) -> list[str]:
    names = []
    for position in positions:
        if position >= len(fields):
            raise ValueError(f"bit {position} is beyond the schema's {len(fields)} fields")
        names.append(str(fields[position]["name"]))

    return names


def _named_records(schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Index the record types defined anywhere in the schema by name.

    A compound type used twice (``Address``) is defined at its first use
    and referenced by name afterwards.
    """
    found: dict[str, Mapping[str, Any]] = {}
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, Mapping):
            if node.get("type") == "record" and "name" in node:
                name = str(node["name"])
                found[name] = node
                found[name.rsplit(".", 1)[-1]] = node
                pending.extend(field["type"] for field in node["fields"])
            elif "type" in node:
                pending.append(node["type"])

    return found


def _nested_record(
    field_type: Any, named: Mapping[str, Mapping[str, Any]],
) -> Mapping[str, Any]:
    candidates = field_type if isinstance(field_type, list) else [field_type]
    for candidate in candidates:
        if isinstance(candidate, Mapping) and candidate.get("type") == "record":
            return candidate
        if isinstance(candidate, str) and candidate.rsplit(".", 1)[-1] in named:
            return named[candidate.rsplit(".", 1)[-1]]
    raise ValueError("compound bitmap points at a field that is not a record")
