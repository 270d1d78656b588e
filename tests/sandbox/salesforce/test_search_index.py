"""The record store's shortcuts (search index, reads by id) never change an answer.

The store offers the engines an index for SOSL and direct reads for
``Id = / Id IN`` conditions. Each search and query here runs twice: against
the store, and against the same store seen only through the plain
``QuerySource`` protocol, which makes the engines read every row. The
answers must be identical, records and order, before and after the org
changes under the index.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import pytest

from sandbox.salesforce.metadata import load_org_objects
from sandbox.salesforce.schema import ObjectSchema
from sandbox.salesforce.soql import execute
from sandbox.salesforce.sosl import search
from sandbox.salesforce.store import OrgStore

CONTACT = "Contact(Id, FirstName, LastName, Phone, MobilePhone, Email)"
LEAD = "Lead(Id, Name, Phone, Email, IsConverted)"
PHONE_FORMATS = (
    "(303) 555-{:04d}", "303.555.{:04d}", "+1 303 555 {:04d}", "1-303-555-{:04d}",
    "555-{:04d} x12", "+44 20 7946 {:04d}", "3035550{:03d}#9",
)
FIRST_NAMES = ("Ann", "Ann-Marie", "Bo", "Chloé", "Dee", "ÉMILE", "O'Neil")
LAST_NAMES = ("Lee", "Lee-Smith", "Smith", "van Dyke", "Nguyen", "Straße")

SEARCHES = [
    f"FIND {{3035550007}} IN PHONE FIELDS RETURNING {CONTACT}, {LEAD}",
    f'FIND {{"3035550001" OR "3035550002" OR "5550003" OR "9999999"}} '
    f"IN PHONE FIELDS RETURNING {CONTACT}, {LEAD}",
    f"FIND {{\\+13035550004}} IN PHONE FIELDS RETURNING {CONTACT}",
    f"FIND {{\\(303\\) 555\\-0005}} IN PHONE FIELDS RETURNING {CONTACT}",
    f"FIND {{303 555 0006}} IN PHONE FIELDS RETURNING {CONTACT}, {LEAD}",
    f"FIND {{5550012}} IN PHONE FIELDS RETURNING {CONTACT}",
    f"FIND {{303555*}} IN PHONE FIELDS RETURNING {CONTACT}, {LEAD}",
    f"FIND {{79460*}} IN PHONE FIELDS RETURNING {CONTACT}",
    f"FIND {{555}} IN PHONE FIELDS RETURNING {CONTACT}",
    f"FIND {{ann}} IN NAME FIELDS RETURNING {CONTACT}, {LEAD}",
    f'FIND {{"ann marie"}} RETURNING {CONTACT}',
    f"FIND {{lee AND NOT smith}} RETURNING {CONTACT}, {LEAD}",
    f"FIND {{chloé OR émile}} IN NAME FIELDS RETURNING {CONTACT}",
    f"FIND {{STRASSE}} RETURNING {CONTACT}",
    f"FIND {{o neil}} IN NAME FIELDS RETURNING {CONTACT}",
    f"FIND {{sm?th}} RETURNING {CONTACT}, {LEAD}",
    f"FIND {{le*}} IN NAME FIELDS RETURNING {CONTACT}",
    f"FIND {{example.com}} IN EMAIL FIELDS RETURNING {CONTACT}, {LEAD}",
    f"FIND {{person7}} IN EMAIL FIELDS RETURNING {CONTACT}",
    f"FIND {{3035550008}} RETURNING {CONTACT}",
    "FIND {lee} IN NAME FIELDS RETURNING Contact(LastName, Phone WHERE Phone != null "
    "ORDER BY Phone DESC LIMIT 4 OFFSET 1), Lead(Name ORDER BY Name)",
    f"FIND {{lee OR smith}} RETURNING {CONTACT}, {LEAD} LIMIT 7",
    "FIND {3035550009}",
    "FIND {ann} RETURNING Account, Contact",
]


class PlainSource:
    """The store seen only through ``QuerySource``: the engines scan every row."""

    def __init__(self, store: OrgStore) -> None:
        self._store = store

    def objects(self) -> Iterable[ObjectSchema]:
        return self._store.objects()

    def schema(self, object_name: str) -> ObjectSchema | None:
        return self._store.schema(object_name)

    def rows(self, object_name: str, *, include_deleted: bool) -> Iterable[dict[str, Any]]:
        return self._store.rows(object_name, include_deleted=include_deleted)

    def get_by_id(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        return self._store.get_by_id(record_id)


@pytest.fixture
def store() -> OrgStore:
    org = OrgStore(load_org_objects(), org_id="00D000000000001AAA", clock=time.time,
                   username="integration@example.com")
    with org.transaction(org.system_context()) as unit:
        for n in range(42):
            unit.create("Contact", person(n))
        for n in range(42, 56):
            unit.create("Lead", {**person(n), "Company": f"Company {n % 3}"})
    return org


def person(n: int) -> dict[str, Any]:
    """Return varied fields: shared name tokens, phone formats, gaps."""
    fields: dict[str, Any] = {
        "FirstName": FIRST_NAMES[n % len(FIRST_NAMES)],
        "LastName": LAST_NAMES[n % len(LAST_NAMES)],
        "Email": f"Person{n}@Example.com" if n % 4 else None,
    }
    if n % 5:
        fields["Phone"] = PHONE_FORMATS[n % len(PHONE_FORMATS)].format(n % 13)
    if n % 3 == 0:
        fields["MobilePhone"] = f"+1 (303) 555-{(n * 7) % 13:04d}"
    return fields


def both_ways_search(store: OrgStore, query: str) -> list[dict[str, Any]]:
    indexed = search(query, store)
    assert indexed == search(query, PlainSource(store)), query
    return indexed


def both_ways_query(store: OrgStore, query: str, **options: Any) -> list[dict[str, Any]]:
    indexed = execute(query, store, **options)
    scanned = execute(query, PlainSource(store), **options)
    assert (indexed.total_size, indexed.records) == (scanned.total_size, scanned.records)
    return indexed.records


def contact_ids(store: OrgStore) -> list[str]:
    return [row["Id"] for row in store.rows("Contact", include_deleted=True)]


def change_the_org(store: OrgStore) -> None:
    """Update, delete, undelete and roll back after the index was built."""
    ids = contact_ids(store)
    with store.transaction(store.system_context()) as unit:
        unit.update("Contact", ids[1], {"Phone": "(720) 555-0001", "LastName": "Renamed"})
        unit.update("Contact", ids[2], {"Phone": None, "FirstName": "Zed"})
        unit.delete(ids[3])
        unit.delete(ids[4])
        unit.create("Contact", {"LastName": "Late Lee", "Phone": "303-555-0007"})
    with store.transaction(store.system_context()) as unit:
        unit.undelete(ids[4])
    with pytest.raises(RuntimeError), store.transaction(store.system_context()) as unit:
        unit.create("Contact", {"LastName": "Ghost Lee", "Phone": "(303) 555-0001"})
        unit.update("Contact", ids[5], {"Phone": "(303) 555-0011"})
        raise RuntimeError("roll the whole call back")


class TestSearchIndex:
    @pytest.mark.parametrize("query", SEARCHES)
    def test_the_index_finds_what_a_full_scan_finds(self, store: OrgStore, query: str) -> None:
        both_ways_search(store, query)
        change_the_org(store)
        both_ways_search(store, query)

    def test_the_searches_here_find_records(self, store: OrgStore) -> None:
        """Guard the comparisons above against all agreeing on nothing."""
        found = [both_ways_search(store, query) for query in SEARCHES]

        assert sum(1 for records in found if records) >= len(SEARCHES) - 3

    def test_a_changed_number_is_found_by_its_new_value_only(self, store: OrgStore) -> None:
        changed = contact_ids(store)[1]
        before = store.read(changed)
        assert before is not None
        old_digits = "".join(ch for ch in str(before["Phone"]) if ch.isdigit())
        assert changed in ids_of(both_ways_search(store, phone_search(old_digits)))

        change_the_org(store)

        assert changed not in ids_of(both_ways_search(store, phone_search(old_digits)))
        assert ids_of(both_ways_search(store, phone_search("7205550001"))) == [changed]

    def test_deleted_and_rolled_back_records_are_not_found(self, store: OrgStore) -> None:
        ids = contact_ids(store)
        by_name = f"FIND {{Dyke OR Dee}} IN NAME FIELDS RETURNING {CONTACT}"
        assert {ids[3], ids[4]} <= set(ids_of(both_ways_search(store, by_name)))

        change_the_org(store)
        found = ids_of(both_ways_search(store, by_name))
        renamed = ids_of(both_ways_search(store, f"FIND {{Renamed OR Ghost OR Late}} "
                                                 f"RETURNING {CONTACT}"))

        assert ids[3] not in found
        assert ids[4] in found
        assert len(renamed) == 2
        assert ids[1] in renamed

    def test_a_reset_org_forgets_indexed_records(self, store: OrgStore) -> None:
        query = f"FIND {{lee}} RETURNING {CONTACT}"
        assert both_ways_search(store, query)

        store.reset()

        assert both_ways_search(store, query) == []

    def test_a_loaded_org_is_searched_by_its_loaded_records(self, store: OrgStore) -> None:
        query = f"FIND {{lee}} RETURNING {CONTACT}"
        saved = json.loads(json.dumps(store.dump()))
        before = both_ways_search(store, query)
        change_the_org(store)
        assert both_ways_search(store, query) != before

        store.load(saved)

        assert both_ways_search(store, query) == before


class TestReadsById:
    def test_id_conditions_answer_as_a_full_read_does(self, store: OrgStore) -> None:
        ids = contact_ids(store)
        some = ", ".join(f"'{i}'" for i in [*ids[10:1:-1], ids[20][:15], "003000000000000AAA"])
        lead = next(iter(store.rows("Lead", include_deleted=False)))["Id"]
        queries = [
            f"SELECT Id, LastName FROM Contact WHERE Id IN ({some})",
            f"SELECT Id FROM Contact WHERE Id = '{ids[7]}'",
            f"SELECT Id FROM Contact WHERE Id = '{lead}'",
            f"SELECT Id, Phone FROM Contact WHERE Id IN ({some}) AND Phone != null "
            "ORDER BY Phone DESC",
            f"SELECT Id FROM Contact WHERE (Id IN ({some}) AND LastName != 'Lee') "
            "AND Email != null LIMIT 3 OFFSET 1",
            f"SELECT Id FROM Contact WHERE Id IN ({some}) OR LastName = 'Smith'",
            f"SELECT Id FROM Contact WHERE NOT Id IN ({some})",
            f"SELECT Id FROM Contact WHERE Id NOT IN ({some})",
            f"SELECT Id FROM Contact WHERE Id IN ('{ids[3]}', '{ids[4]}', '{ids[5]}')",
            f"SELECT COUNT() FROM Contact WHERE Id IN ({some})",
        ]
        for when in ("before", "after"):
            if when == "after":
                change_the_org(store)
            for query in queries:
                both_ways_query(store, query)
                both_ways_query(store, query, include_deleted=True)

    def test_query_all_finds_a_deleted_record_by_id(self, store: OrgStore) -> None:
        deleted = contact_ids(store)[3]
        change_the_org(store)
        query = f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{deleted}'"

        assert both_ways_query(store, query) == []
        assert [r["IsDeleted"] for r in both_ways_query(store, query, include_deleted=True)] == [
            True,
        ]

    def test_ids_come_back_in_store_order_not_in_list_order(self, store: OrgStore) -> None:
        ids = contact_ids(store)[:6]
        listed = ", ".join(f"'{i}'" for i in reversed(ids))

        found = both_ways_query(store, f"SELECT Id FROM Contact WHERE Id IN ({listed})")

        assert [r["Id"] for r in found] == ids


def phone_search(digits: str) -> str:
    return f"FIND {{{digits}}} IN PHONE FIELDS RETURNING {CONTACT}"


def ids_of(records: list[dict[str, Any]]) -> list[str]:
    return [str(record["Id"]) for record in records]
