"""What the SOQL and SOSL engines need from the record store.

The engines are pure: they parse a query and read rows through this
protocol, so they can be tested without a server and the store can change
its internals freely.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sandbox.salesforce.schema import ObjectSchema


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
