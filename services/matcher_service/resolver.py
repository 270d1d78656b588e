"""Walk a batch of events through the waterfall with few Salesforce calls.

The steps run in order for the whole batch, and each step searches only
for the events still undecided, so a step costs at most one call per
object for the batch: userIds, ids and emails go into SOQL ``IN`` lists,
phones into one SOSL search of OR-ed digit strings (docs/matching.md).
Converted Leads are replaced by the records they were converted into,
read with one more query per object when a step found any.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from matcher_service import phones
from matcher_service.waterfall import (
    PRIMARY_PREFIXES,
    STEPS,
    Candidate,
    Decision,
    Walk,
    record,
    start,
)
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.salesforce import SalesforceClient
from regalsync.salesforce.soql import in_list

_ID_SHAPE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_CONVERSION_FIELDS = ("IsConverted", "ConvertedContactId", "ConvertedAccountId")
# Values per IN list: keeps each SOQL statement far below 100,000 characters.
_VALUES_PER_QUERY = 200
# Typed phone variants per query (about 20 characters each, quoted).
_VARIANTS_PER_QUERY = 3_000
# Phones per search: SOSL returns at most 2,000 records in all.
_PHONES_PER_SEARCH = 200
FRIENDLY_ID = "Regal_Friendly_Id__c"
# Where a match carries its Opportunities by friendly id (SPEC I7).
OPPORTUNITIES = "RegalOpportunities"
_OPPORTUNITY_OWNERS = frozenset({"Contact", "Account", "PersonAccount"})


@dataclass(frozen=True)
class EventIdentifiers:
    """Hold what one event can be searched by."""

    key: str
    user_id: str
    salesforce_ids: tuple[str, ...]
    phone: str
    email: str


@dataclass(frozen=True)
class Resolution:
    """Hold an event's decision and the steps it went through (ids only)."""

    decision: Decision
    trail: tuple[tuple[str, tuple[str, ...]], ...]


class Resolver:
    """Resolve many events per Salesforce call."""

    def __init__(self, client: SalesforceClient, policy: mapping_pb2.MatchPolicy,
                 read_plans: Iterable[mapping_pb2.ReadPlan] = ()) -> None:
        self._client = client
        self._policy = policy
        self._objects = list(dict.fromkeys(_api_object(o.object_type)
                                           for o in policy.objects))
        self._plans = {p.object_type: list(p.fields) for p in read_plans}

    async def resolve(self, events: Sequence[EventIdentifiers]) -> dict[str, Resolution]:
        """Return every event's resolution, keyed by its idempotency key."""
        walks = {e.key: start(self._present(e), use_email=self._policy.use_email)
                 for e in events}
        for step in STEPS:
            pending = [e for e in events if walks[e.key].step == step]
            if not pending:
                continue
            found = await self._search(step, pending, walks)
            found = await self._follow_conversions(found)
            for event in pending:
                record(walks[event.key], found.get(event.key, []))
        return {key: Resolution(_decided(walk), tuple(walk.trail))
                for key, walk in walks.items()}

    async def opportunities(self, wanted: dict[str, set[int]]) -> dict[str, dict[int, str]]:
        """Find, per matched record id, its Opportunities with the wanted friendly ids.

        One query per 200 records. A number held by two of a record's
        Opportunities names neither, so nothing is written to a guess.
        """
        owners = sorted(wanted)
        numbers = sorted({n for ns in wanted.values() for n in ns})
        found: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for start_at in range(0, len(owners), _VALUES_PER_QUERY):
            quoted = in_list(owners[start_at:start_at + _VALUES_PER_QUERY])
            # Ids are quoted by in_list; the numbers are ints.
            soql = (f"SELECT Id, AccountId, ContactId, {FRIENDLY_ID} "  # noqa: S608
                    f"FROM Opportunity WHERE (AccountId IN {quoted} OR ContactId IN "
                    f"{quoted}) AND {FRIENDLY_ID} IN ({', '.join(map(str, numbers))})")
            for row in await self._client.query(soql):
                number = _number(row.get(FRIENDLY_ID))
                for owner in {_text(row.get("AccountId")), _text(row.get("ContactId"))}:
                    if number in wanted.get(owner, ()):
                        found[owner][number].append(str(row["Id"]))
        return {owner: {n: ids[0] for n, ids in by_number.items() if len(ids) == 1}
                for owner, by_number in found.items()}

    def _present(self, event: EventIdentifiers) -> frozenset[str]:
        present = set()
        if event.user_id and self._policy.user_id_mapped and self._policy.user_id_field:
            present.add("user_id")
        if self._searchable_ids(event):
            present.add("salesforce_id")
        if phones.phone_key(event.phone) and any(self._phone_fields(o) for o in self._objects):
            present.add("phone")
        if event.email and any(self._email_fields(o) for o in self._objects):
            present.add("email")
        return frozenset(present)

    async def _search(self, step: str, events: list[EventIdentifiers],
                      walks: dict[str, Walk]) -> dict[str, list[Candidate]]:
        if step == "user_id":
            return await self._by_user_id(events)
        if step == "salesforce_id":
            return await self._by_ids(events)
        if step == "phone":
            return await self._by_phone(events)
        pooled = [e for e in events if walks[e.key].pool is not None]
        found = self._narrow_by_email(pooled, walks)
        found.update(await self._by_email([e for e in events if e not in pooled]))
        return found

    async def _by_user_id(self, events: list[EventIdentifiers]) -> dict[str, list[Candidate]]:
        field = self._policy.user_id_field
        values = sorted({e.user_id for e in events})
        if field == "Id":
            # A malformed id in SOQL fails the whole query; it matches nothing anyway.
            values = [v for v in values if _ID_SHAPE.match(v)]
        rows = await self._select_in(self._objects, field, values)
        by_value: dict[str, list[Candidate]] = defaultdict(list)
        for candidate in rows:
            value = str(candidate.fields.get(field) or "")
            by_value[value[:15] if field == "Id" else value].append(candidate)
        return {e.key: by_value.get(e.user_id[:15] if field == "Id" else e.user_id, [])
                for e in events}

    async def _by_ids(self, events: list[EventIdentifiers]) -> dict[str, list[Candidate]]:
        ids_by_object: dict[str, set[str]] = defaultdict(set)
        for event in events:
            for record_id in self._searchable_ids(event):
                ids_by_object[PRIMARY_PREFIXES[record_id[:3]]].add(record_id)
        by_id: dict[str, Candidate] = {}
        for obj, ids in ids_by_object.items():
            for candidate in await self._select_in([obj], "Id", sorted(ids)):
                by_id[candidate.id[:15]] = candidate
        return {e.key: [by_id[i[:15]] for i in self._searchable_ids(e) if i[:15] in by_id]
                for e in events}

    async def _by_phone(self, events: list[EventIdentifiers]) -> dict[str, list[Candidate]]:
        keys = sorted({k for e in events if (k := phones.phone_key(e.phone))})
        by_key: dict[str, list[Candidate]] = defaultdict(list)
        for start_at in range(0, len(keys), _PHONES_PER_SEARCH):
            chunk = keys[start_at:start_at + _PHONES_PER_SEARCH]
            self._collect_phones(by_key, await self._client.search(self._sosl(chunk)))
        missing = [k for k in keys if not by_key.get(k)]
        if missing:
            # SOSL indexes new records with a delay; exact formats still match.
            for obj in self._objects:
                fields = self._phone_fields(obj)
                if fields:
                    rows = await self._select_any(
                        [obj], fields, phones.typed_variants(missing),
                        per_query=_VARIANTS_PER_QUERY // len(fields))
                    self._collect_phones(by_key, rows)
        return {e.key: by_key.get(phones.phone_key(e.phone) or "", []) for e in events}

    def _sosl(self, keys: list[str]) -> str:
        # Phone keys are digits only, so no SOSL operator can reach the query.
        terms = " OR ".join(f'"{k}"' for k in keys)
        returning = ", ".join(f"{obj}({', '.join(self._fields(obj))})"
                              for obj in self._objects if self._phone_fields(obj))
        return f"FIND {{{terms}}} IN PHONE FIELDS RETURNING {returning}"

    def _collect_phones(self, by_key: dict[str, list[Candidate]],
                        rows: Iterable[dict[str, Any] | Candidate]) -> None:
        for row in rows:
            candidate = row if isinstance(row, Candidate) else _from_search(row)
            for phone_field in self._phone_fields(candidate.object_type):
                key = phones.phone_key(_text(candidate.fields.get(phone_field)))
                if key and candidate not in by_key[key]:
                    by_key[key].append(candidate)

    def _narrow_by_email(self, events: list[EventIdentifiers],
                         walks: dict[str, Walk]) -> dict[str, list[Candidate]]:
        """Choose among the phone step's candidates by their email, without a call."""
        found: dict[str, list[Candidate]] = {}
        for event in events:
            wanted = event.email.strip().lower()
            found[event.key] = [
                c for c in walks[event.key].pool or ()
                if any(_text(c.fields.get(f)).strip().lower() == wanted
                       for f in self._email_fields(c.object_type))]
        return found

    async def _by_email(self, events: list[EventIdentifiers]) -> dict[str, list[Candidate]]:
        values = sorted({e.email.strip().lower() for e in events})
        by_email: dict[str, list[Candidate]] = defaultdict(list)
        for obj in self._objects:
            fields = self._email_fields(obj)
            if not fields or not values:
                continue
            for candidate in await self._select_any([obj], fields, values):
                for email_field in fields:
                    value = _text(candidate.fields.get(email_field)).strip().lower()
                    if value in values and candidate not in by_email[value]:
                        by_email[value].append(candidate)
        return {e.key: by_email.get(e.email.strip().lower(), []) for e in events}

    async def _follow_conversions(
        self, found: dict[str, list[Candidate]],
    ) -> dict[str, list[Candidate]]:
        """Replace converted Leads by their converted Contact or Account."""
        targets: dict[str, str] = {}
        for candidate in (c for cs in found.values() for c in cs if _converted(c)):
            target = self._conversion_target(candidate)
            if target is not None:
                targets[candidate.id] = target
        by_id: dict[str, Candidate] = {}
        ids_by_object: dict[str, set[str]] = defaultdict(set)
        for target in targets.values():
            ids_by_object[PRIMARY_PREFIXES[target[:3]]].add(target)
        for obj, ids in ids_by_object.items():
            for candidate in await self._select_in([obj], "Id", sorted(ids)):
                by_id[candidate.id[:15]] = candidate
        return {key: _replace_converted(cs, targets, by_id) for key, cs in found.items()}

    def _conversion_target(self, lead: Candidate) -> str | None:
        for field, obj in (("ConvertedContactId", "Contact"), ("ConvertedAccountId", "Account")):
            target = _text(lead.fields.get(field))
            if target and obj in self._objects:
                return target
        return None

    async def _select_in(self, objects: list[str], field: str,
                         values: list[str]) -> list[Candidate]:
        return await self._select_any(objects, [field], values)

    async def _select_any(self, objects: list[str], fields: list[str], values: list[str],
                          *, per_query: int = _VALUES_PER_QUERY) -> list[Candidate]:
        """Read the records of ``objects`` whose ``fields`` hold any of ``values``."""
        found: list[Candidate] = []
        per_query = max(per_query, 1)
        for start_at in range(0, len(values), per_query):
            quoted = in_list(values[start_at:start_at + per_query])
            where = " OR ".join(f"{f} IN {quoted}" for f in fields)
            for obj in objects:
                # Every value was quoted by regalsync.salesforce.soql; field and
                # object names come from the validated configuration.
                soql = (f"SELECT {', '.join(self._fields(obj))} "  # noqa: S608
                        f"FROM {obj} WHERE {where}")
                found.extend(Candidate(obj, str(r["Id"]), r)
                             for r in await self._client.query(soql))
        return found

    def _searchable_ids(self, event: EventIdentifiers) -> list[str]:
        return [i for i in event.salesforce_ids
                if _ID_SHAPE.match(i) and PRIMARY_PREFIXES.get(i[:3]) in self._objects]

    def _fields(self, obj: str) -> list[str]:
        fields = ["Id", *self._phone_fields(obj), *self._email_fields(obj),
                  *self._plans.get(obj, [])]
        if self._policy.user_id_mapped and self._policy.user_id_field:
            fields.append(self._policy.user_id_field)
        if obj == "Lead":
            fields.extend(_CONVERSION_FIELDS)
        return list(dict.fromkeys(fields))

    def _phone_fields(self, obj: str) -> list[str]:
        return [f for o in self._policy.objects if _api_object(o.object_type) == obj
                for f in o.phone_fields]

    def _email_fields(self, obj: str) -> list[str]:
        return [f for o in self._policy.objects if _api_object(o.object_type) == obj
                for f in o.email_fields]


def _decided(walk: Walk) -> Decision:
    if walk.decision is None:
        raise RuntimeError("the waterfall left an event undecided")
    return walk.decision


def _api_object(object_type: str) -> str:
    return "Account" if object_type == "PersonAccount" else object_type


def _from_search(row: dict[str, Any]) -> Candidate:
    obj = str(row.get("attributes", {}).get("type", ""))
    fields = {k: v for k, v in row.items() if k != "attributes"}
    return Candidate(obj, str(row["Id"]), fields)


def _converted(candidate: Candidate) -> bool:
    return candidate.is_lead and candidate.fields.get("IsConverted") is True


def _replace_converted(candidates: list[Candidate], targets: dict[str, str],
                       by_id: dict[str, Candidate]) -> list[Candidate]:
    """Swap each converted Lead for its target; drop it when that cannot be read."""
    out: list[Candidate] = []
    for candidate in candidates:
        if _converted(candidate):
            target = by_id.get(targets.get(candidate.id, "")[:15])
            if target is None:
                continue
            candidate = target
        if candidate not in out:
            out.append(candidate)
    return out


def owns_opportunities(candidate: Candidate) -> bool:
    """Tell whether a matched record can have Opportunities (Leads cannot)."""
    return candidate.object_type in _OPPORTUNITY_OWNERS


def _number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
