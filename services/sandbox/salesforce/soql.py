"""Run SOQL SELECT statements against a :class:`QuerySource`.

The REST layer calls :func:`execute` for ``/query`` and ``/queryAll`` and
pages the records itself. Parsing lives in ``soql_lexer``/``soql_parser``,
typed comparison in ``soql_values``/``soql_filter``, field paths and record
shaping in ``soql_paths``; this module puts them in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.salesforce.query_source import IndexedSource, QuerySource
from sandbox.salesforce.schema import ObjectSchema
from sandbox.salesforce.soql_ast import (
    Comparison,
    Condition,
    FieldPath,
    Junction,
    LiteralKind,
    OrderKey,
)
from sandbox.salesforce.soql_errors import (
    INVALID_TYPE,
    MALFORMED_QUERY,
    NUMBER_OUTSIDE_VALID_RANGE,
    SoqlError,
    error_at,
)
from sandbox.salesforce.soql_filter import FilterContext, compile_condition
from sandbox.salesforce.soql_parser import parse
from sandbox.salesforce.soql_paths import ResolvedField, RowReader, project, resolve
from sandbox.salesforce.soql_values import kind_of, normaliser

__all__ = ["QueryResult", "SoqlError", "execute"]

API_VERSION = "59.0"
MAX_OFFSET = 2000
_UNSUPPORTED_OBJECT_HINT = (
    "If you are attempting to use a custom object, be sure to append the "
    "'__c' after the entity name. Please reference your WSDL or the describe "
    "call for the appropriate names."
)


@dataclass(frozen=True)
class QueryResult:
    """All matching records after ORDER BY, OFFSET and LIMIT.

    For ``SELECT COUNT()`` the records are empty and ``total_size`` holds
    the count.
    """

    total_size: int
    records: list[dict[str, Any]]


def execute(
    query: str,
    source: QuerySource,
    *,
    include_deleted: bool = False,
    now: datetime | None = None,
    api_version: str = API_VERSION,
) -> QueryResult:
    """Run one SOQL query; raise :class:`SoqlError` when the org would refuse it.

    ``now`` anchors relative date literals such as ``TODAY`` (default: the
    wall clock, so a sandbox with an advanced clock should pass its own).
    """
    parsed = parse(query)
    schema = object_schema(source, parsed.object_name, query, parsed.object_offset)
    context = FilterContext(query, schema, source, RowReader(source), now or _utc_now())
    selected = resolve_selection(parsed.fields, context, MALFORMED_QUERY)
    rows = select_rows(
        context, parsed.where, parsed.order_by, parsed.limit, parsed.offset,
        include_deleted=include_deleted,
    )
    if parsed.count:
        return QueryResult(len(rows), [])
    records = [
        project(schema.name, row, selected, context.reader, api_version) for row in rows
    ]

    return QueryResult(len(records), records)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def object_schema(
    source: QuerySource, name: str, query: str, offset: int
) -> ObjectSchema:
    """Return the schema of the object a query names, or raise INVALID_TYPE."""
    schema = source.schema(name)
    if schema is None:
        detail = f"sObject type '{name}' is not supported. {_UNSUPPORTED_OBJECT_HINT}"
        raise error_at(INVALID_TYPE, query, offset, detail)
    return schema


def resolve_selection(
    paths: Iterable[FieldPath], context: FilterContext, duplicate_code: str
) -> list[ResolvedField]:
    """Resolve the select list, refusing a field selected twice."""
    selected: list[ResolvedField] = []
    seen: set[str] = set()
    for path in paths:
        resolved = resolve(path, context.root, context.source, context.query)
        if resolved.key in seen:
            raise SoqlError(duplicate_code, f"duplicate field selected: {resolved.label}")
        seen.add(resolved.key)
        selected.append(resolved)
    return selected


def select_rows(
    context: FilterContext,
    where: Condition | None,
    order_by: tuple[OrderKey, ...],
    limit: int | None,
    offset: int | None,
    *,
    include_deleted: bool,
    rows: Iterable[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Return the rows of the context's object that pass ``where``, in order.

    ``rows`` narrows the rows considered (in source order); by default they
    are all of the object's rows.
    """
    predicate = compile_condition(where, context)
    sorters = [(_resolve_key(key, context), key) for key in order_by]
    if offset is not None and offset > MAX_OFFSET:
        raise SoqlError(
            NUMBER_OUTSIDE_VALID_RANGE, f"Maximum SOQL offset allowed is {MAX_OFFSET}"
        )
    if rows is None:
        rows = _candidate_rows(context, where, include_deleted)
    matched = [row for row in rows if predicate(row)]
    # Stable sorts from the last key to the first give a multi-key order.
    for resolved, key in reversed(sorters):
        _sort(matched, resolved, key, context.reader)
    start = offset or 0
    end = None if limit is None else start + limit

    return matched[start:end]


def _candidate_rows(
    context: FilterContext, where: Condition | None, include_deleted: bool,
) -> Iterable[dict[str, Any]]:
    """Return the rows ``where`` can match: by id when it names ids, else all.

    The predicate still runs on every row returned, so this only spares
    reading (and building) rows the condition rules out.
    """
    source = context.source
    wanted = _wanted_ids(where)
    if wanted is not None and isinstance(source, IndexedSource):
        return source.rows_by_id(context.root.name, wanted, include_deleted=include_deleted)
    return source.rows(context.root.name, include_deleted=include_deleted)


def _wanted_ids(where: Condition | None) -> set[str] | None:
    """Return the 15-character ids a row must have to pass ``where``, if it says.

    ``Id = 'x'`` and ``Id IN (...)`` say so, alone or as one operand of an
    AND; anything else (OR, NOT, other fields) returns None.
    """
    if isinstance(where, Junction) and where.operator == "AND":
        found = (_wanted_ids(operand) for operand in where.operands)
        return next((ids for ids in found if ids is not None), None)
    if not isinstance(where, Comparison) or where.operator not in ("=", "IN"):
        return None
    if len(where.field.parts) != 1 or where.field.parts[0].lower() != "id":
        return None
    literals = where.value if isinstance(where.value, tuple) else (where.value,)
    values = [literal.value for literal in literals]
    if any(literal.kind is not LiteralKind.STRING for literal in literals) or not all(
        isinstance(value, str) and value for value in values
    ):
        return None
    return {str(value)[:15] for value in values}


def _resolve_key(key: OrderKey, context: FilterContext) -> ResolvedField:
    return resolve(key.field, context.root, context.source, context.query)


def _sort(
    rows: list[dict[str, Any]], resolved: ResolvedField, key: OrderKey, reader: RowReader
) -> None:
    normalise = normaliser(kind_of(resolved.field))
    # After a descending sort the highest rank comes first, so nulls that
    # must lead take the rank that lands them at the front either way.
    null_rank = 1 if key.nulls_first == key.descending else 0
    value_rank = 1 - null_rank

    def sort_key(row: dict[str, Any]) -> tuple[int, Any]:
        value = normalise(reader.value(row, resolved))
        if value is None:
            return (null_rank, 0)
        if isinstance(value, frozenset):
            value = sorted(value)
        return (value_rank, value)

    rows.sort(key=sort_key, reverse=key.descending)
