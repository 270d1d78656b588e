"""Find records changed since a moment, when change events cannot say which.

Three situations need it: a ``GAP_OVERFLOW`` event (a transaction too big
for change events; it names no records), a stored replay id older than
the event bus keeps (72 h), and objects polled instead of subscribed. In
each, Salesforce is asked which records carry a ``SystemModstamp`` at or
after the moment, one query per object (pages of 2,000 records), and
each record becomes an inbox change like one a change event announces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from regalsync.salesforce import SalesforceClient
from regalsync.salesforce.client import SalesforceApiError

# Moments in SOQL are whole seconds; one second earlier never misses one.
_SOQL_STAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class ChangedRecord:
    """One record's id, creation and last modification, as Salesforce stamps them."""

    entity: str
    record_id: str
    created_ms: int
    modified_ms: int
    values: dict[str, Any]


async def changed_since(client: SalesforceClient, entity: str, since_ms: int,
                        fields: Sequence[str] = ()) -> list[ChangedRecord]:
    """Return the entity's records modified at or after ``since_ms``, oldest first.

    Fields the org does not have (a broken mapping, SPEC O10) are left out
    after one describe, rather than failing the whole query.
    """
    wanted = list(dict.fromkeys(["Id", "CreatedDate", "SystemModstamp", *fields]))
    try:
        return await _changed(client, entity, since_ms, wanted)
    except SalesforceApiError as error:
        if error.error_code != "INVALID_FIELD":
            raise
    describe = await client.describe(entity)
    known = {str(f["name"]).lower() for f in describe.get("fields", [])}
    return await _changed(client, entity, since_ms,
                          [f for f in wanted if f.lower() in known])


async def _changed(client: SalesforceClient, entity: str, since_ms: int,
                   wanted: list[str]) -> list[ChangedRecord]:
    moment = soql_moment(since_ms)
    # The entity and fields come from the validated configuration.
    soql = (f"SELECT {', '.join(wanted)} FROM {entity} "  # noqa: S608
            f"WHERE SystemModstamp >= {moment} ORDER BY SystemModstamp")
    return [ChangedRecord(entity, str(row["Id"]), epoch_ms(row.get("CreatedDate")),
                          epoch_ms(row.get("SystemModstamp")), row)
            for row in await client.query(soql)]


def soql_moment(epoch_ms: int) -> str:
    """Render epoch milliseconds as a SOQL datetime literal, rounded down."""
    moment = dt.datetime.fromtimestamp(epoch_ms // 1000 - 1, tz=dt.UTC)
    return moment.strftime(_SOQL_STAMP)


def epoch_ms(value: Any) -> int:
    """Read a Salesforce datetime (``2024-06-19T13:53:49.000+0000``) as epoch ms."""
    if not isinstance(value, str) or not value:
        return 0
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)
