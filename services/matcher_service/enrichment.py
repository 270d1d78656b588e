"""Read the current values of the records that change events name.

Change events carry only changed fields; Regal wants every mapped field,
and formula fields never appear in change events at all. So the records
of a whole batch are read fresh, one SOQL query per object and chunk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from regalsync.salesforce import SalesforceClient
from regalsync.salesforce.soql import in_list

# Keeps a query well under SOQL's 100,000-character limit.
_IDS_PER_QUERY = 500


async def read_records(
    client: SalesforceClient, refs: Sequence[tuple[str, str]],
    fields_by_object: dict[str, list[str]],
) -> dict[str, dict[str, Any]]:
    """Return records keyed by 15-character id for (object, id) pairs."""
    ids_by_object: dict[str, set[str]] = defaultdict(set)
    for object_type, record_id in refs:
        ids_by_object[object_type].add(record_id)
    found: dict[str, dict[str, Any]] = {}
    for object_type, ids in ids_by_object.items():
        fields = list(dict.fromkeys(["Id", *fields_by_object.get(object_type, [])]))
        ordered = sorted(ids)
        for start in range(0, len(ordered), _IDS_PER_QUERY):
            chunk = ordered[start:start + _IDS_PER_QUERY]
            # Ids are quoted by in_list; field and object names come from
            # the validated configuration.
            soql = (f"SELECT {', '.join(fields)} FROM {object_type} "  # noqa: S608
                    f"WHERE Id IN {in_list(chunk)}")
            for row in await client.query(soql):
                found[str(row["Id"])[:15]] = row
    return found
