"""Give Opportunities the friendly ids Regal shows them under (SPEC O8).

With "send Opportunity data as attributes" on, an Opportunity's event
adds ``traits.salesforce_opportunity_<N>``. N is stored on the
Opportunity (``Regal_Friendly_Id__c``) and is an ordinal among the
Opportunities of the same Account or Contact:

- the first time any of them needs one, all get 1, 2, 3... in order of
  creation;
- later a new one gets the highest number in use plus one;
- a primary record with more Opportunities than the threshold gets none
  (the event then goes without the trait).

The assignment is decided here, from the siblings the matcher read with
the batch, and written back to Salesforce through salesforce-writer
(whose writes carry regal-sync's client id, so they do not come back as
changes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FRIENDLY_ID = "Regal_Friendly_Id__c"
SIBLINGS = "RegalSiblings"


@dataclass(frozen=True)
class Sibling:
    """One Opportunity of a primary record, as far as numbering needs it."""

    record_id: str
    created: str
    friendly_id: int | None


class FriendlyIds:
    """Assign friendly ids within one batch, remembering what it assigned."""

    def __init__(self, threshold: int) -> None:
        self._threshold = threshold
        self._assigned: dict[str, int] = {}
        self.writes: dict[str, int] = {}

    def assign(self, record_id: str, siblings: Iterable[Mapping[str, Any]]) -> int | None:
        """Return the Opportunity's friendly id, queueing writes for new ones."""
        known = [self._sibling(s) for s in siblings]
        if not any(s.record_id[:15] == record_id[:15] for s in known):
            known.append(Sibling(record_id, "9999", None))
        if len(known) > self._threshold:
            return None
        own = next(s for s in known if s.record_id[:15] == record_id[:15])
        if own.friendly_id is not None:
            return own.friendly_id
        if all(s.friendly_id is None for s in known):
            return self._number_all(known, record_id)
        number = max(s.friendly_id or 0 for s in known) + 1
        self._give(own.record_id, number)
        return number

    def _number_all(self, known: list[Sibling], record_id: str) -> int:
        ordered = sorted(known, key=lambda s: (s.created, s.record_id))
        for position, sibling in enumerate(ordered, start=1):
            self._give(sibling.record_id, position)
        return self._assigned[record_id[:15]]

    def _give(self, record_id: str, number: int) -> None:
        self._assigned[record_id[:15]] = number
        self.writes[record_id] = number

    def _sibling(self, row: Mapping[str, Any]) -> Sibling:
        record_id = str(row["Id"])
        stored = row.get(FRIENDLY_ID)
        number = self._assigned.get(record_id[:15])
        if number is None and isinstance(stored, int | float) and stored > 0:
            number = int(stored)
        return Sibling(record_id, str(row.get("CreatedDate") or ""), number)
