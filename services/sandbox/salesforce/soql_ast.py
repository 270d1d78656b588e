"""The parsed form of a SOQL query, before it is checked against a schema.

Every node keeps the offset of its first character in the query text so
that schema errors (unknown field, wrong literal type) can point at the
same row and column Salesforce would.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class LiteralKind(Enum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    NULL = "null"
    DATE = "date"
    DATETIME = "datetime"
    RELATIVE_DATE = "relative date"


@dataclass(frozen=True)
class FieldPath:
    """A dotted field reference as written: ``Account.Owner.Email``."""

    parts: tuple[str, ...]
    offset: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Literal:
    """A literal value; ``like`` is the LIKE regex of a string literal.

    A relative date literal holds a :class:`RelativeDate`.
    """

    kind: LiteralKind
    value: object
    offset: int
    like: str = ""


@dataclass(frozen=True)
class RelativeDate:
    """A date literal such as ``TODAY`` or ``LAST_N_DAYS:7`` (amount 7)."""

    name: str
    amount: int


@dataclass(frozen=True)
class Comparison:
    """``field <operator> value``; IN, NOT IN, INCLUDES and EXCLUDES hold a tuple."""

    field: FieldPath
    operator: str
    value: Literal | tuple[Literal, ...]
    offset: int


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class Junction:
    """Operands joined by one logical operator, ``AND`` or ``OR``."""

    operator: str
    operands: tuple[Condition, ...]


Condition = Comparison | Not | Junction


@dataclass(frozen=True)
class OrderKey:
    field: FieldPath
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class Query:
    """A whole SELECT statement; ``count`` is true for ``SELECT COUNT()``."""

    fields: tuple[FieldPath, ...]
    count: bool
    object_name: str
    object_offset: int
    where: Condition | None
    order_by: tuple[OrderKey, ...]
    limit: int | None
    offset: int | None
