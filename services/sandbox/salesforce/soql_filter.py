"""Turn a WHERE condition into a row predicate, checking it against the schema.

Logic is two-valued as in SOQL, not SQL's three-valued: a null field is
simply a value, so ``Email != 'a@b.c'`` and ``Email NOT IN (...)`` keep
rows whose Email is null, and ``NOT`` of a false comparison is true.

Literal types must suit the field: a quoted value against a number,
boolean, date or datetime field (or an unquoted one against a text field)
is INVALID_FIELD with Salesforce's "value of filter criterion" message; an
operator the field type cannot take (LIKE on a number, ``<`` on a boolean)
is INVALID_QUERY_FILTER_OPERATOR.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from sandbox.salesforce.query_source import QuerySource
from sandbox.salesforce.schema import FieldSchema, ObjectSchema
from sandbox.salesforce.soql_ast import (
    Comparison,
    Condition,
    Junction,
    Literal,
    LiteralKind,
    RelativeDate,
)
from sandbox.salesforce.soql_errors import INVALID_FIELD, INVALID_QUERY_FILTER_OPERATOR, error_at
from sandbox.salesforce.soql_paths import ResolvedField, RowReader, resolve
from sandbox.salesforce.soql_values import (
    BOOLEAN,
    DATE,
    DATETIME,
    ID,
    MULTIPICKLIST,
    NUMBER,
    TEXT,
    UNFILTERABLE,
    kind_of,
    normaliser,
    relative_range,
)

Row = dict[str, Any]
Predicate = Callable[[Row], bool]

# The literal kinds each field family accepts besides NULL.
_ACCEPTED = {
    TEXT: {LiteralKind.STRING},
    ID: {LiteralKind.STRING},
    MULTIPICKLIST: {LiteralKind.STRING},
    NUMBER: {LiteralKind.NUMBER},
    BOOLEAN: {LiteralKind.BOOLEAN},
    DATE: {LiteralKind.DATE, LiteralKind.RELATIVE_DATE},
    DATETIME: {LiteralKind.DATETIME, LiteralKind.RELATIVE_DATE},
}
_ORDERING = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_ID_SHAPE = re.compile(r"[A-Za-z0-9]{15}([A-Za-z0-9]{3})?")


@dataclass(frozen=True)
class FilterContext:
    """What compiling a condition needs: the schema, the rows' source, a clock."""

    query: str
    root: ObjectSchema
    source: QuerySource
    reader: RowReader
    now: datetime


@dataclass(frozen=True)
class Bound:
    """A literal as a range: one value (closed) or a date literal's days (half-open)."""

    low: Any
    high: Any
    closed: bool

    def contains(self, value: Any) -> bool:
        if self.closed and self.low == self.high:
            return bool(value == self.low)
        if value < self.low:
            return False
        return bool(value <= self.high if self.closed else value < self.high)

    def compare(self, symbol: str, value: Any) -> bool:
        """Apply ``value <symbol> literal`` with range semantics."""
        if symbol == "<":
            return bool(value < self.low)
        if symbol == ">=":
            return bool(value >= self.low)
        if symbol == "<=":
            return self.contains(value) or bool(value < self.low)
        return not (self.contains(value) or value < self.low)


def compile_condition(condition: Condition | None, context: FilterContext) -> Predicate:
    """Return a predicate for ``condition`` (always true when there is none)."""
    if condition is None:
        return lambda row: True
    if isinstance(condition, Comparison):
        return _comparison(condition, context)
    if isinstance(condition, Junction):
        parts = [compile_condition(part, context) for part in condition.operands]
        if condition.operator == "AND":
            return lambda row: all(part(row) for part in parts)
        return lambda row: any(part(row) for part in parts)
    inner = compile_condition(condition.operand, context)

    return lambda row: not inner(row)


def _comparison(comparison: Comparison, context: FilterContext) -> Predicate:
    resolved = resolve(comparison.field, context.root, context.source, context.query)
    kind = kind_of(resolved.field)
    literals = _literals(comparison)
    _check_operator(comparison, resolved.field, kind, context.query)
    for literal in literals:
        _check_literal(comparison, resolved.field, kind, literal, context.query)
    reader = context.reader
    if comparison.operator == "LIKE":
        return _like(resolved, literals[0], reader)
    if comparison.operator in ("INCLUDES", "EXCLUDES"):
        return _includes(comparison.operator, resolved, literals, reader)
    bounds = [_bound(literal, kind, resolved.field, context) for literal in literals]
    matches = _matcher(comparison.operator, bounds)
    normalise = normaliser(kind)

    return lambda row: matches(normalise(reader.value(row, resolved)))


def _literals(comparison: Comparison) -> tuple[Literal, ...]:
    value = comparison.value
    return value if isinstance(value, tuple) else (value,)


def _check_operator(
    comparison: Comparison, field: FieldSchema, kind: str, query: str
) -> None:
    symbol = comparison.operator
    offset = comparison.field.offset
    if kind == UNFILTERABLE:
        detail = f"field '{field.name}' can not be filtered in query call"
        raise error_at(INVALID_FIELD, query, offset, detail)
    misfit = (
        (symbol == "LIKE" and kind not in (TEXT,))
        or (symbol in ("INCLUDES", "EXCLUDES") and kind != MULTIPICKLIST)
        or (symbol in _ORDERING and kind in (BOOLEAN, MULTIPICKLIST))
    )
    if misfit:
        detail = f"invalid operator on {field.type} field"
        raise error_at(INVALID_QUERY_FILTER_OPERATOR, query, offset, detail)


def _check_literal(
    comparison: Comparison, field: FieldSchema, kind: str, literal: Literal, query: str
) -> None:
    if literal.kind is LiteralKind.NULL:
        return
    if literal.kind not in _ACCEPTED[kind]:
        raise error_at(
            INVALID_FIELD, query, comparison.field.offset, _type_message(field, kind)
        )
    if kind == ID and literal.value and not _ID_SHAPE.fullmatch(str(literal.value)):
        detail = f"invalid ID field: {literal.value}"
        raise error_at(INVALID_QUERY_FILTER_OPERATOR, query, literal.offset, detail)


def _type_message(field: FieldSchema, kind: str) -> str:
    names = {
        NUMBER: "integer" if field.type == "int" else "double",
        BOOLEAN: "boolean", DATE: "date", DATETIME: "dateTime",
    }
    if kind in names:
        return (
            f"value of filter criterion for field '{field.name}' must be of type "
            f"{names[kind]} and should not be enclosed in quotes"
        )
    return (
        f"value of filter criterion for field '{field.name}' must be of type "
        "string and should be enclosed in quotes"
    )


def _bound(
    literal: Literal, kind: str, field: FieldSchema, context: FilterContext
) -> Bound | None:
    if literal.kind is LiteralKind.NULL:
        return None
    if isinstance(literal.value, RelativeDate):
        today = context.now.astimezone(UTC).date()
        start, end = relative_range(literal.value.name, literal.value.amount, today)
        if kind == DATETIME:
            return Bound(_midnight(start), _midnight(end), closed=False)
        return Bound(start, end, closed=False)
    value = normaliser(kind)(literal.value)
    if value is None:
        return None

    return Bound(value, value, closed=True)


def _midnight(day: Any) -> datetime:
    return datetime.combine(day, time(), UTC)


def _matcher(symbol: str, bounds: list[Bound | None]) -> Callable[[Any], bool]:
    def equal(value: Any, bound: Bound | None) -> bool:
        if bound is None or value is None:
            return bound is None and value is None
        return bound.contains(value)

    if symbol == "=":
        return lambda value: equal(value, bounds[0])
    if symbol == "!=":
        return lambda value: not equal(value, bounds[0])
    if symbol in ("IN", "NOT IN"):
        contained = _membership(bounds, equal)
        if symbol == "IN":
            return contained
        return lambda value: not contained(value)
    only = bounds[0]
    if only is None:
        return lambda value: False

    return lambda value: value is not None and only.compare(symbol, value)


def _membership(
    bounds: list[Bound | None], equal: Callable[[Any, Bound | None], bool],
) -> Callable[[Any], bool]:
    """Test ``value IN (...)``: single values by hashing, date ranges one by one.

    A long IN list (200 ids) tested bound by bound on every row made id
    lookups quadratic; equal values hash equally (Decimal, str, date, frozenset),
    so a set answers the same.
    """
    points = {b.low for b in bounds if b is not None and b.closed and b.low == b.high}
    others = [b for b in bounds if b is None or not (b.closed and b.low == b.high)]

    def contained(value: Any) -> bool:
        try:
            if value in points:
                return True
        except TypeError:
            # An unhashable value (the normalisers produce none) is compared
            # the slow way.
            if any(value == point for point in points):
                return True
        return any(equal(value, bound) for bound in others)

    return contained


def _like(resolved: ResolvedField, literal: Literal, reader: RowReader) -> Predicate:
    if literal.kind is LiteralKind.NULL:
        return lambda row: False
    pattern = re.compile(literal.like, re.IGNORECASE | re.DOTALL)

    def matches(row: Row) -> bool:
        value = reader.value(row, resolved)
        return bool(value) and pattern.fullmatch(str(value)) is not None

    return matches


def _includes(
    symbol: str, resolved: ResolvedField, literals: tuple[Literal, ...], reader: RowReader
) -> Predicate:
    normalise = normaliser(MULTIPICKLIST)
    wanted = [normalise(literal.value) for literal in literals]
    wanted_sets = [item for item in wanted if isinstance(item, frozenset)]

    def includes(row: Row) -> bool:
        chosen = normalise(reader.value(row, resolved))
        if not isinstance(chosen, frozenset):
            return False
        return any(item <= chosen for item in wanted_sets)

    if symbol == "INCLUDES":
        return includes

    return lambda row: not includes(row)
