"""What the SOQL and SOSL engines need from the record store.

The engines are pure: they parse a query and read rows through this
protocol, so they can be tested without a server and the store can change
its internals freely. A source that can find rows faster (the store's
search index and reads by id) also offers :class:`IndexedSource`; the
engines' answers are the same either way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, Protocol, runtime_checkable

from sandbox.salesforce.schema import FieldSchema, ObjectSchema
from sandbox.salesforce.sosl_terms import Term


class QuerySource(Protocol):
    def objects(self) -> Iterable[ObjectSchema]:
        """Return every object type in the org."""
        ...

    def schema(self, object_name: str) -> ObjectSchema | None:
        """Return one object type, matched case-insensitively, or None."""
        ...

    def rows(self, object_name: str, *, include_deleted: bool) -> Iterable[dict[str, Any]]:
        """Yield each record's full field map (``Id`` and ``IsDeleted`` included).

        Values use the REST representation: ISO 8601 strings for date and
        datetime fields, numbers, booleans, ``;``-joined multipicklists.
        Deleted rows appear only when ``include_deleted`` is true.
        """
        ...

    def get_by_id(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """Return (object name, row) for a 15- or 18-character id, or None."""
        ...


class SearchableRows(Protocol):
    """One object's live rows as a SOSL search reads them.

    Keys identify rows within one search; rows are full field maps as
    :meth:`QuerySource.rows` yields them.
    """

    def keys(self) -> set[str]:
        """Return the key of every live row."""
        ...

    def row(self, key: str) -> dict[str, Any] | None:
        """Return a live row by key, or None."""
        ...

    def candidates(self, field: FieldSchema, term: Term) -> set[str] | None:
        """Return keys of the rows whose ``field`` may match ``term`` (a superset).

        None means every row is a candidate.
        """
        ...

    def in_order(self, keys: set[str]) -> list[dict[str, Any]]:
        """Return the rows with these keys in :meth:`QuerySource.rows` order."""
        ...


@runtime_checkable
class IndexedSource(QuerySource, Protocol):
    """A source that can also find rows without reading all of them.

    The record store is one; the engines use these methods when offered and
    read :meth:`QuerySource.rows` otherwise, with the same results.
    """

    def rows_by_id(
        self, object_name: str, record_ids: Collection[str], *, include_deleted: bool,
    ) -> Iterable[dict[str, Any]]:
        """Yield the rows whose 15-character ids are in ``record_ids``, in rows() order."""
        ...

    def searchable(self, schema: ObjectSchema) -> SearchableRows:
        """Return the object's live rows behind its search index."""
        ...
