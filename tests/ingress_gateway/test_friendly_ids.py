"""Specify how Opportunities get their friendly ids (SPEC O8)."""

from __future__ import annotations

from typing import Any

from ingress_gateway.friendly_ids import FRIENDLY_ID, FriendlyIds


def sibling(record_id: str, created: str, friendly: int | None = None) -> dict[str, Any]:
    return {"Id": record_id, "CreatedDate": created, FRIENDLY_ID: friendly}


class TestFriendlyIds:
    def test_first_use_numbers_every_sibling_by_creation(self) -> None:
        """The first Opportunity needing an id numbers all its siblings 1, 2, 3."""
        ids = FriendlyIds(threshold=100)
        siblings = [sibling("006C", "2024-03"), sibling("006A", "2024-01"),
                    sibling("006B", "2024-02")]
        assert ids.assign("006C", siblings) == 3
        assert ids.writes == {"006A": 1, "006B": 2, "006C": 3}

    def test_a_new_one_gets_the_highest_plus_one(self) -> None:
        """Numbers in use, even with gaps, are kept; the new one takes max + 1."""
        ids = FriendlyIds(threshold=100)
        siblings = [sibling("006A", "2024-01", 1), sibling("006B", "2024-02", 4),
                    sibling("006C", "2024-03")]
        assert ids.assign("006C", siblings) == 5
        assert ids.writes == {"006C": 5}

    def test_a_stored_id_is_kept_without_a_write(self) -> None:
        """An Opportunity that has its id keeps it and causes no write."""
        ids = FriendlyIds(threshold=100)
        assert ids.assign("006A", [sibling("006A", "2024-01", 2)]) == 2
        assert ids.writes == {}

    def test_above_the_threshold_nothing_is_assigned(self) -> None:
        """More siblings than the threshold: no id and no writes."""
        ids = FriendlyIds(threshold=2)
        siblings = [sibling(f"006{n}", f"2024-0{n}") for n in range(1, 4)]
        assert ids.assign("0063", siblings) is None
        assert ids.writes == {}

    def test_assignments_hold_within_a_batch(self) -> None:
        """Two new Opportunities of one record in one batch get distinct ids."""
        ids = FriendlyIds(threshold=100)
        siblings = [sibling("006A", "2024-01", 1), sibling("006B", "2024-02"),
                    sibling("006C", "2024-03")]
        assert ids.assign("006B", siblings) == 2
        assert ids.assign("006C", siblings) == 3
