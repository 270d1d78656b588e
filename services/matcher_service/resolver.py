"""Gather each waterfall step's candidates for a batch of events.

Every step costs at most one Salesforce call per object for the whole
batch: userIds and emails go into SOQL ``IN`` lists, ids are read with one
query per object, and phones are found with one SOSL search whose terms
are OR-ed, then confirmed by comparing phone keys (see phones.py), so a
number typed in any format is found and a partial hit is never taken.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matcher_service.phones import phone_key
from matcher_service.waterfall import PRIMARY_PREFIXES, Candidate, StepResult
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.salesforce import SalesforceClient
from regalsync.salesforce.soql import in_list

# SOSL treats these as operators; a term must escape them with a backslash.
_SOSL_RESERVED = set('?&|!{}[]()^~*:\\"\'+-')


@dataclass(frozen=True)
class EventIdentifiers:
    key: str
    user_id: str
    salesforce_ids: tuple[str, ...]
    phone: str
    email: str


class Resolver:
    """Collect candidates per step for many events with few calls."""

    def __init__(self, client: SalesforceClient, policy: mapping_pb2.MatchPolicy) -> None:
        self._client = client
        self._policy = policy
        self._objects = [_api_object(o.object_type) for o in policy.objects]

    async def steps(self, events: Sequence[EventIdentifiers]) -> dict[str, list[StepResult]]:
        """Return, per event key, the candidates of every step in order."""
        by_user = await self._by_user_id(events) if self._policy.user_id_mapped else {}
        by_id = await self._by_ids(events)
        by_phone = await self._by_phone(events)
        by_email = await self._by_email(events) if self._policy.use_email else {}
        return {e.key: [
            StepResult("user_id", tuple(by_user.get(e.user_id, ()))),
            StepResult("salesforce_id", tuple(c for i in e.salesforce_ids
                                              for c in by_id.get(i[:15], ()))),
            StepResult("phone", tuple(by_phone.get(phone_key(e.phone) or "", ()))),
            StepResult("email", tuple(by_email.get(e.email.lower(), ()))),
        ] for e in events}

    async def _by_user_id(self, events: Sequence[EventIdentifiers]) -> dict[str, list[Candidate]]:
        values = sorted({e.user_id for e in events if e.user_id})
        field = self._policy.user_id_field or "Id"
        found: dict[str, list[Candidate]] = defaultdict(list)
        if not values:
            return found
        for obj in self._objects:
            for row in await self._select(obj, f"{field} IN {in_list(values)}"):
                found[str(row.get(field))].append(_candidate(obj, row))
        return found

    async def _by_ids(self, events: Sequence[EventIdentifiers]) -> dict[str, list[Candidate]]:
        ids_by_object: dict[str, set[str]] = defaultdict(set)
        for e in events:
            for record_id in e.salesforce_ids:
                obj = PRIMARY_PREFIXES.get(record_id[:3])
                if obj is not None and obj in self._objects:
                    ids_by_object[obj].add(record_id)
        found: dict[str, list[Candidate]] = defaultdict(list)
        for obj, ids in ids_by_object.items():
            for row in await self._select(obj, f"Id IN {in_list(sorted(ids))}"):
                found[str(row["Id"])[:15]].append(_candidate(obj, row))
        return found

    async def _by_phone(self, events: Sequence[EventIdentifiers]) -> dict[str, list[Candidate]]:
        keys = sorted({k for e in events if (k := phone_key(e.phone))})
        found: dict[str, list[Candidate]] = defaultdict(list)
        if not keys:
            return found
        returning = ", ".join(f"{obj}({', '.join(self._fields(obj))})" for obj in self._objects)
        terms = " OR ".join(_sosl_term(k) for k in keys)
        rows = await self._client.search(f"FIND {{{terms}}} IN PHONE FIELDS RETURNING {returning}")
        wanted = set(keys)
        for row in rows:
            obj = str(row.get("attributes", {}).get("type", ""))
            candidate = _candidate(obj, row)
            for phone_field in self._phone_fields(obj):
                key = phone_key(_text(row.get(phone_field)))
                if key in wanted and candidate not in found[key]:
                    found[key].append(candidate)
        return found

    async def _by_email(self, events: Sequence[EventIdentifiers]) -> dict[str, list[Candidate]]:
        values = sorted({e.email.lower() for e in events if e.email})
        found: dict[str, list[Candidate]] = defaultdict(list)
        if not values:
            return found
        for obj in self._objects:
            fields = self._email_fields(obj)
            if not fields:
                continue
            where = " OR ".join(f"{f} IN {in_list(values)}" for f in fields)
            for row in await self._select(obj, where):
                for f in fields:
                    if (value := _text(row.get(f))) and value.lower() in values:
                        found[value.lower()].append(_candidate(obj, row))
        return found

    async def _select(self, obj: str, where: str) -> list[dict[str, Any]]:
        lead_filter = " AND IsConverted = false" if obj == "Lead" else ""
        # Every value in ``where`` was quoted by regalsync.salesforce.soql.
        soql = (f"SELECT {', '.join(self._fields(obj))} "  # noqa: S608
                f"FROM {obj} WHERE ({where}){lead_filter}")
        return await self._client.query(soql)

    def _fields(self, obj: str) -> list[str]:
        fields = ["Id", *self._phone_fields(obj), *self._email_fields(obj)]
        if self._policy.user_id_mapped and self._policy.user_id_field:
            fields.append(self._policy.user_id_field)
        return list(dict.fromkeys(fields))

    def _phone_fields(self, obj: str) -> list[str]:
        return [f for o in self._policy.objects if _api_object(o.object_type) == obj
                for f in o.phone_fields]

    def _email_fields(self, obj: str) -> list[str]:
        return [f for o in self._policy.objects if _api_object(o.object_type) == obj
                for f in o.email_fields]


def _api_object(object_type: str) -> str:
    return "Account" if object_type == "PersonAccount" else object_type


def _candidate(obj: str, row: dict[str, Any]) -> Candidate:
    fields = {k: v for k, v in row.items() if k != "attributes"}
    return Candidate(obj, str(row["Id"]), fields)


def _sosl_term(value: str) -> str:
    return "".join(f"\\{ch}" if ch in _SOSL_RESERVED else ch for ch in value)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
