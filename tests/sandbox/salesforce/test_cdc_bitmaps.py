"""The header bitmaps, encoded and decoded as the Pub/Sub API spells them."""

from __future__ import annotations

from typing import Any

import pytest

from regalsync.pubsub.bitmaps import (
    encode_bitmaps,
    field_names_from_bitmaps,
    positions_from_hex,
)

EXAMPLE_POSITIONS = [5, 6, 7, 10, 24, 26, 29, 30]


def _nullable(name: str, value_type: Any = "string") -> dict[str, Any]:
    return {"name": name, "type": ["null", value_type], "default": None}


def _address() -> dict[str, Any]:
    return {"type": "record", "name": "Address", "fields": [
        _nullable("Street"), _nullable("City"), _nullable("State"),
    ]}


# Shaped like a Salesforce change event: header first, then nullable fields;
# the second address refers to the record type the first one defined.
SCHEMA: dict[str, Any] = {
    "type": "record", "name": "AccountChangeEvent", "namespace": "com.sforce.eventbus",
    "fields": [
        {"name": "ChangeEventHeader", "type": {
            "type": "record", "name": "ChangeEventHeader", "fields": [],
        }},
        _nullable("Name"),
        _nullable("BillingAddress", _address()),
        _nullable("ShippingAddress", "Address"),
        _nullable("Phone"),
    ],
}


class TestHexBitmaps:
    def test_example_from_salesforce_sets_its_positions(self) -> None:
        """0x650004E0 marks positions 5, 6, 7, 10, 24, 26, 29 and 30."""
        assert positions_from_hex("0x650004E0") == EXAMPLE_POSITIONS

    def test_encoding_the_example_positions_gives_the_same_bitmap(self) -> None:
        """Encoding is the exact inverse of decoding."""
        assert encode_bitmaps(EXAMPLE_POSITIONS) == ["0x650004E0"]

    def test_compound_components_follow_the_top_level_bitmap(self) -> None:
        """A compound adds its own bit and a '<position>-0x..' entry."""
        assert encode_bitmaps([1], {2: [1, 2]}) == ["0x6", "2-0x6"]

    def test_nothing_changed_is_an_empty_list(self) -> None:
        """No positions encode to no bitmaps at all."""
        assert encode_bitmaps([]) == []

    def test_a_bitmap_without_prefix_is_refused(self) -> None:
        """Malformed input raises ValueError rather than guessing."""
        with pytest.raises(ValueError, match="0x"):
            positions_from_hex("650004E0")


class TestFieldNames:
    def test_top_level_positions_name_schema_fields(self) -> None:
        """Bit i names field i of the Avro record, the header being 0."""
        assert field_names_from_bitmaps(SCHEMA, ["0x12"]) == ["Name", "Phone"]

    def test_compound_bitmap_names_components_under_the_parent(self) -> None:
        """'2-0x2' is the City of the compound at position 2."""
        names = field_names_from_bitmaps(SCHEMA, ["0x6", "2-0x2"])
        assert names == ["Name", "BillingAddress.City"]

    def test_compound_type_referenced_by_name_is_resolved(self) -> None:
        """A second address reusing the Address type still decodes."""
        names = field_names_from_bitmaps(SCHEMA, ["0x8", "3-0x5"])
        assert names == ["ShippingAddress.Street", "ShippingAddress.State"]

    def test_compound_without_nested_bitmap_is_named_whole(self) -> None:
        """Without its own entry a compound field appears as itself."""
        assert field_names_from_bitmaps(SCHEMA, ["0x4"]) == ["BillingAddress"]

    def test_bit_beyond_the_schema_is_refused(self) -> None:
        """A bitmap from another schema version fails loudly."""
        with pytest.raises(ValueError, match="beyond"):
            field_names_from_bitmaps(SCHEMA, ["0x100"])

    def test_nested_bitmap_on_a_plain_field_is_refused(self) -> None:
        """Only record-typed fields can carry a nested bitmap."""
        with pytest.raises(ValueError, match="not a record"):
            field_names_from_bitmaps(SCHEMA, ["0x2", "1-0x1"])
