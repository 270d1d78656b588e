"""Field paths: check them against the schema, read them from rows, shape records.

A path such as ``Account.Owner.Email`` walks reference fields by their
relationship names; polymorphic references (``Who``, ``What``) resolve
against every object they may point to and, at read time, against the
object the id really names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.salesforce.query_source import QuerySource
from sandbox.salesforce.schema import FieldSchema, ObjectSchema
from sandbox.salesforce.soql_ast import FieldPath
from sandbox.salesforce.soql_errors import INVALID_FIELD, error_at

_NO_COLUMN_HINT = (
    "If you are attempting to use a custom field, be sure to append the "
    "'__c' after the custom field name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)
_NO_RELATIONSHIP_HINT = (
    "If you are attempting to use a custom relationship, be sure to append "
    "the '__r' after the custom relationship name. Please reference your "
    "WSDL or the describe call for the appropriate names."
)


@dataclass(frozen=True)
class ResolvedField:
    """A path checked against the schema.

    ``hops`` are the reference fields walked, in order; ``field`` is the
    field read at the end, whose describe type decides comparisons.
    """

    hops: tuple[FieldSchema, ...]
    field: FieldSchema

    @property
    def key(self) -> str:
        """Return the canonical, case-insensitive identity of the path."""
        names = [hop.relationship_name or hop.name for hop in self.hops]
        return ".".join([*names, self.field.name]).lower()

    @property
    def label(self) -> str:
        names = [hop.relationship_name or hop.name for hop in self.hops]
        return ".".join([*names, self.field.name])


def resolve(
    path: FieldPath, root: ObjectSchema, source: QuerySource, query: str
) -> ResolvedField:
    """Check ``path`` from ``root`` or raise INVALID_FIELD where it goes wrong."""
    candidates = [root]
    hops: list[FieldSchema] = []
    for part in path.parts[:-1]:
        hop = _relationship(candidates, part)
        if hop is None:
            detail = (
                f"Didn't understand relationship '{part}' in field path. "
                + _NO_RELATIONSHIP_HINT
            )
            raise error_at(INVALID_FIELD, query, path.offset, detail)
        hops.append(hop)
        candidates = _targets(hop, source)
    field = _field(candidates, path.parts[-1])
    if field is None:
        entity = candidates[0].name if candidates else root.name
        detail = (
            f"No such column '{path.parts[-1]}' on entity '{entity}'. "
            + _NO_COLUMN_HINT
        )
        raise error_at(INVALID_FIELD, query, path.offset, detail)

    return ResolvedField(tuple(hops), field)


def _relationship(candidates: list[ObjectSchema], name: str) -> FieldSchema | None:
    lowered = name.lower()
    for schema in candidates:
        for field in schema.fields.values():
            named = field.relationship_name or ""
            if named.lower() == lowered and field.reference_to:
                return field
    return None


def _targets(hop: FieldSchema, source: QuerySource) -> list[ObjectSchema]:
    found = (source.schema(name) for name in hop.reference_to)
    return [schema for schema in found if schema is not None]


def _field(candidates: list[ObjectSchema], name: str) -> FieldSchema | None:
    for schema in candidates:
        field = schema.field_ci(name)
        if field is not None:
            return field
    return None


class RowReader:
    """Read paths from rows, following references with a per-query cache."""

    def __init__(self, source: QuerySource) -> None:
        self._source = source
        self._parents: dict[str, tuple[str, dict[str, Any]] | None] = {}

    def parent(
        self, row: dict[str, Any], hop: FieldSchema
    ) -> tuple[str, dict[str, Any]] | None:
        """Return (object name, row) of the record ``hop`` points at, or None."""
        record_id = row.get(hop.name)
        if not record_id:
            return None
        key = str(record_id)
        if key not in self._parents:
            self._parents[key] = self._source.get_by_id(key)
        return self._parents[key]

    def value(self, row: dict[str, Any], resolved: ResolvedField) -> object:
        """Return the value at the end of the path; None past a null parent."""
        current = row
        for hop in resolved.hops:
            parent = self.parent(current, hop)
            if parent is None:
                return None
            current = parent[1]
        return current.get(resolved.field.name)


def attributes(object_name: str, row: dict[str, Any], api_version: str) -> dict[str, str]:
    """Return the ``attributes`` map every REST record opens with."""
    url = f"/services/data/v{api_version}/sobjects/{object_name}/{row.get('Id')}"
    return {"type": object_name, "url": url}


def project(
    object_name: str,
    row: dict[str, Any],
    selected: list[ResolvedField],
    reader: RowReader,
    api_version: str,
) -> dict[str, Any]:
    """Shape one row as Salesforce returns it: selected fields, parents nested."""
    record: dict[str, Any] = {"attributes": attributes(object_name, row, api_version)}
    for resolved in selected:
        _place(record, row, resolved.hops, resolved.field, reader, api_version)
    return record


def _place(
    target: dict[str, Any],
    row: dict[str, Any],
    hops: tuple[FieldSchema, ...],
    field: FieldSchema,
    reader: RowReader,
    api_version: str,
) -> None:
    if not hops:
        target[field.name] = row.get(field.name)
        return
    hop = hops[0]
    key = hop.relationship_name or hop.name
    parent = reader.parent(row, hop)
    if parent is None:
        target[key] = None
        return
    parent_name, parent_row = parent
    nested = target.get(key)
    if nested is None:
        nested = {"attributes": attributes(parent_name, parent_row, api_version)}
        target[key] = nested
    _place(nested, parent_row, hops[1:], field, reader, api_version)
