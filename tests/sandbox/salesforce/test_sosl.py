"""The sandbox's SOSL engine finds records the way a Salesforce search does."""

from __future__ import annotations

import pytest
from query_fake_org import ALICE, FakeOrg

from sandbox.salesforce.soql import SoqlError
from sandbox.salesforce.sosl import search

SAME_NUMBER = {
    "Alice Archer": "(856) 559-7961",
    "Bruno Baker": "856.559.7961",
    "Carmen Cole": "+1 856 559 7961",
    "Dvorak": "8565597961",
}


@pytest.fixture
def org() -> FakeOrg:
    return FakeOrg()


def names(org: FakeOrg, query: str) -> list[str]:
    return [str(record["Name"]) for record in search(query, org)]


def refusal(org: FakeOrg, query: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        search(query, org)
    return caught.value


class TestPhoneFields:
    @pytest.mark.parametrize("term", ["8565597961", r"\+18565597961", "18565597961"])
    def test_every_format_of_one_number_is_found(self, org: FakeOrg, term: str) -> None:
        """Digits decide: punctuation and the +1 country code do not matter."""
        query = f"FIND {{{term}}} IN PHONE FIELDS RETURNING Contact(Name, Phone)"
        found = {str(row["Name"]): row["Phone"] for row in search(query, org)}

        assert found == SAME_NUMBER

    def test_a_number_with_a_leading_one_and_dashes_is_found(self, org: FakeOrg) -> None:
        """The lead's 1-856-559-7961 is the same number."""
        assert names(org, "FIND {8565597961} IN PHONE FIELDS RETURNING Lead(Name)") == [
            "Hugo Hale",
        ]

    def test_escaped_formatted_number_is_one_term(self, org: FakeOrg) -> None:
        r"""\(856\) 559\-7961 searches the number, not three separate words."""
        query = r"FIND {\(856\) 559\-7961} IN PHONE FIELDS RETURNING Contact(Name)"

        assert set(names(org, query)) == set(SAME_NUMBER)

    def test_seven_digits_match_the_end_of_a_number(self, org: FakeOrg) -> None:
        """A local number finds every number ending in it, extensions ignored."""
        query = "FIND {5597961} IN PHONE FIELDS RETURNING Contact(Name)"

        assert set(names(org, query)) == {*SAME_NUMBER, "Frank Fischer"}

    def test_a_full_number_does_not_match_a_bare_local_number(self, org: FakeOrg) -> None:
        """559-7961 x22 lacks the area code, so the ten-digit search misses it."""
        query = "FIND {8565597961} IN PHONE FIELDS RETURNING Contact(Name)"

        assert "Frank Fischer" not in names(org, query)

    def test_short_digit_runs_do_not_match_inside_numbers(self, org: FakeOrg) -> None:
        assert names(org, "FIND {559} IN PHONE FIELDS RETURNING Contact(Name)") == []

    def test_other_phone_fields_are_searched(self, org: FakeOrg) -> None:
        """MobilePhone counts as much as Phone."""
        query = r"FIND {\+442079460958} IN PHONE FIELDS RETURNING Contact(Name)"

        assert names(org, query) == ["Elena O'Brien"]

    def test_trailing_wildcard_matches_a_prefix(self, org: FakeOrg) -> None:
        query = "FIND {212555*} IN PHONE FIELDS RETURNING Contact(Name)"

        assert names(org, query) == ["Elena O'Brien"]


class TestScopes:
    def test_email_fields_match_case_insensitively(self, org: FakeOrg) -> None:
        query = "FIND {ALICE@ACME.COM} IN EMAIL FIELDS RETURNING Contact(Name)"

        assert names(org, query) == ["Alice Archer"]

    def test_email_scope_ignores_names(self, org: FakeOrg) -> None:
        assert names(org, "FIND {Archer} IN EMAIL FIELDS RETURNING Contact(Name)") == []

    def test_name_scope_ignores_emails(self, org: FakeOrg) -> None:
        assert names(org, "FIND {acme} IN NAME FIELDS RETURNING Contact(Name)") == []

    def test_all_fields_is_the_default(self, org: FakeOrg) -> None:
        """Email tokens are searchable words in ALL FIELDS."""
        assert names(org, "FIND {acme} RETURNING Contact(Name)") == [
            "Alice Archer", "Carmen Cole",
        ]

    def test_words_may_match_different_fields(self, org: FakeOrg) -> None:
        """Implicit AND holds across a record's fields."""
        assert names(org, "FIND {alice archer} RETURNING Contact(Name)") == ["Alice Archer"]

    def test_or_and_and_not(self, org: FakeOrg) -> None:
        query = "FIND {(acme OR globex) AND NOT carmen} RETURNING Contact(Name)"

        assert names(org, query) == ["Alice Archer", "Bruno Baker"]

    def test_wildcards(self, org: FakeOrg) -> None:
        assert names(org, "FIND {arch*} RETURNING Contact(Name)") == ["Alice Archer"]
        assert names(org, "FIND {c?le} RETURNING Contact(Name)") == ["Carmen Cole"]

    def test_phrase_needs_adjacent_words(self, org: FakeOrg) -> None:
        assert names(org, 'FIND {"alice archer"} RETURNING Contact(Name)') == ["Alice Archer"]
        assert names(org, 'FIND {"archer alice"} RETURNING Contact(Name)') == []


class TestReturning:
    def test_records_are_shaped_like_query_records(self, org: FakeOrg) -> None:
        records = search("FIND {alice} IN NAME FIELDS RETURNING Contact(Id, Account.Name)", org)

        assert records == [{
            "attributes": {
                "type": "Contact", "url": f"/services/data/v59.0/sobjects/Contact/{ALICE}",
            },
            "Id": ALICE,
            "Account": {
                "attributes": {
                    "type": "Account",
                    "url": "/services/data/v59.0/sobjects/Account/001000000000001AAA",
                },
                "Name": "Acme",
            },
        }]

    def test_objects_come_in_returning_order(self, org: FakeOrg) -> None:
        query = "FIND {8565597961} IN PHONE FIELDS RETURNING Lead(Name), Contact(Name LIMIT 1)"
        types = [row["attributes"]["type"] for row in search(query, org)]

        assert types == ["Lead", "Contact"]

    def test_an_object_without_a_field_list_returns_ids(self, org: FakeOrg) -> None:
        records = search("FIND {alice} IN NAME FIELDS RETURNING Contact", org)

        assert records[0]["Id"] == ALICE
        assert list(records[0]) == ["attributes", "Id"]

    def test_where_and_order_by_apply_per_object(self, org: FakeOrg) -> None:
        query = (
            "FIND {8565597961} IN PHONE FIELDS RETURNING "
            "Contact(Name WHERE Email LIKE '%acme.com' ORDER BY Name DESC)"
        )

        assert names(org, query) == ["Carmen Cole", "Alice Archer"]

    def test_overall_limit_caps_the_results(self, org: FakeOrg) -> None:
        query = "FIND {8565597961} IN PHONE FIELDS RETURNING Lead(Name), Contact(Name) LIMIT 2"

        assert len(search(query, org)) == 2

    def test_deleted_records_are_never_found(self, org: FakeOrg) -> None:
        assert names(org, "FIND {gina} RETURNING Contact(Name)") == []

    def test_unknown_object_is_invalid_type(self, org: FakeOrg) -> None:
        assert refusal(org, "FIND {alice} RETURNING Widget(Name)").error_code == "INVALID_TYPE"

    def test_unknown_field_is_invalid_field(self, org: FakeOrg) -> None:
        error = refusal(org, "FIND {alice} RETURNING Contact(Nickname)")

        assert error.error_code == "INVALID_FIELD"


class TestSearchSyntax:
    @pytest.mark.parametrize("character", list("&|!{[]^~:'+-"))
    def test_unescaped_reserved_characters_are_refused(
        self, org: FakeOrg, character: str
    ) -> None:
        error = refusal(org, f"FIND {{ab{character}cd}} RETURNING Contact(Name)")

        assert error.error_code == "MALFORMED_SEARCH"
        assert f"Row:1:Column:9\nno viable alternative at character '{character}'" in (
            error.message
        )

    @pytest.mark.parametrize("character", list("?&|!{}[]()^~*:\\\"'+-"))
    def test_escaped_reserved_characters_are_accepted(
        self, org: FakeOrg, character: str
    ) -> None:
        """Each reserved character, backslash-escaped, is plain search text."""
        query = f"FIND {{alice\\{character}}} IN NAME FIELDS RETURNING Contact(Name)"

        assert names(org, query) == ["Alice Archer"]

    def test_escaped_apostrophe_finds_the_name(self, org: FakeOrg) -> None:
        query = r"FIND {O\'Brien} IN NAME FIELDS RETURNING Contact(Name)"

        assert names(org, query) == ["Elena O'Brien"]

    def test_unescaped_plus_in_a_phone_is_refused(self, org: FakeOrg) -> None:
        error = refusal(org, "FIND {+18565597961} IN PHONE FIELDS")

        assert error.error_code == "MALFORMED_SEARCH"

    def test_empty_braces_are_refused(self, org: FakeOrg) -> None:
        assert refusal(org, "FIND {} RETURNING Contact").error_code == "MALFORMED_SEARCH"

    def test_one_character_is_too_short(self, org: FakeOrg) -> None:
        error = refusal(org, "FIND {a*} RETURNING Contact")

        assert error.error_code == "MALFORMED_SEARCH"
        assert "longer than one character" in error.message

    def test_search_text_must_be_in_braces(self, org: FakeOrg) -> None:
        assert refusal(org, "FIND 'alice' RETURNING Contact").error_code == "MALFORMED_SEARCH"

    def test_unknown_scope_is_malformed(self, org: FakeOrg) -> None:
        error = refusal(org, "FIND {alice} IN MOBILE FIELDS")

        assert error.error_code == "MALFORMED_SEARCH"
        assert error.message.endswith("unexpected token: 'MOBILE'")

    def test_no_returning_searches_every_object(self, org: FakeOrg) -> None:
        """Without RETURNING every object is searched and only Ids come back."""
        records = search("FIND {8565597961} IN PHONE FIELDS", org)
        types = {row["attributes"]["type"] for row in records}

        assert types == {"Contact", "Lead"}
