"""What the writer reads from Salesforce, cached per tenant: describes and users.

Describe results change only when an admin edits the org, so one call per
object and tenant serves an hour of writes. Task owners are found with one
User query per batch for the agent emails not seen in the last minutes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from regalsync.salesforce import SalesforceClient
from regalsync.salesforce.soql import in_list
from salesforce_writer.coercion import FieldInfo

Fields = dict[str, FieldInfo]


class Lookups:
    """Per-tenant caches of object describes and user ids by email."""

    def __init__(self, *, describe_seconds: float = 3600.0,
                 owner_seconds: float = 600.0) -> None:
        self._describe_seconds = describe_seconds
        self._owner_seconds = owner_seconds
        self._describes: dict[tuple[str, str], tuple[float, Fields]] = {}
        self._owners: dict[tuple[str, str], tuple[float, str | None]] = {}

    async def fields(self, tenant: str, client: SalesforceClient, obj: str) -> Fields:
        """Return the object's fields by API name (case as Salesforce spells it)."""
        cached = self._describes.get((tenant, obj))
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        described = await client.describe(obj)
        fields = {f["name"]: FieldInfo.from_describe(f) for f in described["fields"]}
        self._describes[(tenant, obj)] = (time.monotonic() + self._describe_seconds, fields)
        return fields

    def forget(self, tenant: str, obj: str) -> None:
        """Drop a cached describe (a field vanished since it was read)."""
        self._describes.pop((tenant, obj), None)

    async def owners(self, tenant: str, client: SalesforceClient,
                     emails: Iterable[str]) -> dict[str, str]:
        """Return active users' ids by lower-cased email, one query for the unknown ones."""
        now = time.monotonic()
        wanted = {e.strip().lower() for e in emails if e and "@" in e}
        unknown = sorted(e for e in wanted
                         if (hit := self._owners.get((tenant, e))) is None or hit[0] <= now)
        if unknown:
            # Emails are quoted by in_list; nothing else is interpolated.
            soql = ("SELECT Id, Email FROM User WHERE IsActive = true "  # noqa: S608
                    f"AND Email IN {in_list(unknown)}")
            found = {str(r["Email"]).lower(): str(r["Id"]) for r in await client.query(soql)}
            for email in unknown:
                self._owners[(tenant, email)] = (now + self._owner_seconds, found.get(email))
        return {e: owner for e in wanted
                if (owner := self._owners[(tenant, e)][1]) is not None}
