"""Values are converted by the Salesforce field's describe type (SPEC I3, C6)."""

from __future__ import annotations

from typing import Any

import pytest

from salesforce_writer.coercion import FieldInfo, Unwritable, coerce
from salesforce_writer.writing import appended


def field(kind: str, length: int = 0) -> FieldInfo:
    return FieldInfo("F__c", kind, length, createable=True, updateable=True)


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("boolean", "yes", True), ("boolean", "FALSE", False), ("boolean", 1, True),
    ("double", "1,250.5", 1250.5), ("currency", "$99", 99), ("percent", "12.5%", 12.5),
    ("int", "7", 7), ("int", 7.6, 8),
    ("picklist", "Hot", "Hot"), ("multipicklist", ["a", "b c"], "a;b c"),
    ("date", "2024-06-19", "2024-06-19"), ("date", "2024-06-19T23:00:00Z", "2024-06-19"),
    ("datetime", 1718805229, "2024-06-19T13:53:49Z"),
    ("datetime", "1718805229", "2024-06-19T13:53:49Z"),
    ("string", 8102, "8102"), ("textarea", True, "true"), ("string", None, None),
])
def test_value_is_converted(kind: str, value: Any, expected: Any) -> None:
    """A Regal value becomes what the field type takes."""
    assert coerce(value, field(kind)) == expected


def test_long_text_is_truncated() -> None:
    """Text longer than the field is cut to its length, never rejected."""
    assert coerce("x" * 300, field("string", 128)) == "x" * 128


@pytest.mark.parametrize(("kind", "value"), [
    ("boolean", "maybe"), ("double", "lots"), ("double", True), ("date", "soon"),
])
def test_unconvertible_value_is_refused_with_a_reason(kind: str, value: Any) -> None:
    """A value the field cannot take raises Unwritable, so only that field is dropped."""
    with pytest.raises(Unwritable):
        coerce(value, field(kind))


def test_appending_skips_lines_already_stored() -> None:
    """A redelivered SMS line is not appended twice."""
    assert appended("a\nb", "b\nc") == "a\nb\nc"
    assert appended(None, "a") == "a"
